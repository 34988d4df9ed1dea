// graphql-ws on the HTTP server's /graphql path, executing through the same Yoga
// instance (and so the same context factory, plugins and error masking) as HTTP.
// Also the socket's own guards: origin, connection rate, frame size, keep-alive,
// subscription budgets, and closing at token expiry or revocation (4403).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, handleProtocols, type ServerOptions, type SubscribePayload } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import { bearerToken } from '../auth/tokens.js';
import { viewerFromClaims } from '../auth/viewer.js';
import type { Config } from '../config.js';
import { type Services, type SocketAuth, socketContext } from '../context.js';
import { rateLimited } from '../errors.js';
import type { ClientIp } from './client-ip.js';
import { eventsFor } from './compiled-subscriptions.js';
import { serveGraphqlWs } from './socket-adapter.js';

/** What this file keeps per socket (graphql-ws hands it to the hooks as `ctx.extra`). */
type SocketState = {
  socket: WebSocket;
  connectionId: string;
  clientIp: string;
  auth?: SocketAuth;
  /** Undoes what onConnect set up: the session watcher. */
  release: Array<() => void>;
  /** Operations holding one of the user's subscription slots, with what gives it back. */
  counted: Map<string, () => void>;
  /** Set by onClose, which can run while onConnect is still waiting. */
  closed: boolean;
};

function releaseAll(state: SocketState) {
  for (const release of state.release.splice(0)) release();
}

export function startSocketServer(options: {
  httpServer: Server;
  // biome-ignore lint/suspicious/noExplicitAny: the server context type does not matter here.
  yoga: YogaServerInstance<any, any>;
  services: Services;
  config: Config;
  clientIp: ClientIp;
}) {
  const { yoga, services, config } = options;
  const { metrics } = services;
  // ws closes a connection that sends a larger frame with 1009 (message too big).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.MAX_BODY_BYTES,
    handleProtocols,
  });

  options.httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const path = request.url?.split('?')[0];
      if (path !== yoga.graphqlEndpoint) return refuse(socket, 404, 'Not Found');
      if (!originAllowed(request, config.ALLOWED_ORIGINS)) {
        return refuse(socket, 403, 'Forbidden');
      }
      const ip = options.clientIp(request);
      if (!(await services.limits.connection(ip).catch(() => true))) {
        metrics.rateLimited.inc({ limit: 'connection' });
        return refuse(socket, 429, 'Too Many Requests');
      }
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    })();
  });

  const server = serveGraphqlWs<Record<string, unknown> | undefined, SocketState>({
    wss,
    pingIntervalMs: config.WS_PING_INTERVAL_MS,
    onError: (error) => services.logger.warn({ err: error }, 'websocket error'),
    extra: (socket, request) => {
      metrics.openSockets.inc();
      return {
        socket,
        // Unique across instances (it keys a shared rate limit). randomUUID() builds
        // its string from 20 pieces, kept for the socket's life as a chain of 18
        // string objects (a heap snapshot's count); replaceAll makes it one piece.
        // (randomBytes would read the kernel's entropy for every socket: 5× slower.)
        connectionId: randomUUID().replaceAll('-', ''),
        clientIp: options.clientIp(request),
        release: [],
        counted: new Map(),
        closed: false,
      };
    },
    protocol: {
      connectionInitWaitTimeout: config.WS_INIT_TIMEOUT_MS,
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: async (args) => {
        const result = await (args.rootValue as Enveloped).subscribe(args);
        // The events as the execution step hands them out, already checked and
        // masked there (compiled-subscriptions.ts), without the layer envelop
        // wraps around them to do the same per event.
        const events = eventsFor(args.contextValue);
        if (events && Symbol.asyncIterator in result) return events;
        // A stream that a later hook replaced with an error result: closed, unused.
        events?.return?.().catch(() => {});
        return result;
      },
      onConnect: async (ctx) => {
        try {
          return await connect(ctx);
        } catch (error) {
          // The database or Redis is away: a retryable close (1013, try again later),
          // not graphql-ws's 4500, which its clients take as final.
          services.logger.warn({ err: error }, 'connection_init failed');
          ctx.extra.socket.close(1013, 'Try again later');
          return false;
        }
      },
      onClose: (ctx) => {
        metrics.openSockets.dec();
        const state = ctx.extra;
        state.closed = true;
        releaseAll(state);
        for (const release of state.counted.values()) release();
        state.counted.clear();
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = ctx.extra;
        const refusal = await subscriptionRefusal(state, Object.keys(ctx.subscriptions).length);
        if (refusal) {
          metrics.rateLimited.inc({ limit: refusal.limit });
          return [rateLimited(refusal.message)];
        }
        // The slot is taken now, before anything is awaited, so that concurrent
        // subscribes cannot all pass the check; it is given back if this one fails.
        const userId = state.auth?.viewer?.id;
        const slot = userId ? services.subscriptions.take(userId) : () => {};
        if (!slot) {
          metrics.rateLimited.inc({ limit: 'per-user' });
          return [rateLimited('Too many subscriptions for this user.')];
        }
        try {
          const args = await operationArgs(state, payload);
          // A socket closed meanwhile has released its slots already; keep none for it.
          if (Array.isArray(args) || ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) slot();
          else state.counted.set(id, slot);
          return args;
        } catch (error) {
          slot();
          throw error;
        }
      },
      onComplete: (ctx, id) => {
        const state = ctx.extra;
        state.counted.get(id)?.();
        state.counted.delete(id);
      },
    },
  });

  /** The operation's execution arguments, or the errors that refuse it. */
  async function operationArgs(
    state: SocketState,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped(
      socketContext(services, { params: payload, socketAuth: state.auth ?? anonymous(state) }),
    );
    // A syntax error or a query limit (graphql-armor throws from parse and
    // validate) fails this operation only, not the whole socket.
    let document: DocumentNode;
    try {
      document = parse(payload.query);
      const errors = validate(schema, document);
      if (errors.length) return errors;
    } catch (error) {
      if (error instanceof GraphQLError) return [error];
      throw error;
    }
    return {
      schema,
      operationName: payload.operationName,
      document,
      variableValues: payload.variables,
      contextValue: await contextFactory(),
      rootValue: { execute, subscribe },
    };
  }

  const anonymous = (state: SocketState): SocketAuth => ({
    viewer: null,
    clientIp: state.clientIp,
  });

  async function connect(ctx: ConnectContext): Promise<boolean> {
    const state = ctx.extra;
    const token = bearerToken(ctx.connectionParams?.authorization);
    if (token === undefined) {
      state.auth = anonymous(state);
      return true;
    }
    // A bad, expired or revoked token is refused outright (4403), never downgraded to anonymous.
    const claims = token === null ? null : await services.tokens.verify(token);
    if (!claims || state.closed) return false;
    // The contract: the socket closes with 4403 when its token expires or is revoked,
    // and graphql-ws clients then reconnect with fresh connectionParams. Watching
    // starts before the version check, so a revocation in between is not missed.
    const stopWatching = await services.sessions.watch(
      { id: claims.id, tokenExpiresAt: claims.tokenExpiresAt, tokenVersion: claims.version },
      (reason) =>
        ctx.extra.socket.close(
          CloseCode.Forbidden,
          reason === 'expired' ? 'Token expired' : 'Token revoked',
        ),
    );
    state.release.push(stopWatching);
    const viewer = await viewerFromClaims(services.reads, claims);
    // The socket may have closed while we waited; its onClose has run already.
    if (!viewer || state.closed) {
      releaseAll(state);
      return false;
    }
    state.auth = { ...anonymous(state), viewer };
    return true;
  }

  async function subscriptionRefusal(state: SocketState, open: number) {
    if (!(await services.limits.subscribe(state.connectionId))) {
      return { limit: 'subscribe', message: 'Too many subscribe messages; slow down.' };
    }
    // `open` already includes the one being started.
    if (open > config.MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return { limit: 'per-connection', message: 'Too many subscriptions on this connection.' };
    }
    return undefined;
  }

  return {
    /** Closes every socket with 1001 (going away) so clients reconnect elsewhere. */
    async close() {
      await server.dispose();
    },
  };
}

/** Browsers send Origin; other clients do not, and the check is for browsers. */
function originAllowed(request: IncomingMessage, allowed: readonly string[]) {
  const origin = request.headers.origin;
  if (!origin) return true;
  if (allowed.includes(origin) || allowed.includes('*')) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, text: string) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

type ConnectContext = Parameters<
  NonNullable<ServerOptions<Record<string, unknown> | undefined, SocketState>['onConnect']>
>[0];

// What onSubscribe puts in rootValue: Yoga's own enveloped execute and subscribe.
type Enveloped = {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
};
type OperationResult = ReturnType<NonNullable<ServerOptions['execute']>>;
