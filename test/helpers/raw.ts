// The graphql-transport-ws protocol spoken by hand over a bare `ws` socket, for
// tests that must misbehave on purpose; plus /metrics parsing and small waits.
import WebSocket, { type ClientOptions } from 'ws';
import { connectWs } from './clients.js';
import { UnreadCountChanged } from './operations.js';
import { Queue } from './queue.js';
import { sleep } from './services.js';
import { signUp } from './users.js';

export type Message = { type: string; id?: string; payload?: unknown };
export type Closed = { code: number; reason: string };

export type RawSocket = {
  ws: WebSocket;
  /** Every protocol message the server sent, parsed. */
  messages: Queue<Message>;
  /** Resolves once the socket is open (rejects if the upgrade fails). */
  opened: Promise<void>;
  /** Resolves with the close code and reason once the socket is closed. */
  closed: Promise<Closed>;
  /** Sends a message (a string as is, anything else as JSON); resolves once it is written. */
  send(message: unknown): Promise<void>;
  /** Sends connection_init (with the token, if any) and waits for connection_ack. */
  init(token?: string): Promise<void>;
};

export function openRaw(wsUrl: string, options: ClientOptions = {}): RawSocket {
  const ws = new WebSocket(wsUrl, 'graphql-transport-ws', options);
  const messages = new Queue<Message>();
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // The failure is observed through `closed` when nobody awaits `opened`.
  opened.catch(() => {});
  const closed = new Promise<Closed>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => {});
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const send = (message: unknown) =>
    new Promise<void>((resolve) => {
      ws.send(typeof message === 'string' ? message : JSON.stringify(message), () => resolve());
    });
  return {
    ws,
    messages,
    opened,
    closed,
    send,
    async init(token) {
      await opened;
      void send({
        type: 'connection_init',
        payload: token ? { authorization: `Bearer ${token}` } : {},
      });
      const ack = await messages.next('connection_ack');
      if (ack.type !== 'connection_ack') {
        throw new Error(`expected connection_ack, got ${JSON.stringify(ack)}`);
      }
    },
  };
}

/**
 * What the server answers an upgrade with these headers: 'open' when it accepts
 * (the socket is closed again at once), else the HTTP status it refused with.
 */
export function upgradeOutcome(
  wsUrl: string,
  headers: Record<string, string> = {},
): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws', { headers });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

/** Resolves with the promise's value, or rejects naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** 'pending' if the promise has not settled after `ms`, else its value. */
export async function stillPending<T>(promise: Promise<T>, ms = 100): Promise<T | 'pending'> {
  return Promise.race([promise, sleep(ms).then(() => 'pending' as const)]);
}

/** The Prometheus text of the server whose GraphQL endpoint is `url`. */
export async function scrape(url: string): Promise<string> {
  const response = await fetch(url.replace(/\/graphql$/, '/metrics'));
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/**
 * The sum of a metric's samples (every label set, or those whose labels include
 * `labels`); 0 when it has none yet.
 */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    const wanted = Object.entries(labels).every(([key, value]) =>
      set.includes(`${key}="${value}"`),
    );
    if (wanted) sum += Number(match[3]);
  }
  return sum;
}

/** Polls until `check` holds (or `ms` passes); returns its last result. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}

/**
 * Proves the server still serves a newcomer normally: sign-up over HTTP, then a
 * graphql-ws connection whose subscription sends its first value.
 */
export async function servesAnotherUser(url: string, wsUrl: string): Promise<void> {
  const user = await signUp(url, 'another');
  const connection = connectWs(wsUrl, user.token);
  try {
    const first = await connection.subscribe(UnreadCountChanged).results.next('first count');
    if (first.data?.unreadNotificationCountChanged !== 0) {
      throw new Error(`another user was not served: ${JSON.stringify(first)}`);
    }
  } finally {
    await connection.dispose();
  }
}
