// Two instances behind a load balancer (test/helpers/proxy.ts) on one Redis:
// with TRUST_PROXY naming the balancer, each per-IP limit counts the client the
// balancer saw, not the balancer itself, on both instances together; and no
// client can pick its own address with a forged X-Forwarded-For.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Instance, startInstance } from '../helpers/instances.js';
import { ATTACKER_IP, OTHER_IP, rateLimited, requestFrom, upgradeFrom } from '../helpers/limits.js';
import { LogIn } from '../helpers/operations.js';
import { type Balancer, startProxy } from '../helpers/proxy.js';
import { createDatabase } from '../helpers/server.js';
import { hasBinary, type Service, startRedis } from '../helpers/services.js';
import { signUp, type TestUser } from '../helpers/users.js';

const redisAvailable = hasBinary('redis-server');
if (!redisAvailable && process.env.CI) throw new Error('CI needs redis-server');

let redis: Service;
let instances: Instance[] = [];
let proxy: Balancer;
let victim: TestUser;
const cleanups: Array<() => Promise<void> | void> = [];

const logIn = (user: TestUser, password: string) => ({ input: { email: user.email, password } });

describe.skipIf(!redisAvailable)('behind a load balancer (TRUST_PROXY)', () => {
  beforeAll(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
    const env = {
      DATABASE_URL: await createDatabase(inject('postgresUrl'), cleanups),
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'proxytest:',
      // The balancer connects from 127.0.0.1; clients come from 127.0.0.2 and .3.
      TRUST_PROXY: '127.0.0.1',
      RATE_LOGIN_PER_IP_PER_15_MINUTES: '4',
      RATE_CONNECTIONS_PER_IP_PER_MINUTE: '3',
    };
    instances = await Promise.all([startInstance(env), startInstance(env)]);
    proxy = await startProxy(instances.map((instance) => instance.url));
    victim = await signUp(proxy.url, 'victim');
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(instances.map((instance) => instance.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("one client's failed log-ins through the balancer limit that client only, on every instance", async () => {
    const target = await signUp(proxy.url, 'target');
    // Four failures, alternating between the instances: the whole shared budget.
    for (let i = 0; i < 4; i++) {
      const failed = await requestFrom(ATTACKER_IP, proxy.url, LogIn, logIn(target, 'wrong guess'));
      expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    for (let i = 0; i < 2; i++) {
      const refused = await requestFrom(ATTACKER_IP, proxy.url, LogIn, logIn(target, 'wrong'));
      expect(refused.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
    }
    // A forged X-Forwarded-For does not make the attacker someone else.
    const forged = await requestFrom(
      ATTACKER_IP,
      proxy.url,
      LogIn,
      logIn(target, 'wrong'),
      undefined,
      { 'x-forwarded-for': '198.51.100.1' },
    );
    expect(forged.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
    // Another client, through the same balancer, logs in on both instances.
    for (let i = 0; i < 2; i++) {
      const result = await requestFrom(OTHER_IP, proxy.url, LogIn, logIn(victim, 'correct horse'));
      expect(result.errors).toBeUndefined();
      expect(result.data?.logIn.user.id).toBe(victim.id);
    }
  });

  it("one client's WebSocket upgrades through the balancer use its own budget only", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await upgradeFrom(ATTACKER_IP, proxy.wsUrl)).toBe('open');
    }
    expect(await upgradeFrom(ATTACKER_IP, proxy.wsUrl)).toBe(429);
    expect(await upgradeFrom(ATTACKER_IP, proxy.wsUrl)).toBe(429);
    // The next client's upgrades open, on both instances.
    expect(await upgradeFrom(OTHER_IP, proxy.wsUrl)).toBe('open');
    expect(await upgradeFrom(OTHER_IP, proxy.wsUrl)).toBe('open');
  });

  it('believes X-Forwarded-For only from the trusted balancer', async () => {
    // Straight to an instance, claiming to be a fresh address: still the attacker,
    // whose upgrade budget the previous test spent.
    const direct = instances[0]?.wsUrl as string;
    expect(await upgradeFrom(ATTACKER_IP, direct, { 'x-forwarded-for': '198.51.100.2' })).toBe(429);
    expect(await upgradeFrom(ATTACKER_IP, direct, { forwarded: 'for=198.51.100.3' })).toBe(429);
  });
});
