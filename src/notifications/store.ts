// Writes notifications in the same SQL statement as the post that causes them (one
// round trip), reading the recipients' preferences and mutes in it too. Comments,
// many at a time, have a statement of their own (comment-store.ts) on the same lines.
// When a delivery channel is on, the same statement records the deliveries (the
// outbox). Publishing happens after the commit, in the notifier.

import type { HotStatements } from '../db/prepared.js';
import type { Outbox } from '../delivery/outbox.js';
import { type NotificationKind, Prisma } from '../generated/prisma/client.js';
import type { NotificationPayload } from '../pubsub/pubsub.js';
import { type Cause, kinds, peek } from './kinds.js';

/**
 * A stored notification, as the notifier publishes it. `hidden`: IN_APP was off for
 * its kind, so it is kept for the other channels and published to nobody.
 */
export type Created = NotificationPayload & { hidden: boolean };

const asId = (value: number | Prisma.Sql | undefined) =>
  value === undefined ? Prisma.sql`NULL` : typeof value === 'number' ? Prisma.sql`${value}` : value;

/**
 * The CTEs (to follow `WITH` and other CTEs) that store one cause's notifications
 * in one INSERT … SELECT, whatever their number; `"notified"` then holds the rows,
 * `"actor"` the actor's username and `"recorded"` how many deliveries the outbox
 * recorded for them.
 *
 * Each recipient's counter row (`NotificationCounter`, made at their first
 * notification) is raised by the same statement, which numbers their notifications
 * 1, 2, 3… and holds that row's lock until commit: a second cause for the same
 * recipient waits, so numbers (and ids, taken after the lock) grow in commit order
 * per recipient. The rows are taken in user id order, so two fan-outs with common
 * followers cannot deadlock.
 */
export function notificationCtes(kind: NotificationKind, cause: Cause, outbox: Outbox): Prisma.Sql {
  const rule = kinds[kind];
  const notified = Prisma.sql`
  "actor" AS (SELECT "username" FROM "User" WHERE "id" = ${cause.actorId}::int),
  "recipients" AS (
    SELECT u."id" FROM "User" u
    WHERE u."id" IN (${rule.recipients(cause)})
      -- Nothing about a post its recipient muted, on any channel.
      AND NOT EXISTS (SELECT 1 FROM "PostMute" m
                      WHERE m."userId" = u."id" AND m."postId" = ${asId(cause.postId)}::int)
  ),
  "numbered" AS (
    INSERT INTO "NotificationCounter" AS c ("userId", "seq")
    SELECT "id", 1 FROM "recipients" ORDER BY "id"
    ON CONFLICT ("userId") DO UPDATE SET "seq" = c."seq" + 1
    RETURNING c."userId" AS "recipientId", c."seq"
  ),
  "notified" AS (
    INSERT INTO "Notification"
      ("recipientId", "seq", "kind", "actorId", "postId", "commentId", "message", "peek", "hidden")
    SELECT n."recipientId", n."seq", ${kind}::"NotificationKind", ${cause.actorId}::int,
           ${asId(cause.postId)}::int, ${asId(cause.commentId)}::int,
           ${rule.message(Prisma.sql`a."username"`)}, ${peek(cause.text)},
           NOT COALESCE(p."enabled", true)
    FROM "numbered" n CROSS JOIN "actor" a
    LEFT JOIN "NotificationPreference" p ON p."userId" = n."recipientId"
      AND p."kind" = ${kind}::"NotificationKind" AND p."channel" = 'IN_APP'
    ORDER BY n."recipientId"
    RETURNING *
  )`;
  // Every channel's deliveries of them, recorded by the same statement.
  return Prisma.sql`${notified},${outbox.ctes(kind)}`;
}

/**
 * A text column (name it with AS) holding the stored notifications as JSON, decoded
 * by `createdFrom`. The notifications of one cause differ only in id, recipient and
 * number, so those come as arrays and the rest once: a post's fan-out to 10,000
 * followers is then a few hundred kilobytes, not 3 MB of objects to build and parse.
 * Text, so that no driver's JSON handling gets in the way.
 */
export const NOTIFIED_JSON = Prisma.sql`(
  SELECT json_build_object(
    'ids', array_agg(n."id" ORDER BY n."recipientId"),
    'recipientIds', array_agg(n."recipientId" ORDER BY n."recipientId"),
    'seqs', array_agg(n."seq" ORDER BY n."recipientId"),
    'hidden', array_agg(n."hidden" ORDER BY n."recipientId"),
    'shared', (
      SELECT json_build_object(
        'kind', s."kind", 'actorId', s."actorId", 'postId', s."postId", 'commentId', s."commentId",
        'message', s."message", 'peek', s."peek", 'read', s."read",
        'createdAt', s."createdAt" AT TIME ZONE 'UTC', 'actorUsername', a."username")
      FROM "notified" s CROSS JOIN "actor" a LIMIT 1),
    'deliveries', (SELECT "n" FROM "recorded")
  )::text
  FROM "notified" n)`;

type StoredJson = {
  deliveries: number;
  ids: number[] | null;
  recipientIds: number[] | null;
  seqs: number[] | null;
  hidden: boolean[] | null;
  shared:
    | (Omit<Created, 'id' | 'seq' | 'recipientId' | 'hidden' | 'actor' | 'post' | 'comment'> & {
        actorUsername: string;
      })
    | null;
};

/**
 * What one cause stored: its notifications, and how many deliveries the outbox
 * recorded (for a comment, its group's: comment-store.ts).
 */
export type Stored = { notifications: Created[]; deliveries: number };

/** What a `NOTIFIED_JSON` column holds, with the post and comment the cause wrote or read. */
export function createdFrom(
  json: string,
  about: { post: Created['post']; comment: Created['comment'] },
): Stored {
  const { deliveries, ids, recipientIds, seqs, hidden, shared } = JSON.parse(json) as StoredJson;
  if (!ids || !recipientIds || !seqs || !hidden || !shared)
    return { notifications: [], deliveries };
  const { actorUsername, ...fields } = shared;
  const common = {
    ...fields,
    createdAt: new Date(fields.createdAt).toISOString(),
    actor: { id: fields.actorId, username: actorUsername },
    post: about.post,
    comment: about.comment,
  };
  const notifications = ids.map((id, i) => ({
    ...common,
    id,
    recipientId: recipientIds[i] as number,
    seq: seqs[i] as number,
    hidden: hidden[i] as boolean,
  }));
  return { notifications, deliveries };
}

/**
 * Runs a mutation's one statement (built with `notificationCtes` and selecting
 * `NOTIFIED_JSON` AS "notified"): alone, it is atomic without a transaction, in
 * one round trip. It runs as a prepared statement, straight on the driver (see
 * db/prepared.ts): planning these CTEs costs PostgreSQL about as much as running them.
 */
export async function writeCause<Row extends { notified: string }>(
  hot: HotStatements,
  statement: Prisma.Sql,
): Promise<Row | undefined> {
  const [row] = await hot<Row>(statement);
  return row;
}
