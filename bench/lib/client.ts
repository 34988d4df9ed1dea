// The load generator's side of every system: a minimal graphql-transport-ws
// subscriber (thousands of them per process, so no per-client library overhead)
// and GraphQL mutations over keep-alive HTTP. Only auth and id formats differ.
import { Agent, request } from 'node:http';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { SystemName } from './systems.js';

export const SUBSCRIPTION =
  'subscription { notificationAdded { id message peek actor { username } } }';

export type Target = { system: SystemName; url: string; jwtSecret: string };

export type Api = {
  connectionParams(userId: number): Promise<Record<string, unknown>>;
  headers(userId: number): Promise<Record<string, string>>;
  postId(id: number): string;
};

export function createApi(target: Target): Api {
  if (target.system !== 'this') {
    // Peers: sign-in-free bench auth, the user id itself.
    return {
      connectionParams: async (userId) => ({ userId }),
      headers: async (userId) => ({ 'x-user-id': String(userId) }),
      postId: (id) => String(id),
    };
  }
  // This server: real HS256 bearer tokens, minted here with its JWT_SECRET
  // (argon2 sign-up would dominate the setup time), and Relay global ids.
  const key = new TextEncoder().encode(target.jwtSecret);
  const tokens = new Map<number, Promise<string>>();
  const token = (userId: number) => {
    let minted = tokens.get(userId);
    if (!minted) {
      // ver: the user's tokenVersion, 0 for every seeded user (a raised version revokes).
      minted = new SignJWT({ ver: 0 })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(userId))
        .setIssuedAt()
        .setExpirationTime('10h')
        .sign(key);
      tokens.set(userId, minted);
    }
    return minted;
  };
  return {
    connectionParams: async (userId) => ({ authorization: `Bearer ${await token(userId)}` }),
    headers: async (userId) => ({ authorization: `Bearer ${await token(userId)}` }),
    postId: (id) => Buffer.from(`Post:${id}`).toString('base64'),
  };
}

export type Delivery = { peek: string; at: number };

export type Subscriber = {
  userId: number;
  close(): void;
};

export type SubscriberEvents = {
  onNext(userId: number, peek: string, at: number): void;
  /** A socket closed or the server sent an error after the subscription was made. */
  onFailure(userId: number, reason: string): void;
};

/**
 * Opens one socket, authenticates, subscribes; resolves at connection_ack (the
 * subscribe message is sent in the same tick). Rejects on refusal or timeout.
 */
export async function subscribe(
  url: string,
  userId: number,
  params: Record<string, unknown>,
  localAddress: string,
  events: SubscriberEvents,
  timeoutMs = 30_000,
): Promise<Subscriber> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
    localAddress,
    perMessageDeflate: false,
    handshakeTimeout: timeoutMs,
  });
  let acked = false;
  return new Promise<Subscriber>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    socket.on('open', () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: params }));
    });
    socket.on('message', (raw) => {
      const at = performance.now();
      const message = JSON.parse(raw.toString()) as {
        type: string;
        payload?: { data?: { notificationAdded?: { peek: string } } };
      };
      if (message.type === 'next') {
        const peek = message.payload?.data?.notificationAdded?.peek;
        if (peek) events.onNext(userId, peek, at);
        else events.onFailure(userId, `next without data: ${raw.toString().slice(0, 200)}`);
      } else if (message.type === 'connection_ack') {
        acked = true;
        socket.send(
          JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }),
        );
        clearTimeout(timer);
        resolve({ userId, close: () => socket.terminate() });
      } else if (message.type === 'ping') {
        socket.send('{"type":"pong"}');
      } else if (message.type === 'error' || message.type === 'complete') {
        events.onFailure(userId, `${message.type}: ${raw.toString().slice(0, 200)}`);
      }
    });
    socket.on('error', (error) => {
      if (!acked) {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', (code, reason) => {
      if (!acked) {
        clearTimeout(timer);
        reject(new Error(`closed ${code} ${reason}`));
      } else events.onFailure(userId, `closed ${code} ${reason}`);
    });
  });
}

/**
 * Subscribes every user, `concurrency` handshakes at a time, spreading sockets over
 * several source addresses of `network` (each has its own ~28k ephemeral ports).
 * Bounded by `deadline` (performance.now() ms): users not connected by then fail.
 *
 * Each job gets a network of its own (127.N.0.x, all loopback on Linux). The sockets
 * of the job before stay in TIME_WAIT for a minute on the addresses they came from,
 * and binding a new socket to a crowded address made the kernel search for a free
 * port: with 38,000 of them about, 19,000 connections took the load generator 25 s
 * of mostly its own CPU, against 15 s with none, and the system measured first
 * after a big scenario paid for the one before.
 */
export async function subscribeAll(
  url: string,
  api: Api,
  userIds: readonly number[],
  events: SubscriberEvents,
  options: { concurrency?: number; deadline: number; network: string; sources?: number },
): Promise<{ subscribers: Subscriber[]; failed: number; handshakeMs: number[] }> {
  const sources = options.sources ?? 4;
  const subscribers: Subscriber[] = [];
  const handshakeMs: number[] = [];
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < userIds.length) {
      const index = next++;
      const userId = userIds[index] as number;
      if (performance.now() > options.deadline) {
        failed++;
        continue;
      }
      const started = performance.now();
      try {
        const params = await api.connectionParams(userId);
        const localAddress = `${options.network}.${1 + (index % sources)}`;
        subscribers.push(await subscribe(url, userId, params, localAddress, events));
        handshakeMs.push(performance.now() - started);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 100 }, worker));
  return { subscribers, failed, handshakeMs };
}

export type Mutator = {
  send(userId: number, query: string, variables: unknown): Promise<{ ok: boolean; body: string }>;
  close(): void;
};

/** GraphQL over HTTP on a pool of keep-alive connections. */
export function createMutator(url: string, api: Api, maxSockets = 64): Mutator {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const target = new URL(url);
  return {
    async send(userId, query, variables) {
      const body = JSON.stringify({ query, variables });
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        ...(await api.headers(userId)),
      };
      const attempt = (retried: boolean) =>
        new Promise<{ ok: boolean; body: string }>((resolve) => {
          const req = request(
            {
              host: target.hostname,
              port: target.port,
              path: target.pathname,
              method: 'POST',
              agent,
              headers,
            },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk) => {
                text += chunk;
              });
              res.on('end', () => {
                resolve({ ok: res.statusCode === 200 && !text.includes('"errors"'), body: text });
              });
            },
          );
          req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
          req.on('error', (error: NodeJS.ErrnoException) => {
            // A kept-alive socket the server closed as idle (Node's 5 s keepAliveTimeout)
            // while this request was being sent on it: the request never reached the
            // server, so it is sent again once, as Node's documentation advises.
            if (!retried && req.reusedSocket && error.code === 'ECONNRESET') {
              resolve(attempt(true));
            } else resolve({ ok: false, body: String(error) });
          });
          req.end(body);
        });
      return attempt(false);
    },
    close: () => agent.destroy(),
  };
}
