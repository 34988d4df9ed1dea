// Pub/sub through Redis, for many instances: one channel per user, subscribed
// while a local subscriber needs it (graphql-redis-subscriptions counts the
// references and unsubscribes when the last one leaves).
//
// A Redis that is down closes its connections, which ioredis sees; one that hangs
// (a frozen process, a full network buffer) keeps them open and just never
// answers. So every command and connect has a time limit, a watchdog pings both
// connections, and while Redis does not answer nothing waits long for it:
// publishes wait at most the command timeout (the notifications are stored), new
// subscriptions start without waiting for their SUBSCRIBE, and when Redis answers
// again every live subscription re-reads what it missed, as after a reconnect.
//
// A post's fan-out is one message, not one per follower: on a channel every
// instance listens to, holding the cause's events packed (pubsub.ts). Each
// instance hands them to the listeners it has; thousands of PUBLISH commands,
// their answers and their parses are then one each. Every instance parses every
// fan-out, a few bytes per follower, whether or not it serves any of them.
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import { batchedSubscriber } from './batched-subscriber.js';
import { createDispatcher } from './dispatcher.js';
import {
  type Listener,
  type PackedCause,
  type PubSub,
  packCause,
  type UserEvent,
  type UserMessage,
  unpackCause,
} from './pubsub.js';

/** From this many events of one cause on, they travel packed as one message. */
const PACK_FROM = 8;

export function createRedisPubSub(options: {
  url: string;
  /** Channel prefix, so several deployments can share one Redis. */
  prefix: string;
  /** How long a command (and a watchdog ping) may take before Redis counts as hung. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
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
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
  });
  // No command timeout here: a SUBSCRIBE that times out may still be carried out
  // later, and graphql-redis-subscriptions would then have forgotten it. Its
  // waits are bounded below instead.
  const subscriber = new Redis(options.url, {
    maxRetriesPerRequest: null,
    connectTimeout: options.connectTimeoutMs,
  });
  publisher.on('error', onError);
  subscriber.on('error', onError);

  // SUBSCRIBEs and UNSUBSCRIBEs of the same few milliseconds go out as one command.
  const batched = batchedSubscriber(subscriber, onError);
  const redis = new RedisPubSub({ publisher, subscriber: batched.subscriber });
  const channel = (userId: number) => `${options.prefix}user:${userId}`;
  const listeners = new Set<Listener>();
  // This instance's listeners by user, for packed fan-outs.
  const byUser = new Map<number, Set<Listener>>();
  // Both channels' events go through one dispatcher, so they stay in arrival order.
  const dispatch = createDispatcher<{ event: UserEvent; to: Iterable<Listener> }>(
    ({ event, to }) => {
      for (const listener of to) listener(event);
    },
    onError,
  );
  // One at a time as the dispatcher reaches them (dispatcher.ts says why).
  function* toListeners(messages: Iterable<UserMessage>) {
    for (const { userId, event } of messages) yield { event, to: byUser.get(userId) ?? [] };
  }
  const causes = redis.subscribe(`${options.prefix}causes`, (packed: PackedCause) =>
    dispatch(toListeners(unpackCause(packed))),
  );
  causes.catch(onError);
  let closed = false;
  const resyncAll = () => {
    for (const listener of [...listeners]) listener({ type: 'resync' });
  };

  const withinTimeout = <T>(promise: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${options.commandTimeoutMs} ms`)),
        options.commandTimeoutMs,
      );
      promise.then(resolve, reject).finally(() => clearTimeout(timer));
    });

  // The watchdog: both connections answer a PING in time, or Redis counts as hung.
  let answering = true;
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    const ok = await Promise.all([
      withinTimeout(publisher.ping()),
      withinTimeout(subscriber.ping()),
    ]).then(
      () => true,
      () => false,
    );
    checking = false;
    if (ok && !answering) {
      // Events published while it hung may never have been delivered.
      options.onReconnect?.();
      resyncAll();
      resendUnsent();
    }
    if (!ok && answering) onError(new Error('Redis is not answering'));
    answering = ok;
  };
  const watchdog = setInterval(() => void check(), Math.max(options.commandTimeoutMs, 250));
  watchdog.unref();
  const healthy = () => answering && publisher.status === 'ready' && subscriber.status === 'ready';

  // While the subscriber was disconnected, events were lost. ioredis re-subscribes
  // its channels on reconnect; a PING answered after that proves the SUBSCRIBEs
  // are done, so from then on nothing more is lost and every live subscription
  // re-reads what it missed from the database.
  let connectedBefore = false;
  subscriber.on('ready', () => {
    // A new connection answers; the resync below is the one for this reconnect.
    answering = true;
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    subscriber.ping().then(
      () => {
        options.onReconnect?.();
        resyncAll();
      },
      (error) => onError(error),
    );
  });

  // Sent even while Redis seems hung, and bounded by the command timeout: a
  // PUBLISH that times out is still carried out when Redis answers again, and
  // skipping it would lose the event for other instances' subscribers, which
  // resync only when their own watchdog sees the hang.
  const send = async (messages: readonly UserMessage[]) => {
    const packed = messages.length >= PACK_FROM ? packCause(messages) : undefined;
    if (packed) await redis.publish(`${options.prefix}causes`, packed);
    else {
      await Promise.all(messages.map(({ userId, event }) => redis.publish(channel(userId), event)));
    }
  };

  // The users whose events this instance could not publish. Each connection
  // reconnects on its own backoff, so another instance's subscriber can be back,
  // and done with its resync, before this publisher is; nothing would then tell
  // it of these events until the user's next one. So once this publisher is back,
  // each of these users gets a resync, and their subscriptions re-read what they
  // missed. A set of ids, however long the outage.
  const unsent = new Set<number>();
  const sendOrRemember = (messages: readonly UserMessage[]) =>
    send(messages).catch((error: unknown) => {
      for (const { userId } of messages) unsent.add(userId);
      throw error;
    });
  const resendUnsent = () => {
    if (unsent.size === 0 || closed) return;
    const users = [...unsent];
    unsent.clear();
    sendOrRemember(users.map((userId) => ({ userId, event: { type: 'resync' } }))).catch(onError);
  };
  publisher.on('ready', resendUnsent);

  return {
    publish: sendOrRemember,
    async subscribe(userId, listener) {
      listeners.add(listener);
      const mine = byUser.get(userId) ?? new Set<Listener>();
      byUser.set(userId, mine);
      mine.add(listener);
      const subscribed = redis.subscribe(channel(userId), (event: UserEvent) =>
        dispatch([{ event, to: [listener] }]),
      );
      // Live once both the user's channel and the fan-out channel are.
      const live = Promise.all([subscribed, causes]);
      // Wait for the SUBSCRIBE only while Redis answers, and only so long; one that
      // completes later is followed by a resync, which reads whatever was missed.
      const inTime = healthy()
        ? await withinTimeout(live).then(
            () => true,
            () => false,
          )
        : false;
      if (!inTime) {
        live.then(
          () => listeners.has(listener) && listener({ type: 'resync' }),
          (error: unknown) => onError(error),
        );
      }
      return async () => {
        listeners.delete(listener);
        mine.delete(listener);
        if (mine.size === 0 && byUser.get(userId) === mine) byUser.delete(userId);
        // Never waits: the SUBSCRIBE may still be unanswered. After close() the
        // connections are gone, and an UNSUBSCRIBE would fail unhandled.
        subscribed.then(
          (id) => closed || redis.unsubscribe(id),
          () => {},
        );
      };
    },
    async isHealthy() {
      return healthy();
    },
    async close() {
      closed = true;
      clearInterval(watchdog);
      listeners.clear();
      byUser.clear();
      batched.flush();
      // QUIT is answered after the commands before it (the UNSUBSCRIBEs of the
      // streams that just ended), which a plain disconnect would fail unhandled
      // inside graphql-redis-subscriptions; a Redis that does not answer is cut.
      await Promise.all(
        [publisher, subscriber].map((client) =>
          withinTimeout(client.quit()).catch(() => client.disconnect()),
        ),
      );
    },
  };
}
