// Writes notifications inside the transaction of the comment or post that causes
// them. Publishing happens after the commit, in the notifier.
import type { NotificationKind, Prisma } from '../generated/prisma/client.js';
import { type Cause, kinds, peek } from './kinds.js';

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

/** Stores the notifications of one cause, in one INSERT … SELECT whatever their number. */
export async function notify(tx: Tx, kind: NotificationKind, cause: Cause): Promise<Created[]> {
  const rule = kinds[kind];
  const recipients = rule.recipients(cause);
  const actor = await tx.user.findUniqueOrThrow({
    where: { id: cause.actorId },
    select: { username: true },
  });
  if (rule.fanOut) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_SPACE}::int, ${FANOUT_KEY}::int)`;
  } else {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${LOCK_SPACE}::int, ${FANOUT_KEY}::int)`;
    await tx.$queryRaw`
      SELECT pg_advisory_xact_lock(${LOCK_SPACE + 1}::int, r."recipientId")::text
      FROM (${recipients}) AS r("recipientId")`;
  }
  // Raw SQL because Prisma has no INSERT … SELECT.
  return tx.$queryRaw<Created[]>`
    INSERT INTO "Notification" ("recipientId", "kind", "actorId", "postId", "commentId", "message", "peek")
    SELECT r."recipientId", ${kind}::"NotificationKind", ${cause.actorId}::int, ${cause.postId}::int,
           ${cause.commentId ?? null}::int, ${rule.message(actor.username)}, ${peek(cause.text)}
    FROM (${recipients}) AS r("recipientId")
    ORDER BY r."recipientId"
    RETURNING "id", "recipientId"`;
}
