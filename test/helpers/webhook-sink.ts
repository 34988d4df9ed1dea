// A real webhook receiver on loopback, as a user's service would be: it verifies
// every request with the `standardwebhooks` package (the secret of the endpoint
// path it arrived on), records what it saw, and answers as the test steers it
// (500 a few times, or never).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { sleep } from './services.js';

export type Received = {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The verified payload, or null when verification failed. */
  payload: unknown;
  status: number;
};

/** A status; 'hang': never answer; 'flood': 200, then a body that never ends. */
export type Answer = number | 'hang' | 'flood';

export type WebhookSink = {
  /** A URL on this sink for one endpoint (`/hooks/<name>`). */
  url(name: string): string;
  /** The secret createWebhookEndpoint returned for that name: requests to it are verified with it. */
  trust(name: string, secret: string): void;
  /** How to answer the next requests to a name (default 200). */
  answer(name: string, rule: (received: Received) => Answer): void;
  received(name?: string): Received[];
  /** The next answered request matching `match` not taken before; waits up to `ms`. */
  take(match: (r: Received) => boolean, what: string, ms?: number): Promise<Received>;
  close(): Promise<void>;
};

export async function startWebhookSink(): Promise<WebhookSink> {
  const secrets = new Map<string, string>();
  const rules = new Map<string, (r: Received) => Answer>();
  const received: Received[] = [];
  const taken = new Set<Received>();
  const hanging = new Set<ServerResponse>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const name = path.replace(/^\/hooks\//, '');
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const secret = secrets.get(name);
    let payload: unknown = null;
    try {
      payload = secret ? new Webhook(secret).verify(body, headers) : null;
    } catch {
      payload = null;
    }
    const entry: Received = { path, headers, body, payload, status: 0 };
    const answer = rules.get(name)?.(entry) ?? 200;
    if (answer === 'hang') {
      hanging.add(res);
      entry.status = -1;
      received.push(entry);
      return;
    }
    if (answer === 'flood') {
      entry.status = 200;
      received.push(entry);
      hanging.add(res);
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16_384, 'x');
      // Writes whenever the socket drains, until the client goes away.
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
      return;
    }
    entry.status = answer;
    received.push(entry);
    res.writeHead(answer, { 'content-type': 'text/plain' }).end(`answered ${answer}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/hooks/${name}`,
    trust: (name, secret) => void secrets.set(name, secret),
    answer: (name, rule) => void rules.set(name, rule),
    received: (name) =>
      name === undefined ? received : received.filter((r) => r.path === `/hooks/${name}`),
    async take(match, what, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.find((r) => !taken.has(r) && match(r));
        if (found) {
          taken.add(found);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await sleep(25);
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
