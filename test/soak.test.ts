// Soak: thousands of connections and subscriptions come and go (cleanly, abruptly,
// halfway through the handshake); afterwards nothing of them is left: no open
// socket or live subscription in /metrics, no subscription counted against a
// user, no timer, and the heap back near where it started. Bounded in count and time.
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { eventually, metric, openRaw, type RawSocket, scrape } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';
import { sleep } from './helpers/services.js';
import { churn, collectGarbage, pendingTimers } from './helpers/soak.js';
import { signUp, type TestUser } from './helpers/users.js';

const SoakTestCount = graphql(/* GraphQL */ `
  subscription SoakTestCount {
    unreadNotificationCountChanged
  }
`);

const PER_USER = 30;
const CONNECTIONS = 3_000;
const BUDGET_MS = 60_000;
const MB = 1024 * 1024;

let server: TestServer;
let users: TestUser[];

beforeAll(async () => {
  server = await startServer({ MAX_SUBSCRIPTIONS_PER_USER: String(PER_USER) });
  users = await Promise.all([1, 2, 3, 4, 5, 6].map(() => signUp(server.url, 'soak')));
});
afterAll(async () => {
  await server?.stop();
});

/**
 * Fills each user's whole subscription budget on two fresh connections: only
 * possible if every earlier subscription of theirs was uncounted.
 */
async function fullBudgetAvailable(wsUrl: string, user: TestUser) {
  const sockets: RawSocket[] = [];
  try {
    const values = [];
    for (let c = 0; c < 2; c++) {
      const socket = openRaw(wsUrl);
      sockets.push(socket);
      await socket.init(user.token);
      for (let i = 0; i < PER_USER / 2; i++) {
        socket.send({ id: `s${i}`, type: 'subscribe', payload: { query: print(SoakTestCount) } });
      }
      for (let i = 0; i < PER_USER / 2; i++) values.push(await socket.messages.next('a count'));
    }
    return values.filter((message) => message.type !== 'next');
  } finally {
    for (const socket of sockets) socket.ws.close();
    await Promise.all(sockets.map((socket) => socket.closed));
  }
}

describe('soak', () => {
  it('opens and drops thousands of connections and leaves nothing behind', async () => {
    const gc = collectGarbage();
    // Warm up (JIT, caches, pools), then measure the starting point.
    await churn({ wsUrl: server.wsUrl, users, connections: 200, batch: 50, budgetMs: 20_000 });
    await sleep(500);
    gc();
    const heapStart = process.memoryUsage().heapUsed;

    const report = await churn({
      wsUrl: server.wsUrl,
      users,
      connections: CONNECTIONS,
      batch: 60,
      budgetMs: BUDGET_MS,
    });
    console.info('soak:', JSON.stringify(report));
    expect(report.connections).toBeGreaterThanOrEqual(1_000);

    const settled = await eventually(
      () => scrape(server.url),
      (text) =>
        metric(text, 'websocket_open_connections') === 0 &&
        metric(text, 'graphql_live_subscriptions') === 0,
      10_000,
    );
    expect(metric(settled, 'websocket_open_connections')).toBe(0);
    expect(metric(settled, 'graphql_live_subscriptions')).toBe(0);

    // No subscription is still counted against its user.
    for (const user of users) expect(await fullBudgetAvailable(server.wsUrl, user)).toEqual([]);

    gc();
    const heapEnd = process.memoryUsage().heapUsed;
    console.info(
      `soak heap: start ${(heapStart / MB).toFixed(1)} MB, end ${(heapEnd / MB).toFixed(1)} MB`,
    );
    expect(heapEnd).toBeLessThan(heapStart + 50 * MB);
  }, 80_000);

  it('sockets cut during connection_init leave no timer behind', async () => {
    await sleep(1_000);
    const timersStart = pendingTimers();
    const report = await churn({
      wsUrl: server.wsUrl,
      users,
      connections: 1_000,
      batch: 50,
      budgetMs: 20_000,
      kinds: ['mid-init'],
    });
    expect(report.connections).toBeGreaterThanOrEqual(500);
    await sleep(1_000);
    // Every token-expiry timer is cleared when its socket closes.
    expect(pendingTimers()).toBeLessThanOrEqual(timersStart + 5);
  }, 40_000);
});
