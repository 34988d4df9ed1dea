// Who is told what: one entry per kind of notification. A new kind ("someone liked
// your post") adds an entry here, the mutation that causes it, and a migration for
// its enum value; the store, the notifier and the streams need no change.
import { type NotificationKind, Prisma } from '../generated/prisma/client.js';

/**
 * What caused a notification: who acted, on which post or comment, with which text.
 * An id may be an SQL expression, for a row written by the same statement (a new
 * post and its notifications are one statement, see store.ts; comments have their
 * own, comment-store.ts).
 */
export type Cause = {
  actorId: number;
  postId: number | Prisma.Sql;
  commentId?: number | Prisma.Sql;
  /** The text the peek is cut from (a comment's text, a post's title). */
  text: string;
};

export type KindRule = {
  /** For the GraphQL enum NotificationKind. */
  description: string;
  /**
   * The recipients as SQL: a SELECT of one column of user ids. Never the actor.
   * It runs inside the INSERT … SELECT, so recipient ids never leave the database.
   */
  recipients(cause: Cause): Prisma.Sql;
  /** The message as SQL, from the actor's username as SQL: it is read in the same INSERT. */
  message(actorUsername: Prisma.Sql): Prisma.Sql;
};

export const kinds: Record<NotificationKind, KindRule> = {
  COMMENT_ON_POST: {
    description: 'Someone else commented on a post of the recipient.',
    // A comment on someone else's post tells the post's author; a self-comment nobody.
    // Comments are stored many to a statement, which applies this rule in its own
    // words (comment-store.ts): a change here must be made there too.
    recipients: ({ postId, actorId }) => Prisma.sql`
      SELECT "authorId" FROM "Post" WHERE "id" = ${postId}::int AND "authorId" <> ${actorId}::int`,
    message: (actor) => Prisma.sql`${actor} || ${' commented on your post.'}`,
  },
  NEW_POST_BY_FOLLOWED: {
    description: 'A user the recipient follows published a new post.',
    recipients: ({ actorId }) => Prisma.sql`
      SELECT "followerId" FROM "Follow" WHERE "followingId" = ${actorId}::int`,
    message: (actor) => Prisma.sql`${actor} || ${' published a new post.'}`,
  },
};

/** The first 10 characters followed by "...", counted in characters, not UTF-16 units. */
export function peek(text: string): string {
  return `${Array.from(text).slice(0, 10).join('')}...`;
}
