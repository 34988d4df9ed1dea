// Writes notifications inside the transaction of the comment or post that causes
// them, with their deliveries (the outbox). Publishing happens after the commit,
// in the notifier.
import type { Outbox } from '../delivery/outbox.js';
import type { NotificationKind, Prisma } from '../generated/prisma/client.js';
import { type Cause, kinds, peek } from './kinds.js';

type Tx = Prisma.TransactionClient;
/** `hidden`: IN_APP was off for the kind, so nothing is published for it. */
export type Created = { id: number; recipientId: number; hidden: boolean };

// `since` replay and the live stream both rely on a recipient's notification ids
// growing in commit order. A sequence alone does not promise that: a transaction
// can take id 10, commit after the one that took id 11, and a client that already
// has 11 would never see 10. So the insert and the commit are serialised per
// recipient: a single-recipient insert holds that recipient's lock (and a shared
// global one); a fan-out holds the global lock exclusively. Held from the insert to
// the commit only, so they cost one statement's time.
const LOCK_SPACE = 0x4e07; // first key of pg_advisory_xact_lock(int, int)
const FANOUT_KEY = 0;

/**
 * Stores the notifications of one cause, in one INSERT … SELECT whatever their
 * number, which also reads the recipients' preferences and mutes: a recipient who
 * muted the post gets nothing, one with IN_APP off gets a hidden row (the other
 * channels still use it). The outbox then records the deliveries, set-based too.
 */
export async function notify(
  tx: Tx,
  kind: NotificationKind,
  cause: Cause,
  outbox: Outbox,
): Promise<Created[]> {
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
  const created = await tx.$queryRaw<Created[]>`
    INSERT INTO "Notification"
      ("recipientId", "kind", "actorId", "postId", "commentId", "message", "peek", "hidden")
    SELECT r."recipientId", ${kind}::"NotificationKind", ${cause.actorId}::int, ${cause.postId}::int,
           ${cause.commentId ?? null}::int, ${rule.message(actor.username)}, ${peek(cause.text)},
           NOT COALESCE(p."enabled", true)
    FROM (${recipients}) AS r("recipientId")
    LEFT JOIN "NotificationPreference" p ON p."userId" = r."recipientId"
      AND p."kind" = ${kind}::"NotificationKind" AND p."channel" = 'IN_APP'
    WHERE NOT EXISTS (SELECT 1 FROM "PostMute" m
                      WHERE m."userId" = r."recipientId" AND m."postId" = ${cause.postId}::int)
    ORDER BY r."recipientId"
    RETURNING "id", "recipientId", "hidden"`;
  await outbox.record(
    tx,
    kind,
    created.map((c) => c.id),
  );
  return created;
}
