// One context for every transport: HTTP, SSE and graphql-ws all end up here.
import type { TokenService, Viewer } from './auth.js';
import { bearerToken } from './auth.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { NotificationReader } from './notifications/reader.js';
import type { Created } from './notifications/store.js';
import type { PubSub } from './pubsub/pubsub.js';
import type { RateLimits } from './rate-limits.js';

export type Services = {
  prisma: PrismaClient;
  pubsub: PubSub;
  tokens: TokenService;
  limits: RateLimits;
  /** Batches subscribers' reads of their new notifications (a fan-out wakes thousands). */
  notificationReader: NotificationReader;
  metrics: Metrics;
  logger: Logger;
  /** After commit: announces new notifications; logs instead of failing the mutation. */
  announce(created: readonly Created[]): Promise<void>;
  /** After commit: announces that some of a user's notifications were marked read. */
  announceRead(userId: number): Promise<void>;
  /** After commit: tells every instance to close this user's sockets (tokens revoked). */
  announceRevoked(userId: number): Promise<void>;
};

export type Context = Services & {
  viewer: Viewer | null;
  /** Why there is no viewer although a token was sent, for a clearer UNAUTHENTICATED. */
  authProblem?: string;
  /** The peer's address, for per-IP limits. */
  clientIp: string;
};

/** What graphql-ws `onConnect` leaves on the socket's `extra`. */
export type SocketAuth = { viewer: Viewer | null; clientIp: string };

/** Whether tokens of this version were revoked since (log-out, new password). */
export async function isRevoked(prisma: PrismaClient, userId: number, version: number) {
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { tokenVersion: true },
  });
  return user?.tokenVersion !== version;
}

/** The viewer a bearer token names: signed, unexpired, and not revoked since. */
export async function viewerFromToken(services: Services, token: string): Promise<Viewer | null> {
  const claims = await services.tokens.verify(token);
  if (!claims || (await isRevoked(services.prisma, claims.id, claims.version))) return null;
  return { id: claims.id, tokenExpiresAt: claims.tokenExpiresAt, tokenVersion: claims.version };
}

export async function createContext(
  services: Services,
  initial: { request?: Request; socketAuth?: SocketAuth; clientIp?: string; logger?: Logger },
): Promise<Context> {
  const base = { ...services, logger: initial.logger ?? services.logger };
  if (initial.socketAuth) {
    return { ...base, viewer: initial.socketAuth.viewer, clientIp: initial.socketAuth.clientIp };
  }
  const clientIp = initial.clientIp ?? 'unknown';
  const token = bearerToken(initial.request?.headers.get('authorization'));
  if (token === undefined) return { ...base, viewer: null, clientIp };
  const viewer = token === null ? null : await viewerFromToken(services, token);
  if (!viewer) {
    const authProblem = 'The bearer token is invalid, expired or revoked.';
    return { ...base, viewer: null, authProblem, clientIp };
  }
  return { ...base, viewer, clientIp };
}
