// The one seam after commit. Whatever a mutation stored, it hands here once its
// transaction has committed; the notifier publishes it to live subscribers and
// wakes the delivery worker (whose work the same transaction recorded, see
// src/delivery/outbox.ts). Resolvers never publish or send themselves.
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { PubSub } from '../pubsub/pubsub.js';
import type { Stored } from './store.js';

export type Notifier = {
  /** New notifications were committed. Never throws: they are stored, and readers catch up. */
  created(stored: Stored): Promise<void>;
  /** Some of a user's notifications were marked read (their unread count changed). */
  read(userId: number): Promise<void>;
};

export function createNotifier(deps: {
  pubsub: PubSub;
  metrics: Metrics;
  logger: Logger;
  delivery?: { wake(): void };
}) {
  const { pubsub, metrics, logger } = deps;
  // A failed publish must not fail a committed mutation: the notification is
  // stored, and a resync (after the subscriber's reconnect, or sent by this
  // publisher once it is back, see src/pubsub/redis.ts) delivers it.
  const failed = (error: unknown) => logger.error({ err: error }, 'publish failed');
  const notifier: Notifier = {
    async created({ notifications: created, deliveries }) {
      if (created.length === 0) return;
      metrics.notificationsCreated.inc(created.length);
      // IN_APP off (hidden): stored for the other channels, shown to no subscriber.
      const shown = created.filter((c) => !c.hidden);
      await pubsub
        .publish(
          // The whole notification travels, so a subscriber expecting its number
          // delivers it without a read.
          shown.map(({ hidden: _hidden, ...notification }) => ({
            userId: notification.recipientId,
            event: {
              type: 'notification',
              id: notification.id,
              seq: notification.seq,
              notification,
            },
          })),
        )
        .then(() => metrics.notificationsPublished.inc(shown.length), failed);
      // After the live push, never before it: email work does not delay it. Only
      // when the statement recorded deliveries: a claim that finds nothing is a
      // wasted query per notification (the worker's poll finds retries anyway).
      if (deliveries > 0) deps.delivery?.wake();
    },
    async read(userId) {
      await pubsub.publish([{ userId, event: { type: 'read' } }]).catch(failed);
    },
  };
  return notifier;
}
