// Connection churn for the soak tests: thousands of sockets and subscriptions that
// come and go in every way a real client can leave: cleanly, abruptly, halfway.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { print } from 'graphql';
import { connectWs } from './clients.js';
import { NotificationAdded, UnreadCountChanged } from './operations.js';
import { openRaw, within } from './raw.js';
import type { TestUser } from './users.js';

export const KINDS = [
  /** graphql-ws client: two subscriptions, complete both, then dispose. */
  'clean',
  /** Raw: init, subscribe, first value, then terminate the TCP socket. */
  'abrupt',
  /** Raw: connection_init sent, socket terminated before the ack. */
  'mid-init',
  /** Raw: subscribe sent, socket terminated before the first value. */
  'mid-subscribe',
  /** Raw, anonymous: a query over the socket, then a normal close. */
  'anonymous',
] as const;
export type Kind = (typeof KINDS)[number];

const countQuery = print(UnreadCountChanged);

async function once(kind: Kind, wsUrl: string, user: TestUser): Promise<void> {
  if (kind === 'clean') {
    const connection = connectWs(wsUrl, user.token);
    try {
      const counts = connection.subscribe(UnreadCountChanged);
      const added = connection.subscribe(NotificationAdded, {});
      const first = await counts.results.next('first count', 10_000);
      if (first.data?.unreadNotificationCountChanged === undefined) {
        throw new Error(`clean subscription refused: ${JSON.stringify(first)}`);
      }
      counts.stop();
      added.stop();
    } finally {
      await connection.dispose();
    }
    await within(connection.closed, 10_000, 'clean close');
    return;
  }
  const socket = openRaw(wsUrl);
  try {
    if (kind === 'mid-init') {
      await socket.opened;
      // Written out before the socket is cut, so the server does start onConnect.
      await socket.send({
        type: 'connection_init',
        payload: { authorization: `Bearer ${user.token}` },
      });
      socket.ws.terminate();
    } else if (kind === 'anonymous') {
      await socket.init();
      void socket.send({ id: 'q', type: 'subscribe', payload: { query: '{ me { id } }' } });
      await socket.messages.next('query result', 10_000);
      socket.ws.close(1000);
    } else {
      await socket.init(user.token);
      await socket.send({ id: 's', type: 'subscribe', payload: { query: countQuery } });
      if (kind === 'abrupt') {
        const first = await socket.messages.next('first count', 10_000);
        if (first.type !== 'next') throw new Error(`abrupt subscription: ${JSON.stringify(first)}`);
      }
      socket.ws.terminate();
    }
    await within(socket.closed, 10_000, `${kind} close`);
  } catch (error) {
    socket.ws.terminate();
    throw error;
  }
}

export type ChurnReport = { connections: number; byKind: Record<Kind, number>; ms: number };

/**
 * Opens and drops up to `connections` sockets, `batch` at a time, cycling through
 * the kinds and the users, and stops early when `budgetMs` is spent.
 */
export async function churn(options: {
  wsUrl: string;
  users: readonly TestUser[];
  connections: number;
  batch: number;
  budgetMs: number;
  /** Which ways of leaving to cycle through; all by default. */
  kinds?: readonly Kind[];
}): Promise<ChurnReport> {
  const kinds = options.kinds ?? KINDS;
  const started = Date.now();
  const byKind = Object.fromEntries(KINDS.map((kind) => [kind, 0])) as Record<Kind, number>;
  let done = 0;
  while (done < options.connections && Date.now() - started < options.budgetMs) {
    const size = Math.min(options.batch, options.connections - done);
    const jobs = [];
    for (let i = 0; i < size; i++) {
      const n = done + i;
      const kind = kinds[n % kinds.length] as Kind;
      const user = options.users[n % options.users.length] as TestUser;
      byKind[kind]++;
      jobs.push(once(kind, options.wsUrl, user));
    }
    await Promise.all(jobs);
    done += size;
  }
  return { connections: done, byKind, ms: Date.now() - started };
}

/** global.gc, exposed on demand when the process was not started with --expose-gc. */
export function collectGarbage(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** How many timers this process has pending. */
export const pendingTimers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
