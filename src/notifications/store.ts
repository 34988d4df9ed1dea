// Writes notifications inside the transaction of the comment or post that causes
// them, and publishes them only after that transaction has committed.
import type { Prisma } from '../generated/prisma/client.js';
import type { PubSub } from '../pubsub/pubsub.js';
import { commentMessage, newPostMessage, peek } from './rules.js';

type Tx = Prisma.TransactionClient;
export type Created = { id: number; recipientId: number };

// `since` replay and the live stream both rely on a recipient's notification ids
// growing in commit order. A sequence alone does not promise that: a transaction
// can take id 10, commit after the one that took id 11, and a client that already
// has 11 would never see 10. So the insert and the commit are serialised per
// recipient: a single-recipient insert holds that recipient's lock (and a shared
// global one); a fan-out holds the global lock exclusively. Held from the insert to
// the commit only, so they cost one statement's time.
const LOCK_SPACE = 0x4e07; // first key of pg_advisory_xact_lock(int, int)
const FANOUT_KEY = 0;

async function lockRecipient(tx: Tx, recipientId: number) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${LOCK_SPACE}::int, ${FANOUT_KEY}::int)`;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_SPACE + 1}::int, ${recipientId}::int)`;
}

async function lockEveryRecipient(tx: Tx) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_SPACE}::int, ${FANOUT_KEY}::int)`;
}

/** A comment on someone else's post notifies the post's author; a self-comment nobody. */
export async function notifyComment(
  tx: Tx,
  comment: { id: number; text: string; postId: number; authorId: number },
  postAuthorId: number,
): Promise<Created[]> {
  if (postAuthorId === comment.authorId) return [];
  const commenter = await tx.user.findUniqueOrThrow({
    where: { id: comment.authorId },
    select: { username: true },
  });
  await lockRecipient(tx, postAuthorId);
  const created = await tx.notification.create({
    data: {
      recipientId: postAuthorId,
      kind: 'COMMENT_ON_POST',
      actorId: comment.authorId,
      postId: comment.postId,
      commentId: comment.id,
      message: commentMessage(commenter.username),
      peek: peek(comment.text),
    },
    select: { id: true, recipientId: true },
  });
  return [created];
}

/** A new post notifies every follower of its author, in one INSERT … SELECT. */
export async function notifyNewPost(
  tx: Tx,
  post: { id: number; title: string; authorId: number },
): Promise<Created[]> {
  const author = await tx.user.findUniqueOrThrow({
    where: { id: post.authorId },
    select: { username: true },
  });
  await lockEveryRecipient(tx);
  // Raw SQL because Prisma has no INSERT … SELECT: the follower ids never leave
  // the database, however many there are.
  return tx.$queryRaw<Created[]>`
    INSERT INTO "Notification" ("recipientId", "kind", "actorId", "postId", "message", "peek")
    SELECT "followerId", 'NEW_POST_BY_FOLLOWED'::"NotificationKind", ${post.authorId}::int,
           ${post.id}::int, ${newPostMessage(author.username)}, ${peek(post.title)}
    FROM "Follow" WHERE "followingId" = ${post.authorId}::int
    ORDER BY "followerId"
    RETURNING "id", "recipientId"`;
}

/** After commit: tell each recipient's subscribers that something arrived. */
export function publishCreated(pubsub: PubSub, created: readonly Created[]) {
  return pubsub.publish(
    created.map(({ id, recipientId }) => ({
      userId: recipientId,
      event: { type: 'notification', id },
    })),
  );
}
