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
  /**
   * Has every pooled connection read the catalog entries of the tables the hot
   * statements write, so that their first statement under load does not. Call it
   * once the migrations have made those tables. Resolves with how many did.
   */
  warm(): Promise<number>;
  close(): Promise<void>;
};

export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL connections at most (DATABASE_POOL_SIZE); pg's default, 10, when unset. */
  poolSize?: number;
}): Promise<Database> {
  if (options.databaseUrl) {
    // One pool for Prisma's queries and the hot statements, of a fixed size: every
    // connection is opened at start and kept while idle (pg closes one after 10 s
    // idle by default). A connection opened under load made its first statements
    // wait for PostgreSQL to start a backend and fill its catalog caches: a step of
    // the bench that first needed more connections than the one before had a p99 of
    // 280 ms against a p50 of 3 ms. The catalog caches are filled by warm(), once
    // the migrations have made the tables (on a new database, not before).
    const size = options.poolSize ?? 10;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: size,
      idleTimeoutMillis: 0,
    });
    // A connection that fails while idle is dropped by the pool, and the next query
    // opens another; without a listener its error would end the process.
    pool.on('error', () => {});
    await Promise.all(onEveryConnection(pool, size, () => Promise.resolve()));
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return {
      prisma,
      hot: postgresStatements(pool),
      // The migrations get connections of their own, each connect() a pool that is
      // closed when they are done, so that nothing they leave on a session (the
      // schema engine's advisory lock) reaches the server's pool.
      adapter: new PrismaPg({ connectionString: options.databaseUrl }),
      async warm() {
        const done = await Promise.all(
          onEveryConnection(pool, size, (client) => client.query(HOT_TABLES)),
        );
        return done.filter(Boolean).length;
      },
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
    // One connection inside this process, made at start: nothing is opened under load.
    warm: async () => 0,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

// Names every table a hot statement writes, and reads no row.
const HOT_TABLES = `SELECT 1 FROM "Post" p, "Comment" c, "User" u, "Notification" n, "NotificationCounter" k,
                          "NotificationPreference" r, "PostMute" m WHERE false`;

/**
 * Takes every connection of the pool at once (opening those not open yet), runs
 * `use` on each, and hands them back; each promise resolves true when `use`
 * succeeded. A database that refuses some connections (max_connections) fails
 * nothing here: the pool opens them again when needed.
 */
function onEveryConnection(
  pool: pg.Pool,
  size: number,
  use: (client: pg.PoolClient) => Promise<unknown>,
): Promise<boolean>[] {
  return Array.from({ length: size }, async () => {
    const client = await pool.connect().catch(() => undefined);
    if (!client) return false;
    try {
      await use(client);
      return true;
    } catch {
      return false;
    } finally {
      client.release();
    }
  });
}
