// The delivery queue is the "Delivery" table itself: the rows shown in
// `Notification.deliveries` are the jobs. Shared by every channel: recording
// (set-based, in the notifications' own statement), claiming with a lease, and
// recording each attempt's outcome. See worker.ts for why no job library.
import { randomUUID } from 'node:crypto';
import {
  type NotificationChannel,
  type NotificationKind,
  Prisma,
  type PrismaClient,
} from '../generated/prisma/client.js';
import type { Claimed } from './channel.js';

// Recording: each channel adds CTEs to the statement that stores the notifications
// (notifications/store.ts), reading the new rows from its "notified" CTE, so that
// notifications and deliveries are written atomically in one round trip. Rows a
// CTE inserts are not visible to the other CTEs through the table, only through
// "notified"; foreign keys are checked at the end of the whole statement.

/** A CTE name of this channel's own: one statement holds several channels' CTEs. */
const named = (channel: NotificationChannel, part: string) =>
  Prisma.raw(`"${channel.toLowerCase()}_${part}"`);

/** How many deliveries (or digest entries) the channel's CTEs recorded: a SQL expression. */
export const recordedBy = (channel: NotificationChannel) =>
  Prisma.sql`(SELECT count(*) FROM ${named(channel, 'wanted')})::int`;

/** "notified" rows whose recipient has `channel` on for their kind (no preference row: on). */
const wantedBy = (channel: NotificationChannel) => Prisma.sql`
  FROM "notified" n
  LEFT JOIN "NotificationPreference" p ON p."userId" = n."recipientId"
    AND p."kind" = n."kind" AND p."channel" = ${channel}::"NotificationChannel"
  WHERE COALESCE(p."enabled", true)`;

/**
 * One delivery per notification whose recipient has `channel` on. Ids are drawn
 * from the sequence first so that the delivery and its item are written side by
 * side, however many there are.
 */
export function eachCtes(channel: NotificationChannel, kind: NotificationKind): Prisma.Sql {
  const wanted = named(channel, 'wanted');
  return Prisma.sql`
  ${wanted} AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('"Delivery"', 'id'))::int AS "deliveryId",
           n."id" AS "notificationId", n."recipientId"
    ${wantedBy(channel)}
  ),
  ${named(channel, 'deliveries')} AS (
    INSERT INTO "Delivery" ("id", "channel", "recipientId", "kind")
    SELECT "deliveryId", ${channel}::"NotificationChannel", "recipientId", ${kind}::"NotificationKind"
    FROM ${wanted}
  ),
  ${named(channel, 'items')} AS (
    INSERT INTO "DeliveryItem" ("deliveryId", "notificationId")
    SELECT "deliveryId", "notificationId" FROM ${wanted}
  )`;
}

/**
 * Attaches each notification to its recipient's open digest, opening one (due
 * when the window closes) where there is none. ON CONFLICT DO UPDATE locks the
 * open digest until the statement commits, so the worker (SKIP LOCKED) cannot
 * close a window that is still gaining a notification: each notification is in
 * exactly one digest. Only email has digests, so the recipient alone is the key
 * (one cause notifies each recipient once, so no digest row is touched twice).
 * Comments are stored many to a statement, which may notify one recipient twice:
 * a kind of theirs sent as a digest would need the digest rows raised once per
 * recipient, as comment-store.ts does for the counters.
 */
export function digestCtes(
  channel: NotificationChannel,
  kind: NotificationKind,
  windowSeconds: number,
): Prisma.Sql {
  const wanted = named(channel, 'wanted');
  const digests = named(channel, 'digests');
  return Prisma.sql`
  ${wanted} AS MATERIALIZED (SELECT n."id", n."recipientId" ${wantedBy(channel)}),
  ${digests} AS (
    INSERT INTO "Delivery" ("channel", "recipientId", "kind", "runAt", "openDigestFor")
    SELECT ${channel}::"NotificationChannel", "recipientId", ${kind}::"NotificationKind",
           now() + make_interval(secs => ${windowSeconds}::float8), "recipientId"
    FROM ${wanted}
    ON CONFLICT ("openDigestFor") DO UPDATE SET "updatedAt" = now()
    RETURNING "id", "openDigestFor"
  ),
  ${named(channel, 'items')} AS (
    INSERT INTO "DeliveryItem" ("deliveryId", "notificationId")
    SELECT d."id", w."id" FROM ${digests} d JOIN ${wanted} w ON w."recipientId" = d."openDigestFor"
  )`;
}

/**
 * One delivery per notification and per target of its recipient (each webhook
 * endpoint, each registered browser), where the recipient has `channel` on for the
 * kind: a failing endpoint is retried on its own, without repeating the others.
 * `targets` is a constant of the calling channel, never user input.
 */
export function perTargetCtes(
  channel: NotificationChannel,
  kind: NotificationKind,
  targets: {
    table: 'WebhookEndpoint' | 'PushSubscription';
    column: 'webhookEndpointId' | 'pushSubscriptionId';
  },
): Prisma.Sql {
  const table = Prisma.raw(`"${targets.table}"`);
  const column = Prisma.raw(`"${targets.column}"`);
  const wanted = named(channel, 'wanted');
  return Prisma.sql`
  ${wanted} AS MATERIALIZED (
    SELECT nextval(pg_get_serial_sequence('"Delivery"', 'id'))::int AS "deliveryId",
           n."id" AS "notificationId", n."recipientId", t."id" AS "targetId"
    FROM "notified" n
    JOIN ${table} t ON t."userId" = n."recipientId"
    LEFT JOIN "NotificationPreference" p ON p."userId" = n."recipientId"
      AND p."kind" = n."kind" AND p."channel" = ${channel}::"NotificationChannel"
    WHERE COALESCE(p."enabled", true)
  ),
  ${named(channel, 'deliveries')} AS (
    INSERT INTO "Delivery" ("id", "channel", "recipientId", "kind", ${column})
    SELECT "deliveryId", ${channel}::"NotificationChannel", "recipientId",
           ${kind}::"NotificationKind", "targetId"
    FROM ${wanted}
  ),
  ${named(channel, 'items')} AS (
    INSERT INTO "DeliveryItem" ("deliveryId", "notificationId")
    SELECT "deliveryId", "notificationId" FROM ${wanted}
  )`;
}

export type Lease = { token: string; deliveries: Claimed[] };

/**
 * Takes up to `limit` due deliveries for this worker until the lease runs out,
 * counting the attempt now (so one that crashes the process still counts).
 * SKIP LOCKED lets several instances claim side by side without waiting; the
 * lease makes work of a process that died claimable again once it expires.
 * Claiming a digest closes its window. Only the channels this instance has
 * configured: another instance (or a later start) with that channel takes the rest.
 *
 * Fairness: at most `perRecipient` deliveries of one recipient on one channel are
 * in flight at a time, across all instances. A user whose webhook hangs for its
 * whole deadline, with a thousand deliveries queued, then holds that many worker
 * slots and no more; everyone else's deliveries are claimed past theirs.
 */
export async function claim(
  prisma: PrismaClient,
  channels: NotificationChannel[],
  limit: number,
  leaseMs: number,
  perRecipient: number,
): Promise<Lease> {
  const token = randomUUID();
  const deliveries = await prisma.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT d."id", d."recipientId", d."channel", d."runAt", busy."n" AS "busy"
      FROM "Delivery" d
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS "n" FROM "Delivery" b
        WHERE b."recipientId" = d."recipientId" AND b."channel" = d."channel"
          AND b."status" = 'PENDING' AND b."leasedUntil" >= now()) busy
      WHERE d."status" = 'PENDING' AND d."runAt" <= now()
        AND d."channel"::text = ANY(${channels}::text[])
        AND (d."leasedUntil" IS NULL OR d."leasedUntil" < now())
        AND busy."n" < ${perRecipient}::int
      ORDER BY d."runAt"
      LIMIT ${limit * 4}::int
      FOR UPDATE OF d SKIP LOCKED
    ), picked AS (
      SELECT "id" FROM (
        SELECT "id", "runAt", "busy" + row_number() OVER (
          PARTITION BY "recipientId", "channel" ORDER BY "runAt", "id") AS "slot"
        FROM due) ranked
      WHERE "slot" <= ${perRecipient}::int
      ORDER BY "runAt"
      LIMIT ${limit}::int
    )
    UPDATE "Delivery" d
    SET "attempts" = d."attempts" + 1, "leaseToken" = ${token},
        "leasedUntil" = now() + make_interval(secs => ${leaseMs / 1000}::float8),
        "openDigestFor" = NULL, "updatedAt" = now()
    FROM picked WHERE d."id" = picked."id"
    RETURNING d."id", d."channel", d."kind", d."recipientId", d."attempts"`;
  return { token, deliveries };
}

export type Outcome =
  | { status: 'SENT' }
  | { status: 'FAILED'; error: string }
  | { status: 'RETRY'; error: string; delayMs: number };

/**
 * Records an attempt's outcome, only while this worker still holds the lease: a
 * worker that overran its lease (and whose delivery was retaken) changes nothing.
 */
export async function finish(prisma: PrismaClient, id: number, token: string, outcome: Outcome) {
  const error = outcome.status === 'SENT' ? null : outcome.error;
  const delay = outcome.status === 'RETRY' ? outcome.delayMs / 1000 : 0;
  const status = outcome.status === 'RETRY' ? 'PENDING' : outcome.status;
  await prisma.$executeRaw`
    UPDATE "Delivery"
    SET "status" = ${status}::"DeliveryStatus",
        "lastError" = COALESCE(${error}::text, "lastError"),
        "runAt" = now() + make_interval(secs => ${delay}::float8),
        "leaseToken" = NULL, "leasedUntil" = NULL, "updatedAt" = now()
    WHERE "id" = ${id}::int AND "leaseToken" = ${token}`;
}
