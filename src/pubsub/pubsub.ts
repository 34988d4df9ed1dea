// The one small interface between "something happened to user X" and the
// subscriptions listening for X. A notification event carries the stored
// notification with its per-recipient sequence number, so a subscriber that
// expects exactly that number delivers it without reading the database; one that
// sees a gap (a lost or reordered event) reads the database, which stays the
// truth. Events are JSON on every transport (a date is an ISO string).

/** A stored notification as it travels: its row plus what common selections ask of its relations. */
export type NotificationPayload = {
  id: number;
  /** 1, 2, 3… per recipient, in commit order. */
  seq: number;
  recipientId: number;
  kind: 'COMMENT_ON_POST' | 'NEW_POST_BY_FOLLOWED';
  actorId: number;
  postId: number | null;
  commentId: number | null;
  message: string;
  peek: string;
  read: boolean;
  createdAt: string;
  actor: { id: number; username: string };
  post: { id: number; title: string } | null;
  comment: { id: number; text: string } | null;
};

export type UserEvent =
  /** A notification for this user was committed; without `notification`, a wake-up only. */
  | { type: 'notification'; id: number; seq: number; notification?: NotificationPayload }
  /** Some of this user's notifications were marked read. */
  | { type: 'read' }
  /** Every token of this user was revoked (log-out, new password): close their sockets. */
  | { type: 'revoked' }
  /** On the EVERYONE topic: some tokens of this user were revoked (forget their version). */
  | { type: 'tokensRevoked'; userId: number }
  /** Events may have been lost (the transport reconnected): re-read everything. */
  | { type: 'resync' };

export type UserMessage = { userId: number; event: UserEvent };

/**
 * The topic every instance listens to, for events about any user (a token
 * revocation). User ids start at 1, so no user's own topic is this one.
 */
export const EVERYONE = 0;

export type Listener = (event: UserEvent) => void;

export interface PubSub {
  /** Sends each event to its user's topic. Resolves once handed to the transport. */
  publish(messages: readonly UserMessage[]): Promise<void>;
  /**
   * Starts delivering a user's events to `listener`; resolves once delivery is
   * live, with the function that stops it.
   */
  subscribe(userId: number, listener: Listener): Promise<() => Promise<void>>;
  /** Whether events can flow right now (for /ready). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * One cause's notification events (a post's fan-out) packed as one message: they
 * differ only in recipient, id and number, so the rest travels once.
 */
export type PackedCause = {
  shared: Omit<NotificationPayload, 'id' | 'seq' | 'recipientId'>;
  ids: number[];
  seqs: number[];
  recipientIds: number[];
};

/**
 * The messages packed, when they are notification events that share every other
 * field (compared by value, and by identity for the nested objects, which one
 * cause's notifications share); undefined otherwise.
 */
export function packCause(messages: readonly UserMessage[]): PackedCause | undefined {
  const first = messages[0]?.event;
  if (first?.type !== 'notification' || !first.notification) return undefined;
  const { id: _id, seq: _seq, recipientId: _recipientId, ...shared } = first.notification;
  const keys = Object.keys(shared) as (keyof typeof shared)[];
  const packed: PackedCause = { shared, ids: [], seqs: [], recipientIds: [] };
  for (const { userId, event } of messages) {
    const notification = event.type === 'notification' ? event.notification : undefined;
    if (!notification || notification.recipientId !== userId) return undefined;
    for (const key of keys) if (notification[key] !== shared[key]) return undefined;
    packed.ids.push(notification.id);
    packed.seqs.push(notification.seq);
    packed.recipientIds.push(userId);
  }
  return packed;
}

/** The messages of a packed cause, as they were before packing, made as they are iterated. */
export function* unpackCause(packed: PackedCause): Generator<UserMessage> {
  for (let i = 0; i < packed.ids.length; i++) {
    const id = packed.ids[i] as number;
    const seq = packed.seqs[i] as number;
    const recipientId = packed.recipientIds[i] as number;
    yield {
      userId: recipientId,
      event: {
        type: 'notification',
        id,
        seq,
        notification: { ...packed.shared, id, seq, recipientId },
      },
    };
  }
}
