// Subscribing through Redis at any moment, including the one round trip after each
// connect in which the subscriber connection is still in its handshake (see
// handshakeOver in src/pubsub/redis.ts): a SUBSCRIBE written then broke that
// connection over and over and ended the process with an unhandled rejection.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PubSub, UserEvent } from '../src/pubsub/pubsub.js';
import { createRedisPubSub } from '../src/pubsub/redis.js';
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

const open = (prefix: string) =>
  createRedisPubSub({
    url: redis.url,
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
