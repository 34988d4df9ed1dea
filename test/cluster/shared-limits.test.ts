// Rate limits are shared by every instance through Redis: a user cannot multiply
// their budget by spreading requests over the instances behind a load balancer.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { ok, request } from '../helpers/clients.js';
import { type Instance, startInstance } from '../helpers/instances.js';
import { createDatabase } from '../helpers/server.js';
import { hasBinary, type Service, startRedis } from '../helpers/services.js';
import { signUp, type TestUser } from '../helpers/users.js';

const LimitsTestSharedMarkAllRead = graphql(/* GraphQL */ `
  mutation LimitsTestSharedMarkAllRead {
    markAllNotificationsRead
  }
`);

const LimitsTestSharedMe = graphql(/* GraphQL */ `
  query LimitsTestSharedMe {
    me {
      id
    }
  }
`);

const redisAvailable = hasBinary('redis-server');
if (!redisAvailable && process.env.CI) throw new Error('CI needs redis-server');
if (!redisAvailable) console.warn('redis-server not found: skipping the shared-limits tests.');

let redis: Service;
let a: Instance;
let b: Instance;
let user: TestUser;
let other: TestUser;
const cleanups: Array<() => Promise<void> | void> = [];

describe.skipIf(!redisAvailable)('rate limits across instances', () => {
  beforeAll(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
    const env = {
      DATABASE_URL: await createDatabase(inject('postgresUrl'), cleanups),
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'sharedlimitstest:',
      RATE_MUTATIONS_PER_MINUTE: '4',
    };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
    // Two anonymous sign-ups: 2 of 127.0.0.1's 4 points, on both instances together.
    user = await signUp(a.url, 'spread');
    other = await signUp(b.url, 'steady');
  });

  afterAll(async () => {
    await Promise.all([a, b].map((instance) => instance?.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('RATE_MUTATIONS_PER_MINUTE=4: 2 mutations on A and 2 on B, then the 5th on either is RATE_LIMITED', async () => {
    const markAll = (instance: Instance, token: string) =>
      request(instance.url, LimitsTestSharedMarkAllRead, {}, token);
    for (const instance of [a, a, b, b]) {
      expect(await markAll(instance, user.token)).toEqual({
        data: { markAllNotificationsRead: 0 },
      });
    }
    for (const instance of [a, b]) {
      const refused = await markAll(instance, user.token);
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual([
        expect.objectContaining({
          message: 'Too many requests; try again shortly.',
          extensions: { code: 'RATE_LIMITED' },
        }),
      ]);
    }
    // Another user still works on both, and queries are not limited.
    for (const instance of [a, b]) {
      expect(await markAll(instance, other.token)).toEqual({
        data: { markAllNotificationsRead: 0 },
      });
      expect((await ok(instance.url, LimitsTestSharedMe, {}, user.token)).me?.id).toBe(user.id);
    }
  });

  it('counts anonymous sign-ups per IP across instances', async () => {
    // beforeAll spent 2 of the IP's 4 points: one more on each instance, then none.
    const attempt = (instance: Instance) =>
      signUp(instance.url, 'anon').then(
        () => 'ok',
        (error: Error) => error.message,
      );
    expect(await attempt(a)).toBe('ok');
    expect(await attempt(b)).toBe('ok');
    for (const instance of [a, b]) {
      expect(await attempt(instance)).toMatch(/"code":"RATE_LIMITED"/);
    }
    // A signed-in user is counted apart from the IP.
    expect(await request(b.url, LimitsTestSharedMarkAllRead, {}, other.token)).toEqual({
      data: { markAllNotificationsRead: 0 },
    });
  });
});
