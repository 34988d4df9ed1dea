// The HTTP front door: a request id on every request, /metrics, the web app (and
// GraphiQL's files), the body-size limit, then Yoga (GraphQL over HTTP and SSE,
// GraphiQL, /health, /ready).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Config, developerTools } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { createWebApp } from './web-app.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export function createHttpServer(options: {
  config: Config;
  metrics: Metrics;
  logger: Logger;
  /** Where every request that is not answered here goes. */
  yoga: Handler;
  requestIds: WeakMap<IncomingMessage, string>;
}): Server {
  const { config, metrics, logger, requestIds } = options;
  const serveWebApp = createWebApp({ graphiql: developerTools(config).graphiql });
  return createServer(async (req, res) => {
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
    if (serveWebApp(req, res)) return;
    const refusal = bodyRefusal(req, config.MAX_BODY_BYTES);
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: refusal.message }] }));
      return;
    }
    options.yoga(req, res);
  });
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
