// Subscribing through Redis at any moment, including the one round trip after each
// connect in which the subscriber connection is still in its handshake (see
// afterHandshake in src/pubsub/batched-subscriber.ts): a SUBSCRIBE written then broke that
// connection over and over and ended the process with an unhandled rejection.
// And publishing from an instance cut off from Redis while the others are not.
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PubSub, UserEvent } from '../src/pubsub/pubsub.js';
import { createRedisPubSub } from '../src/pubsub/redis.js';
import { eventually } from './helpers/raw.js';
import { type RedisService, startRedis } from './helpers/services.js';

let redis: RedisService;
let pubsub: PubSub | undefined;
const errors: string[] = [];
let unhandled = 0;
const countUnhandled = () => {
  unhandled++;
};

beforeAll(async () => {
  redis = await startRedis();
  process.on('unhandledRejection', countUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', countUnhandled);
  await redis.stop();
});
afterEach(async () => {
  await pubsub?.close();
  pubsub = undefined;
  errors.length = 0;
  unhandled = 0;
});

const open = (prefix: string, url = redis.url) =>
  createRedisPubSub({
    url,
    prefix,
    commandTimeoutMs: 2_000,
    connectTimeoutMs: 2_000,
    onError: (error) => errors.push(String(error)),
  });

/** Subscribes user after user, one per turn of the event loop, until `until` is true. */
async function subscribeWhile(target: PubSub, until: () => boolean | Promise<boolean>) {
  const received: UserEvent[][] = [];
  const pending: Promise<unknown>[] = [];
  while (!(await until())) {
    const events: UserEvent[] = [];
    received.push(events);
    pending.push(target.subscribe(received.length, (event) => events.push(event)));
    await nextTurn();
  }
  await Promise.all(pending);
  return received;
}

/** Publishes a `read` event to every user in turn until each listener has it. */
async function expectAllReached(target: PubSub, received: UserEvent[][]) {
  await target.publish(received.map((_, i) => ({ userId: i + 1, event: { type: 'read' } })));
  const reached = () => received.filter((events) => events.some((e) => e.type === 'read')).length;
  for (let i = 0; i < 100 && reached() < received.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(reached()).toBe(received.length);
}

describe('subscribing through Redis', () => {
  it('works from the first moment, while the connection is still being made', async () => {
    const started = performance.now();
    pubsub = open('start:');
    const received = await subscribeWhile(pubsub, () => performance.now() - started > 50);
    expect(received.length).toBeGreaterThan(10);

    await expectAllReached(pubsub, received);
    expect(errors).toEqual([]);
    expect(unhandled).toBe(0);
  });

  it('works while the connection is made again after Redis restarted', async () => {
    const target = open('restart:');
    pubsub = target;
    await subscribeWhile(target, () => target.isHealthy());
    await redis.pause();
    await redis.resume();
    // Subscriptions keep coming while ioredis reconnects, and a while after.
    let healthySince: number | undefined;
    const received = await subscribeWhile(target, async () => {
      if (!(await target.isHealthy())) return false;
      healthySince ??= performance.now();
      return performance.now() - healthySince > 50;
    });

    await expectAllReached(target, received);
    // The restart itself is reported (the connection closed); nothing else is.
    expect(errors.filter((e) => !/ECONNREFUSED|ECONNRESET|closed/i.test(e))).toEqual([]);
    expect(unhandled).toBe(0);
  });
});

/**
 * A TCP relay to Redis that can cut one instance off: its connections drop and
 * new ones are refused until it is let through again, while others reach Redis.
 */
async function startRelay(target: string) {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let blocked = false;
  const server: Server = createServer((client) => {
    if (blocked) return void client.destroy();
    const upstream = tcpConnect(Number(port), hostname);
    open.add(client).add(upstream);
    const drop = () => {
      for (const socket of [client, upstream]) {
        socket.destroy();
        open.delete(socket);
      }
    };
    client.on('error', drop).on('close', drop).pipe(upstream);
    upstream.on('error', drop).on('close', drop).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay has no port');
  return {
    url: `redis://127.0.0.1:${address.port}`,
    block() {
      blocked = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    unblock() {
      blocked = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('publishing while this instance is cut off from Redis', () => {
  it("tells the users' other instances to re-read, once it reaches Redis again", async () => {
    const relay = await startRelay(redis.url);
    const subscriber = open('cut:');
    const publisher = open('cut:', relay.url);
    pubsub = subscriber;
    try {
      const received: UserEvent[] = [];
      const others: UserEvent[] = [];
      // Connected first: a subscription made before is resynced once its SUBSCRIBE is done.
      const bothHealthy = async () =>
        (await subscriber.isHealthy()) && (await publisher.isHealthy());
      expect(await eventually(bothHealthy, Boolean)).toBe(true);
      await subscriber.subscribe(7, (event) => received.push(event));
      await subscriber.subscribe(8, (event) => others.push(event));

      relay.block();
      expect(
        await eventually(
          () => publisher.isHealthy(),
          (healthy) => !healthy,
        ),
      ).toBe(false);
      // The subscriber's instance never lost Redis, so it has no reason to re-read.
      await expect(
        publisher.publish([{ userId: 7, event: { type: 'notification', id: 1, seq: 1 } }]),
      ).rejects.toThrow();
      expect(received).toEqual([]);

      relay.unblock();
      // A resync for the user whose event was not published.
      await eventually(
        async () => received.length,
        (n) => n > 0,
        10_000,
      );
      expect(received).toEqual([{ type: 'resync' }]);
      // Only for that user: others heard nothing, and a later event flows as usual.
      await publisher.publish([{ userId: 8, event: { type: 'read' } }]);
      await eventually(
        async () => others.length,
        (n) => n > 0,
      );
      expect(others).toEqual([{ type: 'read' }]);
      expect(received).toEqual([{ type: 'resync' }]);
    } finally {
      await publisher.close();
      await relay.close();
    }
  });
});
