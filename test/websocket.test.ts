// The WebSocket's own guards (src/socket.ts): protocol violations, frame size,
// the initialisation timeout, keep-alive and the Origin allow-list. Each ends
// with the close code the client sees, and with the server still serving others.
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import {
  eventually,
  metric,
  openRaw,
  type RawSocket,
  scrape,
  servesAnotherUser,
  stillPending,
  upgradeOutcome,
  within,
} from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';
import { sleep } from './helpers/services.js';
import { signUp, type TestUser } from './helpers/users.js';

const WsTestUnreadCount = graphql(/* GraphQL */ `
  subscription WsTestUnreadCount {
    unreadNotificationCountChanged
  }
`);

const WsTestMe = graphql(/* GraphQL */ `
  query WsTestMe {
    me {
      id
    }
  }
`);

const ALLOWED = 'https://app.example';
const PING_MS = 200;

/** Default limits, plus one extra allowed origin. */
let server: TestServer;
/** A 300 ms connection_init timeout, pings every 200 ms, one subscription per user. */
let timers: TestServer;
let user: TestUser;
const raws: RawSocket[] = [];

const raw = (wsUrl: string, options?: Parameters<typeof openRaw>[1]) => {
  const socket = openRaw(wsUrl, options);
  raws.push(socket);
  return socket;
};
const subscribeMessage = (id: string, query = print(WsTestUnreadCount)) => ({
  id,
  type: 'subscribe',
  payload: { query },
});

beforeAll(async () => {
  [server, timers] = await Promise.all([
    startServer({ ALLOWED_ORIGINS: ALLOWED }),
    startServer({
      WS_INIT_TIMEOUT_MS: '300',
      WS_PING_INTERVAL_MS: String(PING_MS),
      MAX_SUBSCRIPTIONS_PER_USER: '1',
    }),
  ]);
  user = await signUp(server.url, 'ws');
});

afterAll(async () => {
  for (const socket of raws) socket.ws.terminate();
  await Promise.all([server?.stop(), timers?.stop()]);
});

describe('graphql-transport-ws protocol violations', () => {
  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const started = Date.now();
    const socket = raw(timers.wsUrl);
    await socket.opened;
    const { code } = await within(socket.closed, 5_000, 'the init timeout');
    expect(code).toBe(4408);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await servesAnotherUser(timers.url, timers.wsUrl);
  });

  it('closes a socket that sends a second connection_init with 4429', async () => {
    const socket = raw(server.wsUrl);
    await socket.init(user.token);
    socket.send({ type: 'connection_init', payload: {} });
    expect((await within(socket.closed, 5_000, 'the close')).code).toBe(4429);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it('closes a socket that subscribes before connection_ack with 4401', async () => {
    const socket = raw(server.wsUrl);
    await socket.opened;
    socket.send(subscribeMessage('1', print(WsTestMe)));
    expect((await within(socket.closed, 5_000, 'the close')).code).toBe(4401);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it('closes a socket that reuses a live operation id with 4409', async () => {
    const socket = raw(server.wsUrl);
    await socket.init(user.token);
    socket.send(subscribeMessage('same'));
    const first = await socket.messages.next('the first count');
    expect(first).toMatchObject({
      id: 'same',
      type: 'next',
      payload: { data: { unreadNotificationCountChanged: 0 } },
    });
    socket.send(subscribeMessage('same'));
    expect((await within(socket.closed, 5_000, 'the close')).code).toBe(4409);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it.each([
    ['text that is not JSON', 'this is not json'],
    ['a message without a type', JSON.stringify({ id: '1', payload: {} })],
    [
      'a subscribe without an id',
      JSON.stringify({ type: 'subscribe', payload: { query: '{ me { id } }' } }),
    ],
    ['an unknown message type', JSON.stringify({ type: 'gimme' })],
  ])('closes a socket that sends %s with 4400', async (_label, message) => {
    const socket = raw(server.wsUrl);
    await socket.init(user.token);
    socket.send(message);
    expect((await within(socket.closed, 5_000, 'the close')).code).toBe(4400);
    await servesAnotherUser(server.url, server.wsUrl);
  });
});

describe('frame size', () => {
  it('closes a socket that sends a frame larger than MAX_BODY_BYTES (100,000) with 1009', async () => {
    const socket = raw(server.wsUrl);
    await socket.init(user.token);
    // A query padded with a comment to twice the limit.
    const query = `${print(WsTestMe)}\n#${'x'.repeat(200_000)}`;
    socket.send(subscribeMessage('big', query));
    expect((await within(socket.closed, 5_000, 'the close')).code).toBe(1009);
    // Nothing of it was executed.
    expect(socket.messages.pending()).toEqual([]);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it('accepts a frame just under the limit', async () => {
    const socket = raw(server.wsUrl);
    await socket.init(user.token);
    const query = `${print(WsTestMe)}\n#${'x'.repeat(90_000)}`;
    socket.send(subscribeMessage('near', query));
    const answer = await socket.messages.next('the answer');
    expect(answer).toMatchObject({ id: 'near', type: 'next' });
    expect(await stillPending(socket.closed)).toBe('pending');
  });
});

describe('keep-alive', () => {
  it('terminates a peer that does not answer pings, and frees its subscription', async () => {
    const before = await scrape(timers.url);
    const liveBefore = metric(before, 'graphql_live_subscriptions');
    const openBefore = metric(before, 'websocket_open_connections');
    const mute = await signUp(timers.url, 'mute');

    // Answers pings by hand while the test sets things up, then falls silent.
    const socket = raw(timers.wsUrl, { autoPong: false });
    let answering = true;
    let unanswered = 0;
    socket.ws.on('ping', (data) => {
      if (answering) socket.ws.pong(data);
      else unanswered++;
    });
    await socket.init(mute.token);
    socket.send(subscribeMessage('1'));
    expect(await socket.messages.next('the first count')).toMatchObject({ type: 'next' });
    const during = await scrape(timers.url);
    expect(metric(during, 'graphql_live_subscriptions')).toBe(liveBefore + 1);
    expect(metric(during, 'websocket_open_connections')).toBe(openBefore + 1);

    // The user's one allowed subscription is taken while the mute peer lives.
    const second = raw(timers.wsUrl);
    await second.init(mute.token);
    second.send(subscribeMessage('refused'));
    expect(await second.messages.next('the refusal')).toMatchObject({
      id: 'refused',
      type: 'error',
      payload: [{ extensions: { code: 'RATE_LIMITED' } }],
    });

    // Still there while it answers.
    await sleep(3 * PING_MS);
    expect(await stillPending(socket.closed, 0)).toBe('pending');

    answering = false;
    const { code } = await within(socket.closed, 10 * PING_MS + 2_000, 'the mute peer to go');
    // Terminated, not closed: no close frame reaches the client.
    expect(code).toBe(1006);
    // An unanswered ping is what ended it (the wait above bounds how soon).
    expect(unanswered).toBeGreaterThanOrEqual(1);

    const after = await eventually(
      () => scrape(timers.url),
      (text) => metric(text, 'graphql_live_subscriptions') === liveBefore,
    );
    expect(metric(after, 'graphql_live_subscriptions')).toBe(liveBefore);
    // `second` is still open; the mute one is gone.
    expect(metric(after, 'websocket_open_connections')).toBe(openBefore + 1);

    // Its slot is free again: the same user may subscribe now.
    second.send(subscribeMessage('again'));
    expect(await second.messages.next('a fresh count')).toMatchObject({
      id: 'again',
      type: 'next',
      payload: { data: { unreadNotificationCountChanged: 0 } },
    });
    second.ws.close();
    await second.closed;
    await servesAnotherUser(timers.url, timers.wsUrl);
  });

  it('keeps a peer that answers pings open across many intervals', async () => {
    const socket = raw(timers.wsUrl);
    await socket.init();
    await sleep(6 * PING_MS);
    expect(await stillPending(socket.closed)).toBe('pending');
    socket.ws.close();
  });
});

describe('Origin allow-list', () => {
  it('refuses an upgrade from a foreign Origin with HTTP 403', async () => {
    expect(await upgradeOutcome(server.wsUrl, { Origin: 'https://evil.example' })).toBe(403);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it("accepts the server's own origin, an ALLOWED_ORIGINS entry and no Origin at all", async () => {
    const own = new URL(server.url).origin;
    expect(await upgradeOutcome(server.wsUrl, { Origin: own })).toBe('open');
    expect(await upgradeOutcome(server.wsUrl, { Origin: ALLOWED })).toBe('open');
    expect(await upgradeOutcome(server.wsUrl)).toBe('open');
    // A look-alike of an allowed origin is not allowed.
    expect(await upgradeOutcome(server.wsUrl, { Origin: `${ALLOWED}.evil.example` })).toBe(403);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it('lets an allowed origin run operations over the socket', async () => {
    const socket = raw(server.wsUrl, { headers: { Origin: ALLOWED } });
    await socket.init(user.token);
    socket.send(subscribeMessage('me', print(WsTestMe)));
    expect(await socket.messages.next('me')).toMatchObject({
      type: 'next',
      payload: { data: { me: { id: user.id } } },
    });
    socket.ws.close();
  });
});
