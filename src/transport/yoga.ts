// One Yoga instance for every transport: GraphQL over HTTP and SSE here, and
// graphql-ws through yoga.getEnveloped (socket.ts), so all share the context
// factory, the guards and the error masking.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createYoga, useReadinessCheck } from 'graphql-yoga';
import { type Config, developerTools } from '../config.js';
import { createContext, type Services, type SocketAuth, socketFields } from '../context.js';
import { createMaskError } from '../errors.js';
import { yogaLogger } from '../logger.js';
import { schema } from '../schema/index.js';
import type { ClientIp } from './client-ip.js';
import { compiledSubscriptions } from './compiled-subscriptions.js';
import { renderGraphiQL } from './graphiql.js';
import { guards } from './guards.js';

/** The message of a masked error, given to Yoga and to the subscriptions' own masking. */
const UNEXPECTED = 'Unexpected error.';

/** What Node's HTTP server hands Yoga with each request; graphql-ws hands socketContext's. */
type ServerContext = { req: IncomingMessage; res: ServerResponse; socketAuth?: SocketAuth };

export function createYogaServer(options: {
  config: Config;
  services: Services;
  clientIp: ClientIp;
  /** Whether the database and the pub/sub can be reached, for /ready. */
  ready(): Promise<boolean>;
}) {
  const { config, services } = options;
  const logging = yogaLogger(services.logger);
  const maskError = createMaskError();
  return createYoga<ServerContext>({
    schema,
    logging,
    graphiql: developerTools(config).graphiql,
    renderGraphiQL,
    context: ({ request, req, socketAuth }) => {
      // Over graphql-ws the initial context inherits the services already (socket.ts).
      if (socketAuth) return socketFields(socketAuth);
      const clientIp = req ? options.clientIp(req) : undefined;
      return createContext(services, { request, clientIp });
    },
    maskedErrors: { maskError, errorMessage: UNEXPECTED },
    // The front door (http.ts) refuses a body over MAX_BODY_BYTES by its declared
    // length and Node reads no more than declared, so Yoga's own limit, which pipes
    // every body through a TransformStream (about 80 µs a request, profiled), is off.
    maxRequestBodySize: false,
    healthCheckEndpoint: '/health',
    plugins: [
      compiledSubscriptions({
        maxResponseBytes: config.MAX_RESPONSE_BYTES,
        // As Yoga masks: with its default message, logging each error it hides.
        maskError: (error) => {
          const masked = maskError(error, UNEXPECTED);
          if (masked !== error) logging.error(error);
          return masked;
        },
      }),
      ...guards(config),
      useReadinessCheck({ endpoint: '/ready', check: options.ready }),
    ],
  });
}
