// Builds the whole server: database, pub/sub, Yoga over HTTP and SSE, graphql-ws
// on the same path. Wiring only; returns { start, stop }, and nothing listens
// until start().
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { createSessions } from './auth/session.js';
import { createTokenService, persistentSecret } from './auth/tokens.js';
import type { Config } from './config.js';
import type { Services } from './context.js';
import { createBatchedReads } from './db/batched-reads.js';
import { openDatabase } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import { createDelivery } from './delivery/index.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createCommentStore } from './notifications/comment-store.js';
import { createNotifier } from './notifications/notifier.js';
import { createNotificationReader } from './notifications/reader.js';
import { PAGE } from './notifications/stream.js';
import { createInProcessPubSub } from './pubsub/in-process.js';
import { createRedisPubSub } from './pubsub/redis.js';
import { createRateLimits } from './rate-limits.js';
import { compileTrust, createClientIp } from './transport/client-ip.js';
import { createHttpServer } from './transport/http.js';
import { startSocketServer } from './transport/socket.js';
import { createSubscriptionBudget } from './transport/subscription-budget.js';
import { createYogaServer } from './transport/yoga.js';

const SHUTDOWN_GRACE_MS = 5_000;

export type App = {
  /** Listens on config.PORT (0 picks a free port); resolves with the base URL. */
  start(): Promise<string>;
  /** Stops accepting, closes sockets with 1001, finishes in-flight requests, closes the database. */
  stop(): Promise<void>;
};

export async function createApp(
  config: Config,
  options: { logDestination?: DestinationStream } = {},
): Promise<App> {
  const logger = createLogger(
    config.LOG_LEVEL ?? (config.NODE_ENV === 'test' ? 'warn' : 'info'),
    options.logDestination,
  );
  const metrics = createMetrics();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DATABASE_POOL_SIZE,
  });
  const { applied } = await applyMigrations(db.adapter, { log: (m) => logger.info(m) });
  if (applied.length) logger.info({ applied }, 'applied migrations');
  // After the migrations: on a new database the tables exist only now.
  await db.warm();

  const onRedisError = (error: unknown) => logger.warn({ err: error }, 'redis');
  const pubsub = config.REDIS_URL
    ? createRedisPubSub({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
        connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS,
        onError: onRedisError,
        onReconnect: () => metrics.pubsubReconnects.inc(),
      })
    : createInProcessPubSub((error) => logger.error({ err: error }, 'pubsub listener'));
  // Rate-limit counters: fail fast while Redis is away or hung (the limiter then counts in memory).
  const limitsRedis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, {
        enableOfflineQueue: false,
        // Concurrent requests' counters go out as one write, not one each.
        enableAutoPipelining: true,
        maxRetriesPerRequest: 1,
        commandTimeout: config.REDIS_COMMAND_TIMEOUT_MS,
        connectTimeout: config.REDIS_CONNECT_TIMEOUT_MS,
      })
    : undefined;
  limitsRedis?.on('error', onRedisError);
  // The first requests must already count across instances: wait (at most the
  // connect timeout) for the shared counters before serving; a Redis that is down
  // at start leaves the limiter counting in memory until it comes.
  if (limitsRedis && limitsRedis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, config.REDIS_CONNECT_TIMEOUT_MS);
      limitsRedis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  const secret = config.JWT_SECRET ?? persistentSecret(config.DATA_DIR);
  // Email, Web Push and webhooks: recorded with the notifications (the
  // outbox), sent after the commit by a worker in this process.
  const delivery = createDelivery({ config, prisma: db.prisma, secret, logger, metrics });
  const reads = createBatchedReads(db.hot);
  const services: Services = {
    prisma: db.prisma,
    hot: db.hot,
    reads,
    pubsub,
    tokens: createTokenService(secret, config.TOKEN_TTL_MINUTES),
    sessions: createSessions({
      reads,
      pubsub,
      onError: (error) => logger.error({ err: error }, 'publish failed'),
    }),
    limits: createRateLimits(config, limitsRedis),
    subscriptions: createSubscriptionBudget(config.MAX_SUBSCRIPTIONS_PER_USER),
    maxNodeIds: config.MAX_NODE_IDS,
    notificationReader: createNotificationReader(db.prisma, PAGE),
    notifier: createNotifier({ pubsub, metrics, logger, delivery }),
    comments: createCommentStore(db.hot, delivery.outbox),
    outbox: delivery.outbox,
    deliverySettings: delivery.settings,
    metrics,
    logger,
  };

  const trust = compileTrust(config.TRUST_PROXY);
  const clientIp = createClientIp(trust);
  const yoga = createYogaServer({
    config,
    services,
    clientIp,
    ready: async () => {
      const [database, events] = await Promise.all([
        db.prisma.$queryRaw`SELECT 1`.then(
          () => true,
          () => false,
        ),
        pubsub.isHealthy(),
      ]);
      return database && events;
    },
  });
  const httpServer = createHttpServer({
    config,
    metrics,
    logger,
    yoga,
    clientIp,
    trust,
    unsubscribe: delivery.handleUnsubscribe,
  });
  const sockets = startSocketServer({ httpServer, yoga, services, config, clientIp });

  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.PORT, config.HOST, () => resolve());
      });
      const { port } = httpServer.address() as AddressInfo;
      const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
      const url = `http://${host}:${port}`;
      delivery.start(url);
      return url;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await sockets.close();
      httpServer.closeIdleConnections();
      // In-flight requests get a grace period to finish. SSE streams never do, so
      // whatever is still open after it is cut, and SSE clients reconnect elsewhere.
      const grace = setTimeout(() => httpServer.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(grace);
      // Attempts in flight are recorded before the database closes; anything
      // unsent stays PENDING for the next start (or another instance).
      await delivery.stop();
      await pubsub.close();
      limitsRedis?.disconnect();
      await db.close();
      logger.flush();
    },
  };
}
