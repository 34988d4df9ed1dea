// What every delivery channel (email now; Web Push and webhooks next) provides.
// The queue, the retries, the leases and the records are shared (queue.ts,
// worker.ts); a channel only says who it applies to, how one delivery is
// attempted, and which failures are final.
import type { NotificationChannel, NotificationKind, Prisma } from '../generated/prisma/client.js';

/** One delivery as the worker claimed it. */
export type Claimed = {
  id: number;
  channel: NotificationChannel;
  kind: NotificationKind;
  recipientId: number;
  /** Attempts made so far, this one included. */
  attempts: number;
};

/** Why an attempt failed: a short line for `lastError`, and whether retrying can help. */
export type Failure = { reason: string; permanent: boolean };

export type Channel = {
  channel: Exclude<NotificationChannel, 'IN_APP'>;
  /**
   * Who it applies to: CTEs for the statement that stores new notifications (all
   * of one kind, in its "notified" CTE), recording this channel's deliveries of
   * them in set-based SQL that reads the recipients' preferences itself.
   */
  record(kind: NotificationKind): Prisma.Sql;
  /** Makes one attempt; resolves when the far end accepted it, throws otherwise. */
  attempt(delivery: Claimed): Promise<void>;
  /** What a thrown error means. Never includes an address or a stack. */
  classify(error: unknown): Failure;
  close(): Promise<void>;
};
