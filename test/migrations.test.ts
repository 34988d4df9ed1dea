// The committed migrations are the only way the schema reaches a database, so they
// must say exactly what prisma/schema.prisma says, and apply cleanly and only once.
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { describe, expect, it } from 'vitest';
import {
  applyMigrations,
  isEmptyMigration,
  pendingSchemaDiff,
  readMigrations,
} from '../src/db/migrate.js';
import { Prisma } from '../src/generated/prisma/client.js';

// Each test loads the 5 MB schema engine and replays SQL into PGlite.
const SLOW = 60_000;

describe('migrations', () => {
  it(
    'match prisma/schema.prisma',
    async () => {
      const diff = await pendingSchemaDiff();
      expect(
        isEmptyMigration(diff),
        'prisma/schema.prisma has changes that no migration makes; ' +
          `run \`npm run db:migrate:create -- <name>\`. The missing SQL:\n${diff}`,
      ).toBe(true);
    },
    SLOW,
  );

  it(
    'apply to a fresh database, each once',
    async () => {
      const names = (await readMigrations()).migrationDirectories.map((d) => d.path);
      expect(names.length).toBeGreaterThan(0);
      const pglite = new PGlite();
      try {
        const adapter = new PrismaPGlite(pglite);
        expect(await applyMigrations(adapter)).toEqual({ applied: names });

        const tables = await pglite.query<{ name: string }>(
          "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
        );
        expect(tables.rows.map((t) => t.name).sort()).toEqual(
          [...Object.values(Prisma.ModelName), '_prisma_migrations'].sort(),
        );

        const history = () =>
          pglite.query<{
            migration_name: string;
            finished_at: Date | null;
            rolled_back_at: Date | null;
          }>(
            'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name',
          );
        const applied = (await history()).rows;
        expect(applied.map((m) => m.migration_name)).toEqual(names);
        for (const m of applied) {
          expect(m.finished_at, m.migration_name).toBeInstanceOf(Date);
          expect(m.rolled_back_at, m.migration_name).toBeNull();
        }

        expect(await applyMigrations(adapter)).toEqual({ applied: [] });
        expect((await history()).rows).toHaveLength(names.length);
      } finally {
        await pglite.close();
      }
    },
    SLOW,
  );
});
