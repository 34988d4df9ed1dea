// Builds the whole server: database, pub/sub, Yoga over HTTP and SSE, graphql-ws
// on the same path. Returns { start, stop }; nothing listens until start().
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, createYoga, useReadinessCheck } from 'graphql-yoga';
import { createTokenService, persistentSecret } from './auth.js';
import type { Config } from './config.js';
import { createContext, type Services, type SocketAuth } from './context.js';
import { openDatabase } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import { createMaskError } from './errors.js';
import { publishCreated } from './notifications/store.js';
import { createInProcessPubSub } from './pubsub/in-process.js';
import { createRedisPubSub } from './pubsub/redis.js';
import { schema } from './schema/index.js';
import { startSocketServer } from './socket.js';

const SHUTDOWN_GRACE_MS = 5_000;

export type App = {
  /** Listens on config.PORT (0 picks a free port); resolves with the base URL. */
  start(): Promise<string>;
  /** Stops accepting, closes sockets with 1001, finishes in-flight requests, closes the database. */
  stop(): Promise<void>;
};

export async function createApp(config: Config): Promise<App> {
  const logger = createLogger(config.NODE_ENV === 'test' ? 'warn' : 'info');
  const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const { applied } = await applyMigrations(db.adapter, { log: (m) => logger.info(m) });
  if (applied.length) logger.info(`Applied migrations: ${applied.join(', ')}`);

  const secret = config.JWT_SECRET ?? persistentSecret(config.DATA_DIR);
  const pubsub = config.REDIS_URL
    ? createRedisPubSub({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        onError: (error) => logger.warn('redis:', String(error)),
      })
    : createInProcessPubSub();
  const services: Services = {
    prisma: db.prisma,
    pubsub,
    tokens: createTokenService(secret, config.TOKEN_TTL_MINUTES),
    // A failed publish must not fail a committed mutation: the notification is
    // stored, and a subscriber's next read (or resync) delivers it.
    announce: (created) =>
      publishCreated(pubsub, created).catch((error) => logger.error('publish failed', error)),
    announceRead: (userId) =>
      pubsub
        .publish([{ userId, event: { type: 'read' } }])
        .catch((error) => logger.error('publish failed', error)),
  };

  const yoga = createYoga<{ socketAuth?: SocketAuth }>({
    schema,
    logging: logger,
    context: ({ request, socketAuth }) => createContext(services, { request, socketAuth }),
    maskedErrors: { maskError: createMaskError((error) => logger.error(error)) },
    healthCheckEndpoint: '/health',
    plugins: [
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

  const httpServer = createServer(yoga);
  const sockets = startSocketServer({ httpServer, yoga, tokens: services.tokens, logger });

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
      await db.close();
    },
  };
}
