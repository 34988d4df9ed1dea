// Pub/sub through Redis, for many instances: one channel per user, subscribed
// while a local subscriber needs it (graphql-redis-subscriptions counts the
// references and unsubscribes when the last one leaves).
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import type { Listener, PubSub, UserEvent } from './pubsub.js';

export function createRedisPubSub(options: {
  url: string;
  /** Channel prefix, so several deployments can share one Redis. */
  prefix: string;
  onError?: (error: unknown) => void;
  onReconnect?: () => void;
}): PubSub {
  const onError = options.onError ?? (() => {});
  const publisher = new Redis(options.url, {
    // Fail a publish at once while Redis is away instead of queueing it: the
    // notification is stored, and the resync below delivers it when Redis is back.
    enableOfflineQueue: false,
    // Many publishes in one tick (a post's fan-out) go out as one pipeline.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
  });
  const subscriber = new Redis(options.url, { maxRetriesPerRequest: null });
  publisher.on('error', onError);
  subscriber.on('error', onError);

  const redis = new RedisPubSub({ publisher, subscriber });
  const channel = (userId: number) => `${options.prefix}user:${userId}`;
  const listeners = new Set<Listener>();

  // While the subscriber was disconnected, events were lost. ioredis re-subscribes
  // its channels on reconnect; a PING answered after that proves the SUBSCRIBEs
  // are done, so from then on nothing more is lost and every live subscription
  // re-reads what it missed from the database.
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    subscriber.ping().then(
      () => {
        options.onReconnect?.();
        for (const listener of [...listeners]) listener({ type: 'resync' });
      },
      (error) => onError(error),
    );
  });

  return {
    async publish(messages) {
      await Promise.all(messages.map(({ userId, event }) => redis.publish(channel(userId), event)));
    },
    async subscribe(userId, listener) {
      listeners.add(listener);
      try {
        const id = await redis.subscribe(channel(userId), (event: UserEvent) => listener(event));
        return async () => {
          listeners.delete(listener);
          redis.unsubscribe(id);
        };
      } catch (error) {
        listeners.delete(listener);
        throw error;
      }
    },
    async isHealthy() {
      return publisher.status === 'ready' && subscriber.status === 'ready';
    },
    async close() {
      listeners.clear();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
