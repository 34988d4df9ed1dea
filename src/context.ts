// One context for every transport: HTTP, SSE and graphql-ws all end up here.
import type { Sessions } from './auth/session.js';
import { bearerToken, type TokenService } from './auth/tokens.js';
import { type Viewer, viewerFromClaims } from './auth/viewer.js';
import type { BatchedReads } from './db/batched-reads.js';
import type { HotStatements } from './db/prepared.js';
import type { DeliverySettings } from './delivery/index.js';
import type { Outbox } from './delivery/outbox.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { CommentStore } from './notifications/comment-store.js';
import type { Notifier } from './notifications/notifier.js';
import type { NotificationReader } from './notifications/reader.js';
import type { PubSub } from './pubsub/pubsub.js';
import type { RateLimits } from './rate-limits.js';
import type { SubscriptionBudget } from './transport/subscription-budget.js';

/** What the app builds once and every operation shares. */
export type Services = {
  prisma: PrismaClient;
  /** The statements that store a comment or a post with its notifications (db/prepared.ts). */
  hot: HotStatements;
  /** The reads every new connection makes, batched (db/batched-reads.ts). */
  reads: BatchedReads;
  pubsub: PubSub;
  tokens: TokenService;
  sessions: Sessions;
  limits: RateLimits;
  /** Live subscriptions per user, over graphql-ws and SSE together. */
  subscriptions: SubscriptionBudget;
  /** MAX_NODE_IDS: the most ids one `nodes(ids:)` may ask for. */
  maxNodeIds: number;
  /** Batches subscribers' reads of their new notifications (a fan-out wakes thousands). */
  notificationReader: NotificationReader;
  /** After commit: publishes what a mutation stored. */
  notifier: Notifier;
  /** Stores comments with their notifications, grouped under load (notifications/comment-store.ts). */
  comments: CommentStore;
  /** In the transaction: records a new notification's email (push, webhook) deliveries. */
  outbox: Outbox;
  /** The VAPID public key and the rules for user-given delivery URLs. */
  deliverySettings: DeliverySettings;
  metrics: Metrics;
  /**
   * The server's logger, in every operation's context too: a line that needs the
   * request's fields adds them itself. A pino child per request (its fields
   * serialised and redacted) cost about 10 µs, and two per graphql-ws socket stayed
   * for its life, for lines nothing wrote.
   */
  logger: Logger;
};

export type Context = Services & {
  /** Set by signUp / logIn within their own operation, so `user { email }` shows. */
  viewer: Viewer | null;
  /** Why there is no viewer although a token was sent, for a clearer UNAUTHENTICATED. */
  authProblem?: string;
  /** The client's address, for per-IP limits. */
  clientIp: string;
  /**
   * True over graphql-ws: the socket watches the session (expiry, revocation) and
   * closes itself, which ends its streams. Over SSE each stream watches its own.
   */
  sessionWatched: boolean;
};

/** What graphql-ws `onConnect` leaves on the socket's `extra`, shared by its operations. */
export type SocketAuth = { viewer: Viewer | null; clientIp: string };

/**
 * The initial context of an operation over graphql-ws, which Yoga then extends
 * with `socketFields`: the services by inheritance, not copied. A subscription's
 * context lives as long as it does, and twenty copied properties put an object in
 * V8's dictionary mode, 1.6 KiB each (measured in heap snapshots).
 */
export function socketContext(
  services: Services,
  fields: { socketAuth: SocketAuth; params: unknown },
) {
  return Object.assign(Object.create(services) as Services, fields);
}

/** What an operation over graphql-ws adds to its `socketContext`. */
export function socketFields({ viewer, clientIp }: SocketAuth) {
  return { viewer, clientIp, sessionWatched: true };
}

/** An HTTP request's context (SSE included): the services, and who is asking. */
export async function createContext(
  services: Services,
  initial: { request?: Request; clientIp?: string },
): Promise<Context> {
  const clientIp = initial.clientIp ?? 'unknown';
  const token = bearerToken(initial.request?.headers.get('authorization'));
  if (token === undefined) return { ...services, viewer: null, clientIp, sessionWatched: false };
  const claims = token === null ? null : await services.tokens.verify(token);
  const viewer = claims && (await viewerFromClaims(services.reads, claims));
  if (!viewer) {
    const authProblem = 'The bearer token is invalid, expired or revoked.';
    return { ...services, viewer: null, authProblem, clientIp, sessionWatched: false };
  }
  return { ...services, viewer, clientIp, sessionWatched: false };
}
