// The subscriber connection's SUBSCRIBE and UNSUBSCRIBE commands gathered for a
// moment (src/pubsub/batched-subscriber.ts), against a real Redis: many channels
// in one command, each caller told, commands kept in order.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batchedSubscriber } from '../src/pubsub/batched-subscriber.js';
import { eventually } from './helpers/raw.js';
import { type RedisService, startRedis } from './helpers/services.js';

let redis: RedisService;
let admin: Redis;
const opened: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});
afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

function open() {
  const connection = new Redis(redis.url);
  opened.push(connection);
  const errors: unknown[] = [];
  const received: string[] = [];
  connection.on('message', (channel: string) => received.push(channel));
  return { ...batchedSubscriber(connection, (error) => errors.push(error)), errors, received };
}

/** How many times Redis has run each command since the last reset. */
async function commandCalls() {
  const info = await admin.info('commandstats');
  const calls = (name: string) =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return {
    subscribe: calls('subscribe'),
    unsubscribe: calls('unsubscribe'),
    punsubscribe: calls('punsubscribe'),
  };
}

/** Calls the facade's subscribe, as graphql-redis-subscriptions does, as a promise. */
const subscribe = (subscriber: Redis, channel: string) =>
  new Promise<void>((resolve, reject) =>
    // biome-ignore lint/suspicious/noExplicitAny: the facade takes graphql-redis-subscriptions' callback form.
    (subscriber.subscribe as any)(channel, (error: Error | null) =>
      error ? reject(error) : resolve(),
    ),
  );

describe('a batched subscriber', () => {
  it('subscribes the channels of one window with one SUBSCRIBE, and tells every caller', async () => {
    const { subscriber, received, errors } = open();
    await admin.config('RESETSTAT');
    const channels = Array.from({ length: 50 }, (_, i) => `many:${i}`);
    // Each from its own callback, as sockets' messages arrive.
    await Promise.all(
      channels.map(
        (channel) =>
          new Promise<void>((resolve, reject) =>
            setImmediate(() => subscribe(subscriber, channel).then(resolve, reject)),
          ),
      ),
    );
    expect((await commandCalls()).subscribe).toBe(1);
    expect(await admin.pubsub('NUMSUB', ...channels)).toEqual(channels.flatMap((c) => [c, 1]));

    for (const channel of channels) await admin.publish(channel, 'hello');
    expect(
      await eventually(
        async () => received.length,
        (n) => n === channels.length,
      ),
    ).toBe(50);
    expect(received).toEqual(channels);
    expect(errors).toEqual([]);
  });

  it('unsubscribes with one UNSUBSCRIBE and no PUNSUBSCRIBE', async () => {
    const { subscriber, errors } = open();
    const channels = ['gone:1', 'gone:2', 'gone:3'];
    await Promise.all(channels.map((channel) => subscribe(subscriber, channel)));
    await admin.config('RESETSTAT');
    for (const channel of channels) {
      subscriber.unsubscribe(channel);
      subscriber.punsubscribe(channel);
    }
    const numsub = () => admin.pubsub('NUMSUB', ...channels);
    expect(await eventually(numsub, (n) => n.every((v) => v !== 1))).toEqual(
      channels.flatMap((c) => [c, 0]),
    );
    expect(await commandCalls()).toEqual({ subscribe: 0, unsubscribe: 1, punsubscribe: 0 });
    expect(errors).toEqual([]);
  });

  it('keeps the order of the commands: unsubscribed, then subscribed again, ends subscribed', async () => {
    const { subscriber, received } = open();
    await subscribe(subscriber, 'again');
    subscriber.unsubscribe('again');
    await subscribe(subscriber, 'again');
    expect(await admin.pubsub('NUMSUB', 'again')).toEqual(['again', 1]);
    await admin.publish('again', 'hello');
    expect(
      await eventually(
        async () => [...received],
        (r) => r.length > 0,
      ),
    ).toEqual(['again']);
  });

  it('sends what waits at once when flushed, before a QUIT', async () => {
    const { subscriber, flush, errors } = open();
    const connection = opened[opened.length - 1] as Redis;
    await subscribe(subscriber, 'last');
    subscriber.unsubscribe('last');
    flush();
    await connection.quit();
    expect(await admin.pubsub('NUMSUB', 'last')).toEqual(['last', 0]);
    expect(errors).toEqual([]);
  });
});
