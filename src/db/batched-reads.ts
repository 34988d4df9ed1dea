// The reads every new connection makes, batched: its user's token version (for the
// first token of a user this instance sees) and where its notifications stand (the
// number a new subscription starts after). The calls made within a few milliseconds
// of each other share one statement each (batch-window.ts).
//
// Through Prisma each of these was its own query: Prisma batches only the calls
// made in one tick, and the sockets' messages arrive in separate callbacks. It also
// compiled a new plan for every batch size it did see. While 19,000 sockets
// connected, Prisma and these queries' socket writes took about a fifth of the
// server's CPU (profiled). Batching across callbacks means waiting, which
// DataLoader's schedule option allows. Nothing is cached: every call reads what the
// database holds after it was made, which the revocation checks rely on.
import DataLoader from 'dataloader';
import { BATCH_WINDOW_MS } from '../batch-window.js';
import { Prisma } from '../generated/prisma/client.js';
import type { HotStatements } from './prepared.js';

export type BatchedReads = {
  /** The user's token version; null for a user that does not exist (deleted). */
  tokenVersion(userId: number): Promise<number | null>;
  /** The number of the user's newest notification; 0 before their first. */
  lastNotificationNumber(userId: number): Promise<number>;
};

// The most ids one statement reads; more wait for the next one.
const MAX_BATCH = 1_000;

export function createBatchedReads(hot: HotStatements): BatchedReads {
  /** A loader of one value per id, absent ids answered with `missing`. */
  const byId = <V>(read: (ids: readonly number[]) => Prisma.Sql, missing: V) => {
    const loader = new DataLoader<number, V>(
      async (ids) => {
        const rows = await hot<{ id: number; value: V }>(read(ids));
        const values = new Map(rows.map((row) => [row.id, row.value]));
        return ids.map((id) => values.get(id) ?? missing);
      },
      {
        cache: false,
        maxBatchSize: MAX_BATCH,
        batchScheduleFn: (run) => setTimeout(run, BATCH_WINDOW_MS),
      },
    );
    return (id: number) => loader.load(id);
  };
  return {
    // The statements' text never changes, so each is one prepared statement whatever the batch size.
    tokenVersion: byId<number | null>(
      (ids) => Prisma.sql`
        SELECT "id", "tokenVersion" AS "value" FROM "User" WHERE "id" = ANY(${ids}::int[])`,
      null,
    ),
    lastNotificationNumber: byId<number>(
      (ids) => Prisma.sql`
        SELECT "userId" AS "id", "seq" AS "value" FROM "NotificationCounter"
        WHERE "userId" = ANY(${ids}::int[])`,
      0,
    ),
  };
}
