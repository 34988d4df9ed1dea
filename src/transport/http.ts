// The HTTP front door: timeouts and connection caps, a request id on every
// request, /metrics, the web app (and GraphiQL's files), the body-size limit,
// /unsubscribe (one-click, from emails), then Yoga (GraphQL over HTTP and SSE,
// GraphiQL, /health, /ready).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Config, developerTools } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ClientIp, Trust } from './client-ip.js';
import { capConnections } from './connection-caps.js';
import { createWebApp } from './web-app.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpServer(options: {
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** Where every request that is not answered here goes. */
  yoga: Handler;
  /** `/unsubscribe?token=…` (src/delivery/unsubscribe.ts). */
  unsubscribe: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  clientIp: ClientIp;
  trust: Trust;
}): Server {
  const { config, metrics, logger } = options;
  const serveWebApp = createWebApp({ graphiql: developerTools(config).graphiql });
  const requestTimeout = config.HTTP_REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      // Node's defaults (300 s for a request, no cap on connections) let slow
      // senders hold descriptors for minutes; these are a public endpoint's.
      requestTimeout,
      headersTimeout: requestTimeout
        ? Math.min(config.HTTP_HEADERS_TIMEOUT_MS, requestTimeout)
        : config.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // How often those timeouts are checked (Node's default, 30 s, would let a
      // 10 s limit run for 40).
      connectionsCheckingInterval: 1_000,
    },
    handle,
  );
  capConnections(server, { config, metrics, trust: options.trust });
  return server;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const header = req.headers['x-request-id'];
    const requestId = typeof header === 'string' && header.length <= 100 ? header : randomUUID();
    res.setHeader('x-request-id', requestId);
    res.on('finish', () => {
      metrics.httpRequests.inc({ method: req.method ?? '', status: String(res.statusCode) });
      // Checked first: the fields (the client's address above all) cost work on every request.
      if (!logger.isLevelEnabled('debug')) return;
      logger.debug(
        {
          requestId,
          clientIp: options.clientIp(req),
          method: req.method,
          url: req.url?.split('?')[0],
          status: res.statusCode,
        },
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
    if (req.url?.split('?')[0] === '/unsubscribe') {
      await options.unsubscribe(req, res).catch((error) => {
        logger.error({ err: error }, 'unsubscribe failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    if (serveWebApp(req, res)) return;
    options.yoga(req, res);
  }
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
