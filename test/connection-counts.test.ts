// The per-IP count of new WebSockets, kept in Redis (src/rate-limits.ts): the
// counts of sockets arriving within a few milliseconds leave as one write, and
// they stay exact.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createRateLimits } from '../src/rate-limits.js';
import { type RedisService, startRedis } from './helpers/services.js';

let redis: RedisService;
let admin: Redis;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  // As the app makes it (app.ts).
  client = new Redis(redis.url, { enableAutoPipelining: true, enableOfflineQueue: false });
  await new Promise((resolve) => client.once('ready', resolve));
});
afterAll(async () => {
  client.disconnect();
  admin.disconnect();
  await redis.stop();
});

/** How many reads of its clients' sockets Redis has made so far. */
const readsProcessed = async () =>
  Number(/total_reads_processed:(\d+)/.exec(await admin.info('stats'))?.[1]);

describe('counting new connections in Redis', () => {
  it('sends the counts of sockets arriving a moment apart together, and counts each', async () => {
    const limits = createRateLimits(
      loadConfig({ RATE_CONNECTIONS_PER_IP_PER_MINUTE: '25', REDIS_PREFIX: 'counts:' }),
      client,
    );
    const before = await readsProcessed();
    // Thirty sockets of one address, each from its own callback, as upgrades arrive,
    // spread over 3 ms. All these timers are due before the one the first count starts.
    const allowed = await Promise.all(
      Array.from(
        { length: 30 },
        (_, i) =>
          new Promise<boolean>((resolve, reject) =>
            setTimeout(() => limits.connection('192.0.2.7').then(resolve, reject), 1 + (i % 3)),
          ),
      ),
    );
    // One read for the thirty counts, and one for the INFO below.
    expect((await readsProcessed()) - before).toBe(2);
    expect(allowed.filter(Boolean)).toHaveLength(25);
    expect(await admin.get('counts:rl:connection:192.0.2.7')).toBe('30');
    // Another address has its own budget.
    expect(await limits.connection('192.0.2.8')).toBe(true);
  });
});
