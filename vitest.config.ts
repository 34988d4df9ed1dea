import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { hasBinary } from './test/helpers/services.js';

// The suite runs twice: on the embedded PGlite and on a throwaway PostgreSQL.
// Without PostgreSQL's binaries a developer's run says so and skips that half;
// CI has them, and there nothing may be skipped.
const postgres = hasBinary('initdb') && hasBinary('pg_ctl');
if (!postgres && process.env.CI) throw new Error('CI needs initdb and pg_ctl (PostgreSQL 15)');
if (!postgres) console.warn('PostgreSQL binaries not found: skipping the PostgreSQL run.');

// Files that do not depend on which database serves them run once.
const databaseAgnostic = [
  'test/schema.test.ts',
  'test/migrations.test.ts',
  'test/query-count.test.ts',
  'test/live-iterator.test.ts',
  // The web app in a real browser: it is a client of the API, whichever database is behind it.
  'test/browser/**/*.test.ts',
];
// Files that need several server processes on one PostgreSQL and one Redis.
const multiInstance = ['test/cluster/**/*.test.ts'];

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) copies. Node gives the server's
    // dependencies the CJS one, Vite would give test files the ESM one, and graphql
    // refuses to mix them, so tests get Node's choice too.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    // Each file starts real servers and databases; give slow shared machines room.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true as const,
        test: {
          name: 'pglite',
          include: ['test/**/*.test.ts'],
          exclude: multiInstance,
          // Builds web/dist when it is missing or older than web/src.
          globalSetup: ['test/browser/setup.ts'],
        },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/**/*.test.ts'],
                exclude: databaseAgnostic,
                globalSetup: ['test/setup/postgres.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
