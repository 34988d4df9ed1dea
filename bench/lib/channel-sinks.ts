// `--channels`: one loopback HTTP server that accepts every webhook and every push
// (answering as a push service does) and only counts them, and the SQL that gives
// every seeded user one webhook endpoint and one browser pointed at it. The bench
// then measures this server with all its delivery channels busy, not the sinks.
import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type pg from 'pg';
import webPush from 'web-push';
import { freePort } from '../../test/helpers/services.js';

export type ChannelSinks = {
  url: string;
  /** The server's environment: loopback URLs allowed, a fixed VAPID pair. */
  env: Record<string, string>;
  /** Webhooks and pushes accepted since the last call. */
  take(): { webhooks: number; pushes: number };
  seed(db: pg.Client): Promise<void>;
  close(): Promise<void>;
};

export async function startChannelSinks(): Promise<ChannelSinks> {
  const port = await freePort();
  let webhooks = 0;
  let pushes = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/push/')) pushes += 1;
      else webhooks += 1;
      res.writeHead(req.url?.startsWith('/push/') ? 201 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const vapid = webPush.generateVAPIDKeys();
  // One browser key pair for everyone: the server encrypts per message all the same.
  const browser = createECDH('prime256v1');
  browser.generateKeys();
  const p256dh = browser.getPublicKey().toString('base64url');
  const auth = randomBytes(16).toString('base64url');
  return {
    url,
    env: {
      ALLOW_PRIVATE_DELIVERY_URLS: 'true',
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
    },
    take() {
      const taken = { webhooks, pushes };
      webhooks = 0;
      pushes = 0;
      return taken;
    },
    async seed(db) {
      await db.query(
        `INSERT INTO "WebhookEndpoint" ("userId", "url", "secret")
         SELECT "id", $1 || '/hooks/' || "id", $2 FROM "User"`,
        [url, `whsec_${randomBytes(32).toString('base64')}`],
      );
      await db.query(
        `INSERT INTO "PushSubscription" ("userId", "endpoint", "p256dh", "auth")
         SELECT "id", $1 || '/push/' || "id", $2, $3 FROM "User"`,
        [url, p256dh, auth],
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
