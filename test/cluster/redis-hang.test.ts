// A Redis that hangs (SIGSTOP: connections stay open, nothing answers) stalls
// nothing: /ready turns 503 within seconds, mutations answer and store their
// notifications, new sockets connect; when Redis answers again, live
// subscriptions receive what was created meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { connectWs, ok, type WsConnection } from '../helpers/clients.js';
import { NotificationAdded, UnreadCountChanged } from '../helpers/operations.js';
import { eventually, within } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasBinary, type RedisService, startRedis } from '../helpers/services.js';
import { comment, createPost, seedNotification, signUp } from '../helpers/users.js';

const redisAvailable = hasBinary('redis-server');
if (!redisAvailable && process.env.CI) throw new Error('CI needs redis-server');

const HangTestLogOut = graphql(/* GraphQL */ `
  mutation HangTestLogOut {
    logOut
  }
`);

let redis: RedisService;
let server: TestServer;
const sockets: WsConnection[] = [];

const readyStatus = async () => (await fetch(server.url.replace(/graphql$/, 'ready'))).status;

describe.skipIf(!redisAvailable)('a hung Redis', () => {
  beforeAll(async () => {
    redis = await startRedis();
    server = await startServer({
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'hangtest:',
      REDIS_COMMAND_TIMEOUT_MS: '500',
    });
  });

  afterAll(async () => {
    redis?.thaw();
    for (const socket of sockets) await socket.dispose().catch(() => {});
    await server?.stop();
    await redis?.stop();
  });

  it('answers mutations and new sockets while Redis is frozen, then delivers what was missed', async () => {
    const author = await signUp(server.url, 'author');
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, author);
    // Subscribing from a known notification, so that what follows is delivered
    // however soon after subscribing it is created.
    const since = await seedNotification(server.url, author);
    const listener = connectWs(server.wsUrl, author.token);
    sockets.push(listener);
    const live = listener.subscribe(NotificationAdded, { since });
    await comment(server.url, commenter, post.id, 'before the freeze');
    expect((await live.results.next('first notification')).data?.notificationAdded?.peek).toBe(
      'before the...',
    );
    expect(await readyStatus()).toBe(200);

    redis.freeze();
    try {
      // /ready notices within a few seconds.
      const status = await eventually(readyStatus, (s) => s === 503, 10_000);
      expect(status).toBe(503);
      // A mutation answers (its notification is stored); the bound is generous.
      const during = await within(
        comment(server.url, commenter, post.id, 'during the freeze'),
        5_000,
        'createComment while Redis is frozen',
      );
      expect(during.id).toBeTruthy();
      // A new user's socket connects, subscribes and gets its first value.
      const other = await signUp(server.url, 'other');
      const socket = connectWs(server.wsUrl, other.token);
      sockets.push(socket);
      const count = socket.subscribe(UnreadCountChanged);
      expect(await count.results.next('first count', 5_000)).toEqual({
        data: { unreadNotificationCountChanged: 0 },
      });
    } finally {
      redis.thaw();
    }

    // Redis answers again: the notification created meanwhile is delivered, once.
    const missed = await live.results.next('notification from the freeze', 15_000);
    expect(missed.data?.notificationAdded?.peek).toBe('during the...');
    expect(await eventually(readyStatus, (s) => s === 200, 10_000)).toBe(200);
    await comment(server.url, commenter, post.id, 'after the freeze');
    expect((await live.results.next('after')).data?.notificationAdded?.peek).toBe('after the ...');
  });

  it('closes a socket opened while Redis hung whose token was revoked meanwhile (4403)', async () => {
    const user = await signUp(server.url, 'revoked');
    redis.freeze();
    let socket: WsConnection;
    try {
      expect(await eventually(readyStatus, (s) => s === 503, 10_000)).toBe(503);
      socket = connectWs(server.wsUrl, user.token);
      sockets.push(socket);
      await socket.subscribe(UnreadCountChanged).results.next('first count', 5_000);
      // The revocation is stored; its event cannot be published while Redis hangs.
      expect(await within(ok(server.url, HangTestLogOut, {}, user.token), 5_000, 'logOut')).toEqual(
        { logOut: true },
      );
    } finally {
      redis.thaw();
    }
    // Once Redis answers, the socket's session is checked again and closed.
    expect(await within(socket.closed, 15_000, 'the revoked socket')).toBe(4403);
  });
});
