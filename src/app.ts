// Builds the whole server: database, pub/sub, Yoga over HTTP and SSE, graphql-ws
// on the same path. Returns { start, stop }; nothing listens until start().
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, useReadinessCheck } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { createTokenService, persistentSecret } from './auth.js';
import { type Config, developerTools } from './config.js';
import { createContext, type Services, type SocketAuth } from './context.js';
import { openDatabase } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import { createMaskError } from './errors.js';
import { guards } from './guards.js';
import { createLogger, yogaLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createNotificationReader } from './notifications/reader.js';
import { publishCreated } from './notifications/store.js';
import { PAGE } from './notifications/stream.js';
import { createInProcessPubSub } from './pubsub/in-process.js';
import type { UserMessage } from './pubsub/pubsub.js';
import { createRedisPubSub } from './pubsub/redis.js';
import { createRateLimits } from './rate-limits.js';
import { schema } from './schema/index.js';
import { startSocketServer } from './socket.js';

const SHUTDOWN_GRACE_MS = 5_000;

export type App = {
  /** Listens on config.PORT (0 picks a free port); resolves with the base URL. */
  start(): Promise<string>;
  /** Stops accepting, closes sockets with 1001, finishes in-flight requests, closes the database. */
  stop(): Promise<void>;
};

/** What Node's HTTP server hands Yoga with each request. */
type ServerContext = { req: IncomingMessage; res: ServerResponse };

export async function createApp(
  config: Config,
  options: { logDestination?: DestinationStream } = {},
): Promise<App> {
  const logger = createLogger(
    config.LOG_LEVEL ?? (config.NODE_ENV === 'test' ? 'warn' : 'info'),
    options.logDestination,
  );
  const metrics = createMetrics();
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const { applied } = await applyMigrations(db.adapter, { log: (m) => logger.info(m) });
  if (applied.length) logger.info({ applied }, 'applied migrations');

  const secret = config.JWT_SECRET ?? persistentSecret(config.DATA_DIR);
  const onRedisError = (error: unknown) => logger.warn({ err: error }, 'redis');
  const pubsub = config.REDIS_URL
    ? createRedisPubSub({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        onError: onRedisError,
        onReconnect: () => metrics.pubsubReconnects.inc(),
      })
    : createInProcessPubSub();
  // Rate-limit counters: fail fast while Redis is away (the limiter then counts in memory).
  const limitsRedis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
    : undefined;
  limitsRedis?.on('error', onRedisError);

  // A failed publish must not fail a committed mutation: the notification is
  // stored, and a subscriber's next read (or resync) delivers it.
  const publish = (messages: UserMessage[]) =>
    pubsub.publish(messages).catch((error) => logger.error({ err: error }, 'publish failed'));
  const services: Services = {
    prisma: db.prisma,
    pubsub,
    tokens: createTokenService(secret, config.TOKEN_TTL_MINUTES),
    limits: createRateLimits(config, limitsRedis),
    notificationReader: createNotificationReader(db.prisma, PAGE),
    metrics,
    logger,
    async announce(created) {
      metrics.notificationsCreated.inc(created.length);
      await publishCreated(pubsub, created).then(
        () => metrics.notificationsPublished.inc(created.length),
        (error) => logger.error({ err: error }, 'publish failed'),
      );
    },
    announceRead: (userId) => publish([{ userId, event: { type: 'read' } }]),
    announceRevoked: (userId) => publish([{ userId, event: { type: 'revoked' } }]),
  };

  const tools = developerTools(config);
  const yoga = createYoga<ServerContext & { socketAuth?: SocketAuth }>({
    schema,
    logging: yogaLogger(logger),
    graphiql: tools.graphiql,
    context: ({ request, req, socketAuth }) =>
      createContext(services, {
        request,
        socketAuth,
        clientIp: req?.socket.remoteAddress,
        logger: logger.child({ requestId: req ? requestIds.get(req) : undefined }),
      }),
    maskedErrors: {
      maskError: createMaskError((error) => logger.error({ err: error }, 'unexpected error')),
    },
    healthCheckEndpoint: '/health',
    plugins: [
      ...guards(config),
      useReadinessCheck({
        endpoint: '/ready',
        check: async () => {
          const [database, events] = await Promise.all([
            db.prisma.$queryRaw`SELECT 1`.then(
              () => true,
              () => false,
            ),
            pubsub.isHealthy(),
          ]);
          return database && events;
        },
      }),
    ],
  });

  const requestIds = new WeakMap<IncomingMessage, string>();
  const httpServer = createServer(async (req, res) => {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header.length <= 100 ? header : randomUUID();
    requestIds.set(req, requestId);
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      metrics.httpRequests.inc({ method: req.method ?? '', status: String(res.statusCode) });
      logger.debug(
        { requestId, method: req.method, url: req.url?.split('?')[0], status: res.statusCode },
        'request',
      );
    });
    if (req.url === '/metrics' && req.method === 'GET') {
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
      return;
    }
    const refusal = bodyRefusal(req, config.MAX_BODY_BYTES);
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: refusal.message }] }));
      return;
    }
    yoga(req, res);
  });
  const sockets = startSocketServer({ httpServer, yoga, services, config });

  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.PORT, config.HOST, () => resolve());
      });
      const { port } = httpServer.address() as AddressInfo;
      const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
      return `http://${host}:${port}`;
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
      await pubsub.close();
      limitsRedis?.disconnect();
      await db.close();
      logger.flush();
    },
  };
}

/**
 * Why a request body is refused before anyone reads it. Yoga has no size limit of
 * its own, and Node would buffer whatever it is sent; a length must be declared
 * so the limit holds without reading the body.
 */
function bodyRefusal(req: IncomingMessage, max: number) {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return undefined;
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    if (req.headers['transfer-encoding']) {
      return { status: 411, message: 'A Content-Length header is required.' };
    }
    return undefined;
  }
  if (Number(declared) > max) {
    return { status: 413, message: `The request body is larger than ${max} bytes.` };
  }
  return undefined;
}
