// A push service stand-in on loopback, and browsers that subscribe to it: each
// browser makes its own P-256 key pair and 16 auth bytes (as PushManager does),
// and the service checks every POST as a real one would (the VAPID JWT's ES256
// signature against the server's webPushPublicKey, its audience and expiry), then
// decrypts the aes128gcm body with that browser's private key (http_ece).
import { createECDH, type ECDH, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decrypt } from 'http_ece';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { sleep } from './services.js';

export type Browser = {
  endpoint: string;
  /** keys.p256dh and keys.auth, base64url, as PushSubscription.toJSON() gives them. */
  p256dh: string;
  auth: string;
  ecdh: ECDH;
};

export type Push = {
  browser: string;
  headers: Record<string, string>;
  /** Whether the VAPID JWT verified against webPushPublicKey with the right audience. */
  vapidValid: boolean;
  /** The decrypted JSON, or null when decryption failed. */
  message: Record<string, unknown> | null;
  status: number;
};

export type PushService = {
  /** A new browser subscription on this service. */
  browser(): Browser;
  /** The VAPID public key the service trusts (the server's webPushPublicKey). */
  trust(publicKey: string): void;
  /** Answer pushes to a browser with this status (default 201). */
  answer(endpoint: string, status: number): void;
  received(): Push[];
  take(match: (p: Push) => boolean, what: string, ms?: number): Promise<Push>;
  close(): Promise<void>;
};

export async function startPushService(): Promise<PushService> {
  const browsers = new Map<string, Browser>();
  const answers = new Map<string, number>();
  const received: Push[] = [];
  const taken = new Set<Push>();
  let trusted = '';
  let origin = '';

  async function check(req: IncomingMessage, body: Buffer): Promise<Push> {
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, String(v ?? '')]),
    );
    const endpoint = `${origin}${req.url}`;
    const browser = browsers.get(endpoint);
    const push: Push = {
      browser: endpoint,
      headers,
      vapidValid: false,
      message: null,
      status: answers.get(endpoint) ?? 201,
    };
    // RFC 8292: Authorization: vapid t=<JWT>, k=<public key>
    const vapid = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(headers.authorization ?? '');
    if (vapid?.[1] && vapid[2] === trusted) {
      try {
        const point = Buffer.from(trusted, 'base64url');
        const key = await importJWK(
          {
            kty: 'EC',
            crv: 'P-256',
            x: point.subarray(1, 33).toString('base64url'),
            y: point.subarray(33, 65).toString('base64url'),
          },
          'ES256',
        );
        if (decodeProtectedHeader(vapid[1]).alg === 'ES256') {
          const { payload } = await jwtVerify(vapid[1], key, { audience: origin });
          push.vapidValid = typeof payload.sub === 'string' && typeof payload.exp === 'number';
        }
      } catch {
        push.vapidValid = false;
      }
    }
    if (browser && headers['content-encoding'] === 'aes128gcm') {
      try {
        const plain = decrypt(body, {
          version: 'aes128gcm',
          privateKey: browser.ecdh,
          authSecret: browser.auth,
        });
        push.message = JSON.parse(plain.toString('utf8'));
      } catch {
        push.message = null;
      }
    }
    return push;
  }

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const push = await check(req, Buffer.concat(chunks));
    received.push(push);
    res.writeHead(push.status).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    browser() {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const browser: Browser = {
        endpoint: `${origin}/push/${randomBytes(8).toString('hex')}`,
        p256dh: ecdh.getPublicKey().toString('base64url'),
        auth: randomBytes(16).toString('base64url'),
        ecdh,
      };
      browsers.set(browser.endpoint, browser);
      return browser;
    },
    trust: (publicKey) => {
      trusted = publicKey;
    },
    answer: (endpoint, status) => void answers.set(endpoint, status),
    received: () => received,
    async take(match, what, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.find((p) => !taken.has(p) && match(p));
        if (found) {
          taken.add(found);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await sleep(25);
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
