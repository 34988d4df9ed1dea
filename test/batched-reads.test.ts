// The reads every new connection makes (src/db/batched-reads.ts): calls made within
// a few milliseconds share one statement, even from separate callbacks (as the
// messages of separate sockets arrive), each gets its own user's value, and nothing
// is remembered between batches (a revocation check must see the latest version).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBatchedReads } from '../src/db/batched-reads.js';
import { type Database, openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import type { HotStatements } from '../src/db/prepared.js';
import { createDatabase } from './helpers/server.js';
import { insertUser } from './helpers/users.js';

let db: Database;
const cleanups: Array<() => Promise<void> | void> = [];
let ann: number;
let bob: number;

beforeAll(async () => {
  const adminUrl = inject('postgresUrl');
  const databaseUrl = adminUrl ? await createDatabase(adminUrl, cleanups) : undefined;
  db = await openDatabase(databaseUrl ? { databaseUrl, dataDir: '' } : { dataDir: 'memory://' });
  await applyMigrations(db.adapter);
  ann = (await insertUser(db.prisma, 'ann')).id;
  bob = (await insertUser(db.prisma, 'bob')).id;
  await db.prisma.user.update({ where: { id: bob }, data: { tokenVersion: 3 } });
  await db.prisma.notificationCounter.create({ data: { userId: ann, seq: 7 } });
});

afterAll(async () => {
  await db?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The database's statements, counted. */
function counting() {
  const counter = { statements: 0 };
  const hot: HotStatements = (statement) => {
    counter.statements++;
    return db.hot(statement);
  };
  return { reads: createBatchedReads(hot), counter };
}

describe('batched reads', () => {
  it("answers each user's token version, null for a user that does not exist", async () => {
    const { reads } = counting();
    await expect(
      Promise.all([reads.tokenVersion(ann), reads.tokenVersion(bob), reads.tokenVersion(999_999)]),
    ).resolves.toEqual([0, 3, null]);
  });

  it("answers each user's newest notification number, 0 before their first", async () => {
    const { reads } = counting();
    await expect(
      Promise.all([reads.lastNotificationNumber(ann), reads.lastNotificationNumber(bob)]),
    ).resolves.toEqual([7, 0]);
  });

  it('reads the calls of one turn with one statement, those made in separate callbacks too', async () => {
    const { reads, counter } = counting();
    // As sockets' messages arrive: each in its own callback of the same turn.
    const calls = await new Promise<Promise<number | null>[]>((resolve) => {
      const made: Promise<number | null>[] = [];
      for (const id of [ann, bob, ann]) {
        setImmediate(() => {
          made.push(reads.tokenVersion(id));
          if (made.length === 3) resolve(made);
        });
      }
    });
    await expect(Promise.all(calls)).resolves.toEqual([0, 3, 0]);
    expect(counter.statements).toBe(1);
  });

  it('waits a moment for more: calls a millisecond apart share one statement', async () => {
    const { reads, counter } = counting();
    const later = <T>(ms: number, read: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => setTimeout(() => read().then(resolve, reject), ms));
    // Both timers are due before the batch's own, which the first call starts after
    // them: Node runs overdue timers in the order they fall due, so even a test
    // stalled for longer than the batch's wait sees them join it.
    const second = later(1, () => reads.lastNotificationNumber(ann));
    const third = later(2, () => reads.tokenVersion(bob));
    const first = reads.tokenVersion(ann);
    await expect(Promise.all([first, second, third])).resolves.toEqual([0, 7, 3]);
    // One statement per kind of read, not one per call.
    expect(counter.statements).toBe(2);
  });

  it('remembers nothing: a later call reads what the database holds then', async () => {
    const { reads, counter } = counting();
    expect(await reads.tokenVersion(ann)).toBe(0);
    await db.prisma.user.update({ where: { id: ann }, data: { tokenVersion: 1 } });
    expect(await reads.tokenVersion(ann)).toBe(1);
    expect(counter.statements).toBe(2);
    await db.prisma.user.update({ where: { id: ann }, data: { tokenVersion: 0 } });
  });

  it('fails every call of a batch when its statement fails', async () => {
    const failing = createBatchedReads(async () => {
      throw new Error('database away');
    });
    const results = await Promise.allSettled([
      failing.tokenVersion(ann),
      failing.tokenVersion(bob),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
