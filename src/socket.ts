// graphql-ws on the HTTP server's /graphql path, executing through the same Yoga
// instance (and so the same context factory, plugins and error masking) as HTTP.
import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { CloseCode, type ServerOptions } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaLogger, YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { bearerToken, type TokenService, type Viewer } from './auth.js';
import type { SocketAuth } from './context.js';

// setTimeout cannot wait longer than this (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

type Extra = { socketAuth?: SocketAuth; expiryTimer?: NodeJS.Timeout };

export function startSocketServer(options: {
  httpServer: Server;
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's server context type is not needed here.
  yoga: YogaServerInstance<any, any>;
  tokens: TokenService;
  logger: YogaLogger;
}) {
  const { yoga, tokens } = options;
  const wss = new WebSocketServer({ server: options.httpServer, path: yoga.graphqlEndpoint });

  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onConnect: async (ctx) => {
        const token = bearerToken(ctx.connectionParams?.authorization);
        let viewer: Viewer | null = null;
        if (token !== undefined) {
          viewer = token === null ? null : await tokens.verify(token);
          // A bad or expired token is refused outright (4403), never downgraded to anonymous.
          if (!viewer) return false;
          // The contract: the socket closes with 4403 when its token expires, and
          // graphql-ws clients then reconnect with fresh connectionParams.
          const wait = Math.min(viewer.tokenExpiresAt.getTime() - Date.now(), MAX_TIMER_MS);
          ctx.extra.expiryTimer = setTimeout(
            () => {
              ctx.extra.socket.close(CloseCode.Forbidden, 'Token expired');
            },
            Math.max(wait, 0),
          );
        }
        ctx.extra.socketAuth = { viewer };
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          socketAuth: ctx.extra.socketAuth ?? { viewer: null },
        });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wss,
  );

  return {
    /** Closes every socket with 1001 (going away) so clients reconnect elsewhere. */
    close: () => server.dispose(),
  };
}

// What onSubscribe puts in rootValue: Yoga's own enveloped execute and subscribe.
type Enveloped = {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
};
type OperationResult = ReturnType<NonNullable<ServerOptions['execute']>>;
