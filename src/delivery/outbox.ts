// The transactional outbox: notifications and their deliveries are written in the
// same transaction, so a delivery can neither be lost (committed without its
// record) nor sent for a notification that was rolled back. The worker sends
// them after the commit, off the request path.
import type { NotificationKind } from '../generated/prisma/client.js';
import type { Channel, Tx } from './channel.js';

export type Outbox = {
  /** Whether any channel is on: without one there is nothing to record. */
  active: boolean;
  /** Records every channel's deliveries of these new notifications, all of `kind`. */
  record(tx: Tx, kind: NotificationKind, notificationIds: number[]): Promise<void>;
};

export function createOutbox(channels: readonly Channel[]): Outbox {
  return {
    active: channels.length > 0,
    async record(tx, kind, notificationIds) {
      if (notificationIds.length === 0) return;
      // One transaction, one connection: the statements run one after the other.
      for (const channel of channels) await channel.record(tx, kind, notificationIds);
    },
  };
}
