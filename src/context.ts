// One context for every transport: HTTP, SSE and graphql-ws all end up here.
import type { TokenService, Viewer } from './auth.js';
import { bearerToken } from './auth.js';
import type { PrismaClient } from './generated/prisma/client.js';
import type { Created } from './notifications/store.js';
import type { PubSub } from './pubsub/pubsub.js';

export type Services = {
  prisma: PrismaClient;
  pubsub: PubSub;
  tokens: TokenService;
  /** After commit: announces new notifications; logs instead of failing the mutation. */
  announce(created: readonly Created[]): Promise<void>;
  /** After commit: announces that some of a user's notifications were marked read. */
  announceRead(userId: number): Promise<void>;
};

export type Context = Services & {
  viewer: Viewer | null;
  /** Why there is no viewer although a token was sent, for a clearer UNAUTHENTICATED. */
  authProblem?: string;
};

/** What graphql-ws `onConnect` leaves on the socket's `extra`. */
export type SocketAuth = { viewer: Viewer | null };

export async function createContext(
  services: Services,
  initial: { request?: Request; socketAuth?: SocketAuth },
): Promise<Context> {
  if (initial.socketAuth) return { ...services, viewer: initial.socketAuth.viewer };
  const token = bearerToken(initial.request?.headers.get('authorization'));
  if (token === undefined) return { ...services, viewer: null };
  const viewer = token === null ? null : await services.tokens.verify(token);
  if (!viewer) {
    return { ...services, viewer: null, authProblem: 'The bearer token is invalid or expired.' };
  }
  return { ...services, viewer };
}
