// Rate limits (rate-limiter-flexible): in memory for one instance, in Redis when
// there are several, so every instance counts against the same budget.
import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { batchWindow } from './batch-window.js';
import type { Config } from './config.js';
import { rateLimited } from './errors.js';

export type RateLimits = {
  /** Throws RATE_LIMITED when the key (user or IP) has used its mutations. */
  mutation(key: string): Promise<void>;
  /**
   * Throws RATE_LIMITED when this IP, or this account from this IP, has failed too
   * many log-ins, or when the account has failed too many from everywhere and this
   * IP is not one it has logged in from before.
   */
  checkLogIn(email: string, ip: string): Promise<void>;
  /** Counts a failed log-in against the IP, the account at this IP, and the account. */
  failedLogIn(email: string, ip: string): Promise<void>;
  /** Remembers this IP as one the account's owner logs in from. */
  succeededLogIn(email: string, ip: string): Promise<void>;
  /** Whether this IP may open another WebSocket now. */
  connection(ip: string): Promise<boolean>;
  /** Whether this connection may start another subscription now. */
  subscribe(connectionId: string): Promise<boolean>;
  /** Whether this user (or anonymous IP) may start another SSE subscription now. */
  sseSubscribe(key: string): Promise<boolean>;
};

const DAY = 24 * 60 * 60;
/**
 * How long an address one logged in from stays known-good for that account (under
 * the 24.8 days a timer can wait, which the in-memory limiter's expiry uses).
 */
const KNOWN_GOOD_SECONDS = 20 * DAY;
/** After a Redis error, how long counters stay in memory before Redis is tried again. */
const STALL_MS = 5_000;

export function createRateLimits(config: Config, redis?: Redis): RateLimits {
  // While Redis is away or hung, each instance counts in memory rather than refuse
  // everyone or no one, and without waiting for a command timeout on every request.
  let stalledUntil = 0;
  const limiter = (
    name: string,
    points: number,
    duration: number,
    how: {
      /** Counted in memory even with Redis. */
      local?: boolean;
      /** Waited for before asking Redis: the counts of one wait leave as one write. */
      gather?: () => Promise<void>;
    } = {},
  ) => {
    const options = { keyPrefix: `${config.REDIS_PREFIX}rl:${name}`, points, duration };
    const memory = new RateLimiterMemory(options);
    const shared = redis && !how.local && new RateLimiterRedis({ ...options, storeClient: redis });
    return async <T>(call: (rl: RateLimiterAbstract) => Promise<T>): Promise<T> => {
      if (!shared || !redis || redis.status !== 'ready' || Date.now() < stalledUntil) {
        return call(memory);
      }
      await how.gather?.();
      try {
        return await call(shared);
      } catch (error) {
        if (error instanceof RateLimiterRes) throw error;
        stalledUntil = Date.now() + STALL_MS;
        return call(memory);
      }
    };
  };
  const mutations = limiter('mutation', config.RATE_MUTATIONS_PER_MINUTE, 60);
  const loginIp = limiter('login-ip', config.RATE_LOGIN_PER_IP_PER_15_MINUTES, 900);
  const loginAccountIp = limiter(
    'login-account-ip',
    config.RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES,
    900,
  );
  const loginAccount = limiter('login-account', config.RATE_LOGIN_PER_ACCOUNT_PER_DAY, DAY);
  const knownGood = limiter('login-known', 1, KNOWN_GOOD_SECONDS);
  // Every new socket is counted before its upgrade; while thousands connect, a
  // turn of the event loop holds one or two of them, and their counts leave
  // together only if they wait a moment for each other (batch-window.ts).
  const connections = limiter('connection', config.RATE_CONNECTIONS_PER_IP_PER_MINUTE, 60, {
    gather: batchWindow(),
  });
  // Counted per socket, and a socket lives on one instance: nothing to share, and no
  // Redis round trip for every subscription.
  const subscribes = limiter('subscribe', config.RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE, 60, {
    local: true,
  });
  const sseSubscribes = limiter(
    'sse-subscribe',
    config.RATE_SSE_SUBSCRIBES_PER_USER_PER_MINUTE,
    60,
  );

  const account = (email: string) => email.trim().toLowerCase();
  const accountAt = (email: string, ip: string) => `${account(email)}|${ip}`;

  /** Consumes a point; false when the budget is spent. */
  const take = async (store: ReturnType<typeof limiter>, key: string) => {
    try {
      await store((rl) => rl.consume(key));
      return true;
    } catch (result) {
      if (result instanceof RateLimiterRes) return false;
      throw result;
    }
  };
  /** Whether `points` failures have been counted under the key. */
  const spent = async (store: ReturnType<typeof limiter>, key: string, points: number) => {
    const res = await store((rl) => rl.get(key));
    return res !== null && res.consumedPoints >= points;
  };

  return {
    async mutation(key) {
      if (!(await take(mutations, key))) throw rateLimited('Too many requests; try again shortly.');
    },
    async checkLogIn(email, ip) {
      const [byIp, byAccountAtIp, byAccount, known] = await Promise.all([
        spent(loginIp, ip, config.RATE_LOGIN_PER_IP_PER_15_MINUTES),
        spent(loginAccountIp, accountAt(email, ip), config.RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES),
        spent(loginAccount, account(email), config.RATE_LOGIN_PER_ACCOUNT_PER_DAY),
        knownGood((rl) => rl.get(accountAt(email, ip))).then((res) => res !== null),
      ]);
      // An attacker spread over many addresses can spend the account's own budget,
      // but never for an address its owner has logged in from.
      if (byIp || byAccountAtIp || (byAccount && !known)) {
        throw rateLimited('Too many failed log-ins; try again later.');
      }
    },
    async failedLogIn(email, ip) {
      // Only failures count, so a user who knows their password is never locked out by their own use.
      await Promise.all([
        take(loginIp, ip),
        take(loginAccountIp, accountAt(email, ip)),
        take(loginAccount, account(email)),
      ]);
    },
    async succeededLogIn(email, ip) {
      await knownGood((rl) => rl.set(accountAt(email, ip), 1, KNOWN_GOOD_SECONDS));
    },
    connection: (ip) => take(connections, ip),
    subscribe: (connectionId) => take(subscribes, connectionId),
    sseSubscribe: (key) => take(sseSubscribes, key),
  };
}
