// Stores comments with the notification each one causes, many comments in one
// statement (db/write-groups.ts says when they are grouped). One statement
// checks the posts, writes the comments, numbers and writes their notifications,
// and records their deliveries (the outbox): atomic without a transaction, in
// one round trip. Publishing happens after the commit, in the notifier.
import type { HotStatements } from '../db/prepared.js';
import { writeGroups } from '../db/write-groups.js';
import type { Outbox } from '../delivery/outbox.js';
import { Prisma } from '../generated/prisma/client.js';
import { kinds, peek } from './kinds.js';
import type { Created, Stored } from './store.js';

export type NewComment = { postId: number; authorId: number; text: string };

export type StoredComment = {
  comment: { id: number; text: string; postId: number; authorId: number; createdAt: Date };
  stored: Stored;
};

export type CommentStore = {
  /** Stores the comment and its notification; undefined when the post does not exist. */
  write(comment: NewComment): Promise<StoredComment | undefined>;
};

/**
 * How many comment statements may be in flight at once. Fewer make bigger groups
 * (less work per comment for PostgreSQL), more let a group that waits on a lock
 * (a post's fan-out holds its followers' counters until it commits) hold up
 * fewer comments. One, two and four did alike in the bench's steady scenario.
 */
const IN_FLIGHT = 2;
/** The most comments in one statement. */
const MAX_GROUP = 64;

export function createCommentStore(hot: HotStatements, outbox: Outbox): CommentStore {
  const groups = writeGroups<NewComment, Row | undefined>(
    async (comments) => {
      const rows = await hot<Row>(statement(outbox, comments));
      const byOrder = new Map(rows.map((row) => [row.ord, row]));
      // A comment whose post is gone has no row.
      return comments.map((_, i) => byOrder.get(i + 1));
    },
    { inFlight: IN_FLIGHT, maxGroup: MAX_GROUP, retryAlone: refusedByData },
  );
  // The rows are read once their group has committed, outside what may be retried.
  return {
    write: async (comment) => {
      const row = await groups.write(comment);
      return row && storedComment(row);
    },
  };
}

/**
 * PostgreSQL refused the statement for its data, and rolled it back: a value out
 * of range or malformed (SQLSTATE class 22), a constraint (23), a deadlock or
 * serialization failure (40). Both drivers carry the SQLSTATE as `code`.
 */
function refusedByData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|40)/.test(code);
}

/** One stored comment, with its notification's columns when it caused one. */
type Row = {
  /** The comment's place in the group, from 1. */
  ord: number;
  id: number;
  text: string;
  postId: number;
  authorId: number;
  createdAt: Date;
  postTitle: string;
  deliveries: number;
  notificationId: number | null;
  recipientId: number | null;
  seq: number | null;
  hidden: boolean | null;
  message: string | null;
  peek: string | null;
  notifiedAt: Date | null;
  actorUsername: string | null;
};

/**
 * The comments arrive as arrays, one per column, so the statement's text is the
 * same for any number of them: it stays one prepared statement (db/prepared.ts).
 * Each array is read through a sub-select, which hides its length from the
 * planner: PostgreSQL otherwise planned the statement again for most runs (720
 * of 1,980 at 200 comments a second, 0.73 ms each, counted by
 * pg_stat_statements), since a plan for one known row looked cheaper than the
 * kept plan for an array of unknown length.
 *
 * Each recipient's counter row is raised once by the count of their new
 * notifications in the group (PostgreSQL refuses to update one row twice in one
 * statement), and the notifications take the numbers below it in the comments'
 * order. The counter rows are taken in user id order and held until commit, so
 * numbers (and ids, taken after) grow in commit order per recipient, and two
 * statements with common recipients cannot deadlock.
 */
function statement(outbox: Outbox, comments: NewComment[]): Prisma.Sql {
  const rule = kinds.COMMENT_ON_POST;
  return Prisma.sql`
  WITH "input" AS MATERIALIZED (
    SELECT i."postId", i."authorId", i."text", i."peek", i."ord"::int AS "ord"
    FROM unnest((SELECT ${comments.map((c) => c.postId)}::int[]),
                (SELECT ${comments.map((c) => c.authorId)}::int[]),
                (SELECT ${comments.map((c) => c.text)}::text[]),
                (SELECT ${comments.map((c) => peek(c.text))}::text[]))
      WITH ORDINALITY AS i("postId", "authorId", "text", "peek", "ord")
  ),
  -- FOR SHARE keeps the posts from being deleted until commit. A comment on a post
  -- deleted just before finds none: no comment, no notification.
  "post" AS (
    SELECT "id", "title", "authorId" FROM "Post"
    WHERE "id" IN (SELECT "postId" FROM "input") ORDER BY "id" FOR SHARE
  ),
  -- The comments' ids are drawn here, so that each comes back beside its input.
  "wanted" AS MATERIALIZED (
    SELECT i.*, p."title", p."authorId" AS "postAuthorId",
           nextval(pg_get_serial_sequence('"Comment"', 'id'))::int AS "commentId"
    FROM "input" i JOIN "post" p ON p."id" = i."postId"
    ORDER BY i."ord"
  ),
  "comment" AS (
    INSERT INTO "Comment" ("id", "text", "postId", "authorId")
    SELECT "commentId", "text", "postId", "authorId" FROM "wanted" ORDER BY "ord"
    RETURNING *
  ),
  "actor" AS (SELECT "id", "username" FROM "User" WHERE "id" IN (SELECT "authorId" FROM "input")),
  -- The post's author (kinds.ts), unless they wrote the comment or muted the post.
  "recipients" AS (
    SELECT w."ord", w."commentId", w."postId", w."authorId", w."peek", w."postAuthorId" AS "recipientId"
    FROM "wanted" w
    WHERE w."postAuthorId" <> w."authorId"
      AND NOT EXISTS (SELECT 1 FROM "PostMute" m
                      WHERE m."userId" = w."postAuthorId" AND m."postId" = w."postId")
  ),
  "counts" AS (SELECT "recipientId", count(*)::int AS "n" FROM "recipients" GROUP BY "recipientId"),
  "numbered" AS (
    INSERT INTO "NotificationCounter" AS c ("userId", "seq")
    SELECT "recipientId", "n" FROM "counts" ORDER BY "recipientId"
    ON CONFLICT ("userId") DO UPDATE SET "seq" = c."seq" + EXCLUDED."seq"
    RETURNING c."userId" AS "recipientId", c."seq" AS "last"
  ),
  "notified" AS (
    INSERT INTO "Notification"
      ("recipientId", "seq", "kind", "actorId", "postId", "commentId", "message", "peek", "hidden")
    SELECT r."recipientId",
           k."last" - n."n" + row_number() OVER (PARTITION BY r."recipientId" ORDER BY r."ord"),
           'COMMENT_ON_POST'::"NotificationKind", r."authorId", r."postId", r."commentId",
           ${rule.message(Prisma.sql`a."username"`)}, r."peek", NOT COALESCE(p."enabled", true)
    FROM "recipients" r
    JOIN "numbered" k ON k."recipientId" = r."recipientId"
    JOIN "counts" n ON n."recipientId" = r."recipientId"
    JOIN "actor" a ON a."id" = r."authorId"
    LEFT JOIN "NotificationPreference" p ON p."userId" = r."recipientId"
      AND p."kind" = 'COMMENT_ON_POST' AND p."channel" = 'IN_APP'
    ORDER BY r."recipientId", r."ord"
    RETURNING *
  ),
  ${outbox.ctes('COMMENT_ON_POST')}
  SELECT w."ord", c."id", c."text", c."postId", c."authorId", c."createdAt", w."title" AS "postTitle",
         (SELECT "n" FROM "recorded") AS "deliveries",
         n."id" AS "notificationId", n."recipientId", n."seq", n."hidden", n."message", n."peek",
         n."createdAt" AS "notifiedAt", a."username" AS "actorUsername"
  FROM "comment" c
  JOIN "wanted" w ON w."commentId" = c."id"
  LEFT JOIN "notified" n ON n."commentId" = c."id"
  LEFT JOIN "actor" a ON a."id" = c."authorId"`;
}

function storedComment(row: Row): StoredComment {
  const post = { id: row.postId, title: row.postTitle };
  const notifications: Created[] = [];
  if (row.notificationId !== null) {
    notifications.push({
      id: row.notificationId,
      recipientId: row.recipientId as number,
      seq: row.seq as number,
      hidden: row.hidden as boolean,
      kind: 'COMMENT_ON_POST',
      actorId: row.authorId,
      postId: row.postId,
      commentId: row.id,
      message: row.message as string,
      peek: row.peek as string,
      read: false,
      createdAt: (row.notifiedAt as Date).toISOString(),
      actor: { id: row.authorId, username: row.actorUsername as string },
      post,
      comment: { id: row.id, text: row.text },
    });
  }
  const { id, text, postId, authorId, createdAt } = row;
  return {
    comment: { id, text, postId, authorId, createdAt },
    // Every comment of the group reports the group's deliveries (not its own): the
    // notifier only asks whether there are any, to wake the delivery worker.
    stored: { notifications, deliveries: row.deliveries },
  };
}
