// The database behind one Prisma client: embedded PGlite by default, PostgreSQL
// when a URL is given. Both speak PostgreSQL, so one schema and one set of
// migrations serve both.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { type HotStatements, pgliteStatements, postgresStatements } from './prepared.js';

export type Database = {
  prisma: PrismaClient;
  /** The hot statements, on the same connections as Prisma (prepared.ts). */
  hot: HotStatements;
  /** The adapter factory the migration engine uses (on PostgreSQL, with connections of its own). */
  adapter: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
};

export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL connections at most (DATABASE_POOL_SIZE); pg's default, 10, when unset. */
  poolSize?: number;
}): Promise<Database> {
  if (options.databaseUrl) {
    // One pool for Prisma's queries and the hot statements.
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize });
    // A connection that fails while idle is dropped by the pool, and the next query
    // opens another; without a listener its error would end the process.
    pool.on('error', () => {});
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return {
      prisma,
      hot: postgresStatements(pool),
      // The migrations get connections of their own, each connect() a pool that is
      // closed when they are done, so that nothing they leave on a session (the
      // schema engine's advisory lock) reaches the server's pool.
      adapter: new PrismaPg({ connectionString: options.databaseUrl }),
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  // 'memory://' is PGlite's in-memory database, for tests and throwaway runs.
  if (!options.dataDir.startsWith('memory://')) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.dataDir);
  const adapter = new PrismaPGlite(pglite);
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    hot: pgliteStatements(pglite),
    adapter,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
