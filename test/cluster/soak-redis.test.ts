// Soak with Redis pub/sub: thousands of connections and subscriptions on one
// instance process come and go; afterwards no socket, subscription or Redis
// channel is left, and the instance's heap is back near where it started.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EVERYONE } from '../../src/pubsub/pubsub.js';
import { type Instance, startInstance } from '../helpers/instances.js';
import { eventually, metric, scrape } from '../helpers/raw.js';
import { createDatabase } from '../helpers/server.js';
import { hasBinary, type Service, sleep, startRedis } from '../helpers/services.js';
import { churn, KINDS } from '../helpers/soak.js';
import { signUp, type TestUser } from '../helpers/users.js';

const redisAvailable = hasBinary('redis-server');
if (!redisAvailable && process.env.CI) throw new Error('CI needs redis-server');
if (!redisAvailable) console.warn('redis-server not found: skipping the multi-instance tests.');

const PREFIX = 'soaktest:';
const MB = 1024 * 1024;
let redis: Service;
let instance: Instance;
let users: TestUser[];
/**
 * What the instance subscribes to for itself, before any client: revocations for
 * every user, and packed fan-outs.
 */
const OWN_CHANNELS = [`${PREFIX}user:${EVERYONE}`, `${PREFIX}causes`];
const cleanups: Array<() => Promise<void> | void> = [];

/** The channels subscribed on behalf of clients. */
async function channels(): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    const all = (await client.pubsub('CHANNELS', `${PREFIX}*`)) as string[];
    return all.filter((channel) => !OWN_CHANNELS.includes(channel));
  } finally {
    client.disconnect();
  }
}

/** Which of the instance's own channels are subscribed. */
async function ownChannelsUp(): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    const all = (await client.pubsub('CHANNELS', `${PREFIX}*`)) as string[];
    return all.filter((channel) => OWN_CHANNELS.includes(channel));
  } finally {
    client.disconnect();
  }
}

/** Polls until no channel of ours is subscribed (or 10 s pass); returns what is left. */
const channelsLeft = () => eventually(channels, (left) => left.length === 0, 10_000);

/** The instance's V8 heap in use, the smallest of a few samples (it cannot be made to GC). */
describe.skipIf(!redisAvailable)('soak with Redis', () => {
  beforeAll(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
    instance = await startInstance({
      DATABASE_URL: await createDatabase(inject('postgresUrl'), cleanups),
      REDIS_URL: redis.url,
      REDIS_PREFIX: PREFIX,
    });
    // Subscribed in the background as the instance starts: given a moment to appear
    // (waiting for only the first of them left the other counted as a client's).
    const own = await eventually(ownChannelsUp, (up) => up.length === OWN_CHANNELS.length, 5_000);
    expect(own.sort()).toEqual([...OWN_CHANNELS].sort());
    users = await Promise.all([1, 2, 3, 4, 5, 6].map(() => signUp(instance.url, 'soak')));
  });

  afterAll(async () => {
    await instance?.stop();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('opens and drops thousands of connections and leaves no socket, subscription or channel', async () => {
    const kinds = KINDS.filter((kind) => kind !== 'mid-init');
    await churn({
      wsUrl: instance.wsUrl,
      users,
      connections: 200,
      batch: 50,
      budgetMs: 20_000,
      kinds,
    });
    expect(await channelsLeft()).toEqual([]);
    const heapStart = await instance.heapUsedAfterGc();

    const report = await churn({
      wsUrl: instance.wsUrl,
      users,
      connections: 2_500,
      batch: 50,
      budgetMs: 50_000,
      kinds,
    });
    console.info('soak (redis):', JSON.stringify(report));
    expect(report.connections).toBeGreaterThanOrEqual(1_000);

    const settled = await eventually(
      () => scrape(instance.url),
      (text) =>
        metric(text, 'websocket_open_connections') === 0 &&
        metric(text, 'graphql_live_subscriptions') === 0,
      10_000,
    );
    expect(metric(settled, 'websocket_open_connections')).toBe(0);
    expect(metric(settled, 'graphql_live_subscriptions')).toBe(0);
    expect(await channelsLeft()).toEqual([]);

    await sleep(2_000);
    const heapEnd = await instance.heapUsedAfterGc();
    console.info(
      `soak heap (redis): start ${(heapStart / MB).toFixed(1)} MB, end ${(heapEnd / MB).toFixed(1)} MB`,
    );
    expect(heapEnd).toBeLessThan(heapStart + 20 * MB);
  }, 110_000);

  it('sockets cut during connection_init leave no Redis channel behind', async () => {
    expect(await channelsLeft()).toEqual([]);
    await churn({
      wsUrl: instance.wsUrl,
      users,
      connections: 600,
      batch: 50,
      budgetMs: 20_000,
      kinds: ['mid-init'],
    });
    expect(await channelsLeft()).toEqual([]);
  }, 45_000);
});
