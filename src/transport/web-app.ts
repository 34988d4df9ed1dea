// Serves the inbox app (web/, built into web/dist by `npm run build:web`) on `/` and on
// every page path, so a reload or a shared link shows the same page, and GraphiQL's
// files. The API paths are left to Yoga.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { serveGraphiQLAsset } from './graphiql.js';

const API_PATHS = new Set(['/graphql', '/health', '/ready', '/metrics']);

/** The app's own pages (web/src/router.tsx); any other path gets index.html with a 404. */
const PAGES = [
  /^\/$/,
  /^\/login$/,
  /^\/notifications$/,
  /^\/settings\/notifications$/,
  /^\/(posts|users)\/[^/]+$/,
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names what is under assets/ by content hash: a new build means new names. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export type WebApp = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * The HTTP handler: returns true when it answered (or is answering) the request, false
 * when the request is for someone else (the API).
 */
export function createWebApp(options: { graphiql: boolean; distDir?: string }): WebApp {
  const dist = resolve(options.distDir ?? join(projectRoot(), 'web', 'dist'));
  return function serveWebApp(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = pathOf(req.url);
    if (pathname === undefined || API_PATHS.has(pathname) || pathname.startsWith('/graphql/')) {
      return false;
    }
    if (options.graphiql && serveGraphiQLAsset(pathname, res)) return true;

    const file = fileIn(dist, pathname);
    if (file) {
      const immutable = pathname.startsWith('/assets/');
      sendFile(req, res, file, 200, immutable ? IMMUTABLE : 'no-cache');
      return true;
    }
    // A missing file (/assets/x.js, /robots.txt) is a plain 404, never the app.
    if (extname(pathname) !== '' || pathname.startsWith('/assets/')) return false;
    const index = join(dist, 'index.html');
    if (!existsSync(index)) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('The web app is not built yet: run `npm run build:web`.\n');
      return true;
    }
    const status = PAGES.some((page) => page.test(pathname)) ? 200 : 404;
    sendFile(req, res, index, status, 'no-cache');
    return true;
  };
}

/**
 * Only this origin: scripts, styles, images, workers and connections. WebSockets are
 * named explicitly (ws: and wss: on this host), since not every browser counts them as
 * 'self'. No inline script or style; no framing.
 */
function contentSecurityPolicy(host: string | undefined) {
  const sockets =
    host && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host)
      ? ` ws://${host} wss://${host}`
      : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${sockets}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  status: number,
  cacheControl: string,
) {
  const plain = readFileSync(file);
  const hash = createHash('sha1').update(plain).digest('base64url');
  const gzip =
    COMPRESSIBLE.has(extname(file)) && /\bgzip\b/.test(String(req.headers['accept-encoding']));
  const body = gzip ? gzipped(hash, plain) : plain;
  // no-cache means "check first": the ETag turns that check into a 304 when unchanged.
  const etag = `"${hash}${gzip ? '-gzip' : ''}"`;
  res.setHeader('cache-control', cacheControl);
  res.setHeader('etag', etag);
  res.setHeader('vary', 'accept-encoding');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
  if (gzip) res.setHeader('content-encoding', 'gzip');
  if (file.endsWith('.html')) {
    res.setHeader('content-security-policy', contentSecurityPolicy(req.headers.host));
    res.setHeader('x-frame-options', 'DENY');
  }
  if (status === 200 && req.headers['if-none-match'] === etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.setHeader('content-length', body.length);
  res.writeHead(status);
  res.end(req.method === 'HEAD' ? undefined : body);
}

const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.webmanifest']);
/** Each build's files are compressed once: the bundle is a third of its size gzipped. */
const compressed = new Map<string, Buffer>();
function gzipped(hash: string, plain: Buffer) {
  let body = compressed.get(hash);
  if (!body) {
    body = gzipSync(plain);
    compressed.set(hash, body);
  }
  return body;
}

/** The decoded path, or undefined when it cannot be decoded. */
function pathOf(url: string | undefined) {
  try {
    return decodeURIComponent(new URL(url ?? '/', 'http://localhost').pathname);
  } catch {
    return undefined;
  }
}

/** A regular file under dist named by the path; never anything outside dist. */
function fileIn(dist: string, pathname: string) {
  if (pathname === '/' || pathname.endsWith('/')) return undefined;
  const file = resolve(dist, `.${pathname}`);
  if (!file.startsWith(dist + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The folder of package.json: found by walking up, so this file may move within src/. */
function projectRoot() {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
