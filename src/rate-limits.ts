// Rate limits (rate-limiter-flexible): in memory for one instance, in Redis when
// there are several, so every instance counts against the same budget.
import type { Redis } from 'ioredis';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { Config } from './config.js';
import { rateLimited } from './errors.js';

export type RateLimits = {
  /** Throws RATE_LIMITED when the key (user or IP) has used its mutations. */
  mutation(key: string): Promise<void>;
  /** Throws RATE_LIMITED when this account or this IP has failed too many log-ins. */
  checkLogIn(email: string, ip: string): Promise<void>;
  /** Counts a failed log-in against the account and the IP. */
  failedLogIn(email: string, ip: string): Promise<void>;
  /** Whether this IP may open another WebSocket now. */
  connection(ip: string): Promise<boolean>;
  /** Whether this connection may start another subscription now. */
  subscribe(connectionId: string): Promise<boolean>;
};

export function createRateLimits(config: Config, redis?: Redis): RateLimits {
  const limiter = (name: string, points: number, duration: number): RateLimiterAbstract => {
    const options = { keyPrefix: `${config.REDIS_PREFIX}rl:${name}`, points, duration };
    if (!redis) return new RateLimiterMemory(options);
    // While Redis is away, count in memory rather than refuse everyone or no one.
    return new RateLimiterRedis({
      ...options,
      storeClient: redis,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  };
  const mutations = limiter('mutation', config.RATE_MUTATIONS_PER_MINUTE, 60);
  const loginAccount = limiter('login-account', config.RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES, 900);
  const loginIp = limiter('login-ip', config.RATE_LOGIN_PER_IP_PER_15_MINUTES, 900);
  const connections = limiter('connection', config.RATE_CONNECTIONS_PER_IP_PER_MINUTE, 60);
  const subscribes = limiter('subscribe', config.RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE, 60);

  const accountKey = (email: string) => email.trim().toLowerCase();

  /** Consumes a point; false when the budget is spent. Store errors are rethrown. */
  const take = async (rl: RateLimiterAbstract, key: string) => {
    try {
      await rl.consume(key);
      return true;
    } catch (result) {
      if (result instanceof RateLimiterRes) return false;
      throw result;
    }
  };

  return {
    async mutation(key) {
      if (!(await take(mutations, key))) throw rateLimited('Too many requests; try again shortly.');
    },
    async checkLogIn(email, ip) {
      const [account, address] = await Promise.all([
        loginAccount.get(accountKey(email)),
        loginIp.get(ip),
      ]);
      const spent = (res: RateLimiterRes | null, points: number) =>
        res !== null && res.consumedPoints >= points;
      if (
        spent(account, config.RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES) ||
        spent(address, config.RATE_LOGIN_PER_IP_PER_15_MINUTES)
      ) {
        throw rateLimited('Too many failed log-ins; try again later.');
      }
    },
    async failedLogIn(email, ip) {
      // Only failures count, so a user who knows their password is never locked out by their own use.
      await Promise.all([take(loginAccount, accountKey(email)), take(loginIp, ip)]);
    },
    connection: (ip) => take(connections, ip),
    subscribe: (connectionId) => take(subscribes, connectionId),
  };
}
