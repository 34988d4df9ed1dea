// GraphiQL on GET /graphql with every file it needs served by this server, so it works on
// a network with no route to the internet. Yoga's own page loads its code from a CDN;
// @graphql-yoga/render-graphiql ships the same build (script, styles, editor workers) as
// strings, which are served here as separate, cacheable files.

import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';

const version = (
  createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as {
    version: string;
  }
).version;
const gzipAsync = promisify(gzipCallback);

/** Versioned, so the files can be cached for good. */
const BASE = `/graphiql/${version}/`;

type Assets = typeof import('@graphql-yoga/render-graphiql/graphiql');
type Asset = { type: string; body: (assets: Assets) => string };

const FILES: Record<string, Asset> = {
  'graphiql.js': { type: 'text/javascript', body: (a) => a.js },
  'graphiql.css': { type: 'text/css', body: (a) => a.css },
  'editor.worker.js': { type: 'text/javascript', body: (a) => a.editorWorkerService },
  'json.worker.js': { type: 'text/javascript', body: (a) => a.jsonWorker },
  'graphql.worker.js': { type: 'text/javascript', body: (a) => a.graphqlWorker },
  // Starts GraphiQL with the options the page carries as JSON (no inline script).
  'start.js': { type: 'text/javascript', body: () => START },
};

const START = `
const options = JSON.parse(document.getElementById('graphiql-options').textContent);
const workers = {
  editorWorkerService: '${BASE}editor.worker.js',
  json: '${BASE}json.worker.js',
  graphql: '${BASE}graphql.worker.js',
};
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => workers[label] };
YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
`;

/** Yoga's `renderGraphiQL` option: the page, pointing at this server's copies. */
export function renderGraphiQL(options: GraphiQLOptions): string {
  // "<" escaped so that no value can close the script element early.
  const json = JSON.stringify(options ?? {}).replace(/</g, '\\u003c');
  const title = escapeHtml(options?.title || 'GraphiQL · notify-graphql');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${BASE}graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root">Loading GraphiQL…</div>
<script type="application/json" id="graphiql-options">${json}</script>
<script src="${BASE}graphiql.js"></script>
<script src="${BASE}start.js"></script>
</body>
</html>`;
}

let assets: Promise<Assets> | undefined;

/**
 * Answers GET /graphiql/<version>/<file>; returns false for any other path. The 9 MB of
 * assets are loaded on the first request only, so a server that never shows GraphiQL
 * (production) never holds them.
 */
export function serveGraphiQLAsset(pathname: string, res: ServerResponse): boolean {
  if (!pathname.startsWith('/graphiql/')) return false;
  const file = pathname.startsWith(BASE) ? FILES[pathname.slice(BASE.length)] : undefined;
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found');
    return true;
  }
  assets ??= import('@graphql-yoga/render-graphiql/graphiql');
  const gzip = /\bgzip\b/.test(String(res.req.headers['accept-encoding']));
  assets
    .then(async (loaded) => {
      const name = pathname.slice(BASE.length);
      const body = gzip ? await compressed(name, () => file.body(loaded)) : file.body(loaded);
      res.writeHead(200, {
        'content-type': `${file.type}; charset=utf-8`,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(res.req.method === 'HEAD' ? undefined : body);
    })
    .catch(() => {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('GraphiQL is not installed.');
    });
  return true;
}

/**
 * Each file gzipped once, off the event loop: the script is 5 MB (1.4 MB gzipped), and
 * compressing it takes long enough to stall every other request and socket.
 */
const gzipped = new Map<string, Promise<Buffer>>();
function compressed(name: string, body: () => string): Promise<Buffer> {
  let packed = gzipped.get(name);
  if (!packed) {
    packed = gzipAsync(body());
    gzipped.set(name, packed);
  }
  return packed;
}

function escapeHtml(value: string) {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
