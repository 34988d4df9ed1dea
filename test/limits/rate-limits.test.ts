// Rate limits and subscription caps, each exhausted through real clients; the refusal is
// exact, and other users (or addresses) are served meanwhile.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ok, request } from '../helpers/clients.js';
import {
  ATTACKER_IP,
  eventually,
  LimitsTestCreatePost,
  LimitsTestMarkAllRead,
  LimitsTestMe,
  LimitsTestMyPosts,
  OTHER_IP,
  rateLimited,
  requestFrom,
  serverFor,
  servesAnotherUser,
  signUpFrom,
  stillOpen,
  ws,
  wsFrom,
  wsRun,
  wsStart,
} from '../helpers/limits.js';
import { LogIn, SignUp, UnreadCountChanged } from '../helpers/operations.js';
import { signUp, type TestUser } from '../helpers/users.js';

describe('rate limits', () => {
  describe('mutations', () => {
    const mutations = serverFor({ RATE_MUTATIONS_PER_MINUTE: '3' });

    it('RATE_MUTATIONS_PER_MINUTE: the 4th mutation of a user is RATE_LIMITED, another user goes on', async () => {
      const { url } = mutations();
      // Signed up from another address, so that 127.0.0.1's anonymous budget stays whole.
      const user = await signUpFrom(ATTACKER_IP, url, 'busy');
      const other = await signUpFrom(ATTACKER_IP, url, 'calm');
      for (let i = 0; i < 3; i++) {
        expect(await request(url, LimitsTestMarkAllRead, {}, user.token)).toEqual({
          data: { markAllNotificationsRead: 0 },
        });
      }
      const refused = await request(url, LimitsTestMarkAllRead, {}, user.token);
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual(rateLimited('Too many requests; try again shortly.'));
      // A refused mutation does nothing, and queries are not counted.
      const post = await request(
        url,
        LimitsTestCreatePost,
        { input: { title: 't', body: 'b' } },
        user.token,
      );
      expect(post.errors).toEqual(rateLimited('Too many requests; try again shortly.'));
      expect((await ok(url, LimitsTestMyPosts, {}, user.token)).me?.posts.edges).toEqual([]);

      expect(await request(url, LimitsTestMarkAllRead, {}, other.token)).toEqual({
        data: { markAllNotificationsRead: 0 },
      });
    });

    it('RATE_MUTATIONS_PER_MINUTE: anonymous mutations (signUp) are counted per IP', async () => {
      const { url } = mutations();
      const earlier = await signUp(url, 'early');
      await signUp(url, 'second');
      await signUp(url, 'third');
      const refused = await request(url, SignUp, {
        input: { email: 'fourth@example.com', username: 'fourth_user', password: 'correct horse' },
      });
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual(rateLimited('Too many requests; try again shortly.'));
      // Signed-in users count against their own budget, not their IP's.
      expect(await request(url, LimitsTestMarkAllRead, {}, earlier.token)).toEqual({
        data: { markAllNotificationsRead: 0 },
      });
      // Someone at another address still signs up.
      const elsewhere = await requestFrom(OTHER_IP, url, SignUp, {
        input: { email: 'fourth@example.com', username: 'fourth_user', password: 'correct horse' },
      });
      expect(elsewhere.errors).toBeUndefined();
      expect(elsewhere.data?.signUp.user.username).toBe('fourth_user');
    });
  });

  describe('log-in attempts', () => {
    const logins = serverFor({
      RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: '3',
      RATE_LOGIN_PER_IP_PER_15_MINUTES: '6',
    });

    it('counts only failed log-ins: an owner who knows the password is never locked out', async () => {
      const { url } = logins();
      const owner = await signUp(url, 'owner');
      for (let i = 0; i < 5; i++) {
        const data = await ok(url, LogIn, {
          input: { email: owner.email, password: 'correct horse' },
        });
        expect(data.logIn.user.id).toBe(owner.id);
      }
    });

    it('RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: after 3 failures from an address, its log-ins to that account are RATE_LIMITED', async () => {
      const { url } = logins();
      const victim = await signUp(url, 'victim');
      const other = await signUp(url, 'other');
      const wrong = { input: { email: victim.email, password: 'wrong password' } };
      for (const email of [victim.email, victim.email, ` ${victim.email.toUpperCase()} `]) {
        const result = await request(url, LogIn, { input: { ...wrong.input, email } });
        expect(result.errors).toEqual([
          expect.objectContaining({
            message: 'Wrong email or password.',
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        ]);
      }
      // Even the right password is refused now.
      const refused = await request(url, LogIn, {
        input: { email: victim.email, password: 'correct horse' },
      });
      expect(refused.data).toBeNull();
      expect(refused.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
      // The victim's existing token still works, the victim logs in from another
      // address (test/limits/log-in-lockout.test.ts has the rest), and another account logs in.
      expect((await ok(url, LimitsTestMe, {}, victim.token)).me?.id).toBe(victim.id);
      const elsewhere = await requestFrom(OTHER_IP, url, LogIn, {
        input: { email: victim.email, password: 'correct horse' },
      });
      expect(elsewhere.data?.logIn.user.id).toBe(victim.id);
      const data = await ok(url, LogIn, {
        input: { email: other.email, password: 'correct horse' },
      });
      expect(data.logIn.user.id).toBe(other.id);
    });

    it('RATE_LOGIN_PER_IP_PER_15_MINUTES: after 6 failures from one IP, its log-ins are RATE_LIMITED', async () => {
      const { url } = logins();
      const users = [];
      for (let i = 0; i < 7; i++) users.push(await signUp(url, `ip${i}`));
      const logIn = (user: TestUser, password = 'correct horse') => ({
        input: { email: user.email, password },
      });
      // From an address of its own, one wrong guess at each of six accounts.
      for (const user of users.slice(0, 6)) {
        const result = await requestFrom(ATTACKER_IP, url, LogIn, logIn(user, 'a wrong guess'));
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      const last = users[6] as TestUser;
      const refused = await requestFrom(ATTACKER_IP, url, LogIn, logIn(last));
      expect(refused.data).toBeNull();
      expect(refused.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
      // From another address the same account logs in.
      const elsewhere = await requestFrom(OTHER_IP, url, LogIn, logIn(last));
      expect(elsewhere.errors).toBeUndefined();
      expect(elsewhere.data?.logIn.user.id).toBe(last.id);
      expect((await ok(url, LimitsTestMe, {}, last.token)).me?.id).toBe(last.id);
    });
  });

  describe('WebSocket connections', () => {
    const connections = serverFor({ RATE_CONNECTIONS_PER_IP_PER_MINUTE: '2' });

    it('RATE_CONNECTIONS_PER_IP_PER_MINUTE: the third WebSocket upgrade from an IP gets 429', async () => {
      const { url, wsUrl } = connections();
      const user = await signUp(url, 'sockets');
      const first = ws(wsUrl, user.token);
      const second = ws(wsUrl, user.token);
      for (const connection of [first, second]) {
        expect(await wsRun(connection, LimitsTestMe)).toMatchObject({
          kind: 'result',
          result: { data: { me: { id: user.id } } },
        });
      }
      // graphql-ws sees the refused upgrade as an abnormal close (1006), no reason.
      const third = ws(wsUrl, user.token);
      expect(await third.closed).toBe(1006);
      // At the HTTP level it is a 429 answer to the upgrade.
      const status = await new Promise<number>((resolve, reject) => {
        const raw = new WebSocket(wsUrl, 'graphql-transport-ws');
        raw.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          raw.terminate();
        });
        raw.on('open', () => reject(new Error('the upgrade was accepted')));
        raw.on('error', () => {});
      });
      expect(status).toBe(429);
      // Open sockets carry on, HTTP carries on, and another IP connects.
      expect(await stillOpen(first)).toBe(true);
      expect(await wsRun(first, LimitsTestMe)).toMatchObject({ kind: 'result' });
      const other = await servesAnotherUser(url);
      const elsewhere = wsFrom(OTHER_IP, wsUrl, other.token);
      expect(await wsRun(elsewhere, LimitsTestMe)).toMatchObject({
        kind: 'result',
        result: { data: { me: { id: other.id } } },
      });
    });
  });

  describe('subscribe messages', () => {
    const subscribes = serverFor({ RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: '3' });

    it('RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: the 4th subscribe message on a socket is RATE_LIMITED', async () => {
      const { url, wsUrl } = subscribes();
      const user = await signUp(url, 'chatty');
      const connection = ws(wsUrl, user.token);
      for (let i = 0; i < 3; i++) {
        expect(await wsRun(connection, LimitsTestMe)).toMatchObject({ kind: 'result' });
      }
      expect(await wsRun(connection, LimitsTestMe)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscribe messages; slow down.'),
      });
      expect(await stillOpen(connection)).toBe(true);
      // The budget is per connection: a new one of the same user works, and so does another user.
      expect(await wsRun(ws(wsUrl, user.token), LimitsTestMe)).toMatchObject({ kind: 'result' });
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), LimitsTestMe)).toMatchObject({
        kind: 'result',
        result: { data: { me: { id: other.id } } },
      });
    });
  });

  describe('subscription caps', () => {
    const caps = serverFor({
      MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      MAX_SUBSCRIPTIONS_PER_USER: '3',
    });

    it('MAX_SUBSCRIPTIONS_PER_CONNECTION: a third live subscription on a socket is refused until one completes', async () => {
      const { url, wsUrl } = caps();
      const user = await signUp(url, 'many');
      const connection = ws(wsUrl, user.token);
      const subs = [
        connection.subscribe(UnreadCountChanged),
        connection.subscribe(UnreadCountChanged),
      ];
      for (const sub of subs) {
        expect((await sub.results.next('first count')).data?.unreadNotificationCountChanged).toBe(
          0,
        );
      }
      expect(await wsRun(connection, UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscriptions on this connection.'),
      });
      subs[0]?.stop();
      const again = await wsRun(connection, UnreadCountChanged);
      expect(again).toEqual({
        kind: 'result',
        result: { data: { unreadNotificationCountChanged: 0 } },
      });
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), UnreadCountChanged)).toMatchObject({
        kind: 'result',
      });
    });

    it('MAX_SUBSCRIPTIONS_PER_USER: a 4th live subscription of a user is refused until one ends', async () => {
      const { url, wsUrl } = caps();
      const user = await signUp(url, 'everywhere');
      const connections = [1, 2, 3].map(() => ws(wsUrl, user.token));
      const subs = connections.map((connection) => connection.subscribe(UnreadCountChanged));
      for (const sub of subs) await sub.results.next('first count');
      const fourth = ws(wsUrl, user.token);
      expect(await wsRun(fourth, UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscriptions for this user.'),
      });
      // Another user is not affected.
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), UnreadCountChanged)).toMatchObject({
        kind: 'result',
      });

      // Completing a subscription frees its slot (once the server has processed it)...
      subs[0]?.stop();
      const freed = await eventually(() => wsStart(fourth, UnreadCountChanged));
      expect(await freed.first).toEqual({
        kind: 'result',
        result: { data: { unreadNotificationCountChanged: 0 } },
      });
      expect(await wsRun(fourth, UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscriptions for this user.'),
      });
      // ...and so does closing a socket.
      await connections[1]?.dispose();
      const afterClose = await eventually(() => wsStart(ws(wsUrl, user.token), UnreadCountChanged));
      expect(await afterClose.first).toMatchObject({ kind: 'result' });
    });
  });
});
