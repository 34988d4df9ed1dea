// The hot statements (src/db/prepared.ts) run straight on the driver: on
// PostgreSQL as named prepared statements, on PGlite directly. They must read
// what Prisma reads, DateTime columns in UTC included, whatever the time zone.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { statementName } from '../src/db/prepared.js';
import { Prisma } from '../src/generated/prisma/client.js';
import { createDatabase } from './helpers/server.js';
import { insertUser } from './helpers/users.js';

let db: Database;
let databaseUrl: string | undefined;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  // Not UTC, so that a timestamp read as local time would show (Node applies TZ at once).
  process.env.TZ = 'America/New_York';
  const adminUrl = inject('postgresUrl');
  databaseUrl = adminUrl ? await createDatabase(adminUrl, cleanups) : undefined;
  db = await openDatabase(databaseUrl ? { databaseUrl, dataDir: '' } : { dataDir: 'memory://' });
  await applyMigrations(db.adapter);
});

afterAll(async () => {
  await db?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('hot statements', () => {
  it('names a statement after its text, not its values', () => {
    const a = Prisma.sql`SELECT ${1}::int AS "a"`;
    expect(statementName(a.text)).toMatch(/^p_[\w-]{27}$/);
    expect(statementName(a.text)).toBe(statementName(Prisma.sql`SELECT ${2}::int AS "a"`.text));
    expect(statementName(a.text)).not.toBe(statementName(Prisma.sql`SELECT ${1}::int AS "b"`.text));
  });

  it('returns the rows Prisma returns, timestamps in UTC, on every run of the statement', async () => {
    const user = await insertUser(db.prisma, 'hot');
    const post = await db.prisma.post.create({
      data: { title: 'Hot', body: 'Body', authorId: user.id },
    });
    // The same text with other values: the second and later runs reuse the prepared statement.
    for (const title of ['Hot', 'Not this one', 'Hot']) {
      const rows = await db.hot<{ id: number; title: string; createdAt: Date }>(
        Prisma.sql`SELECT "id", "title", "createdAt" FROM "Post" WHERE "title" = ${title}`,
      );
      if (title === 'Hot') {
        expect(rows).toEqual([{ id: post.id, title: 'Hot', createdAt: post.createdAt }]);
      } else expect(rows).toEqual([]);
    }
  });

  // PostgreSQL only: PGlite is one session, whose own lock the engine keeps.
  it.runIf(inject('postgresUrl'))(
    'runs beside the migrations, which leave no lock behind',
    async () => {
      // Our start-up lock (src/db/migrate.ts) is a transaction's and the schema
      // engine's is a session's: left on a pooled connection, the first would make
      // every statement run there join a transaction that never ends, and the second
      // would make the next server's start wait for it and fail.
      const locks = await db.hot<{ held: number }>(
        Prisma.sql`SELECT count(*)::int AS "held" FROM pg_locks
                 WHERE locktype = 'advisory' AND objid IN (${72707369}::oid, ${72707370}::oid)
                   -- Other test files migrate their own databases on the same server.
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(locks).toEqual([{ held: 0 }]);
    },
  );

  it.runIf(inject('postgresUrl'))(
    'opens DATABASE_POOL_SIZE connections at start, and no more however many statements wait',
    async () => {
      const connections = async () => {
        const [row] = await db.hot<{ n: number }>(
          Prisma.sql`SELECT count(*)::int AS "n" FROM pg_stat_activity WHERE datname = current_database()`,
        );
        return row?.n ?? 0;
      };
      const before = await connections();
      const small = await openDatabase({ databaseUrl, dataDir: '', poolSize: 3 });
      try {
        // Opened before any statement asks for them, so none is opened under load.
        expect((await connections()) - before).toBe(3);
        const sleeping = Array.from({ length: 8 }, () =>
          small.hot(Prisma.sql`SELECT pg_sleep(${0.3}::float8) AS "slept"`),
        );
        await new Promise((resolve) => setTimeout(resolve, 150));
        const [open] = await db.hot<{ n: number }>(
          Prisma.sql`SELECT count(*)::int AS "n" FROM pg_stat_activity
                     WHERE datname = current_database() AND query LIKE ${'%pg_sleep%'}
                       AND pid <> pg_backend_pid()`,
        );
        expect(open).toEqual({ n: 3 });
        // The others waited for a connection, and ran.
        await expect(Promise.all(sleeping)).resolves.toHaveLength(8);
      } finally {
        await small.close();
      }
    },
  );

  it.runIf(inject('postgresUrl'))(
    "reads the hot tables' catalog on every connection once the migrations have made them",
    async () => {
      // A new, empty database, as at a first deployment.
      const url = await createDatabase(inject('postgresUrl') as string, cleanups);
      const fresh = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 3 });
      const inspector = new pg.Client({ connectionString: url });
      await inspector.connect();
      // What each pool connection ran last (pg_stat_activity keeps it while idle).
      const lastStatements = async () =>
        (
          await inspector.query<{ query: string }>(
            `SELECT query FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND backend_type = 'client backend'`,
          )
        ).rows.map((row) => row.query);
      try {
        // Opened at once, but nothing read yet: the tables do not exist.
        expect(await lastStatements()).toEqual(['', '', '']);
        await applyMigrations(fresh.adapter);
        await expect(fresh.warm()).resolves.toBe(3);
        const after = await lastStatements();
        expect(after).toHaveLength(3);
        for (const query of after) expect(query).toMatch(/^SELECT 1 FROM "Post" p, "Comment" c/);
      } finally {
        await inspector.end();
        await fresh.close();
      }
    },
  );

  it('refuses a bad statement with the database error, and serves the next one', async () => {
    await expect(db.hot(Prisma.sql`SELECT * FROM "NoSuchTable"`)).rejects.toThrow(/NoSuchTable/);
    await expect(db.hot<{ one: number }>(Prisma.sql`SELECT 1::int AS "one"`)).resolves.toEqual([
      { one: 1 },
    ]);
  });
});
