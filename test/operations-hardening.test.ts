// What operators rely on: logs without secrets, Prometheus metrics that follow
// what happens, request ids, and a graceful shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { connectWs, ok, request, subscribeSse, type WsConnection } from './helpers/clients.js';
import { FAILING_TITLE, refuseFailingTitle } from './helpers/faults.js';
import { LogIn, NotificationAdded, SignUp } from './helpers/operations.js';
import { eventually, metric, scrape, stillPending, within } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';
import { comment, createPost, seedNotification, signUp } from './helpers/users.js';

const OpsTestChangePassword = graphql(/* GraphQL */ `
  mutation OpsTestChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      token
    }
  }
`);

const OpsTestCreatePost = graphql(/* GraphQL */ `
  mutation OpsTestCreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
      title
    }
  }
`);

const OpsTestMyPosts = graphql(/* GraphQL */ `
  query OpsTestMyPosts {
    me {
      posts(first: 100) {
        edges {
          node {
            id
            title
          }
        }
      }
    }
  }
`);

const OpsTestUnreadChanged = graphql(/* GraphQL */ `
  subscription OpsTestUnreadChanged {
    unreadNotificationCountChanged
  }
`);

const OpsTestUnread = graphql(/* GraphQL */ `
  query OpsTestUnread {
    unreadNotificationCount
  }
`);

let server: TestServer;
const sockets: WsConnection[] = [];
const ws = (wsUrl: string, token?: string) => {
  const connection = connectWs(wsUrl, token);
  sockets.push(connection);
  return connection;
};

beforeAll(async () => {
  server = await startServer({ LOG_LEVEL: 'debug' });
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await server?.stop();
});

describe('logs', () => {
  it('never contain a password or a token, whatever happens', async () => {
    const secrets: string[] = [];
    const keep = (secret: string) => {
      secrets.push(secret);
      // A JWT's signature alone is as good as the token: look for it separately too.
      const signature = secret.split('.')[2];
      if (signature) secrets.push(signature);
      return secret;
    };
    const email = `logsecret_${Date.now()}@example.com`;
    const first = keep('Signup-Passw0rd-f1rst');
    const wrong = keep('Wrong-Passw0rd-n0t-his');
    const second = keep('Changed-Passw0rd-s3cond');
    const username = `logsecret_${Date.now() % 100_000}`;

    const signed = await ok(server.url, SignUp, { input: { email, username, password: first } });
    const signUpToken = keep(signed.signUp.token);
    const logged = await ok(server.url, LogIn, { input: { email, password: first } });
    const logInToken = keep(logged.logIn.token);
    const failed = await request(server.url, LogIn, { input: { email, password: wrong } });
    expect(failed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // A failed sign-up that echoes nothing either (a taken email, with a password).
    const taken = await request(server.url, SignUp, {
      input: { email, username: `${username}x`, password: wrong },
    });
    expect(taken.errors?.[0]?.extensions?.field).toBe('email');

    // A WebSocket with the token, and one with a token that is not valid.
    const socket = ws(server.wsUrl, logInToken);
    const counts = socket.subscribe(OpsTestUnreadChanged);
    expect((await counts.results.next('count')).data?.unreadNotificationCountChanged).toBe(0);
    const invalidToken = keep('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.not-a-real-signature-at-all');
    const refused = ws(server.wsUrl, invalidToken);
    expect(await within(refused.closed, 5_000, 'the refused socket')).toBe(4403);
    // The same token over HTTP, and the valid one over SSE.
    const bad = await request(server.url, OpsTestUnread, {}, invalidToken);
    expect(bad.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const sse = subscribeSse(server.url, OpsTestUnreadChanged, {}, signUpToken);
    expect((await sse.results.next('SSE count')).data?.unreadNotificationCountChanged).toBe(0);
    sse.dispose();

    const changed = await ok(
      server.url,
      OpsTestChangePassword,
      { input: { currentPassword: first, newPassword: second } },
      logInToken,
    );
    const changedToken = keep(changed.changePassword.token);
    expect(await within(socket.closed, 5_000, 'the revoked socket')).toBe(4403);
    const wrongChange = await request(
      server.url,
      OpsTestChangePassword,
      { input: { currentPassword: wrong, newPassword: second } },
      changedToken,
    );
    expect(wrongChange.errors?.[0]?.extensions?.field).toBe('currentPassword');

    // A NUL the database could not store is the client's error, with the field.
    const nul = await request(
      server.url,
      OpsTestCreatePost,
      { input: { title: 'Nul \u0000 inside', body: 'body' } },
      changedToken,
    );
    expect(nul.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'title' });
    // An unexpected failure, where the database can be made to refuse (PostgreSQL).
    if (server.databaseUrl) {
      await refuseFailingTitle(server.databaseUrl);
      const failure = await request(
        server.url,
        OpsTestCreatePost,
        { input: { title: FAILING_TITLE, body: 'body' } },
        changedToken,
      );
      expect(failure.data ?? null).toBeNull();
      expect(failure.errors).toHaveLength(1);
      expect(failure.errors?.[0]?.message).toBe('Unexpected error.');
      expect(JSON.stringify(failure)).not.toMatch(/stack|constraint|prisma|SELECT|INSERT/i);
    }
    const mine = await ok(server.url, OpsTestMyPosts, {}, changedToken);
    expect(mine.me?.posts.edges).toEqual([]);

    const lines = server.logs();
    // Debug logging was on, and an unexpected error was logged server-side.
    expect(lines.some((line) => line.includes('"level":20'))).toBe(true);
    if (server.databaseUrl) {
      expect(lines.some((line) => line.includes('unexpected error'))).toBe(true);
    }
    for (const secret of secrets) {
      const leaking = lines.filter((line) => line.includes(secret));
      expect(leaking, `a log line contains ${secret}`).toEqual([]);
    }
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });
});

describe('/metrics', () => {
  it('exposes every metric in the Prometheus text format', async () => {
    const response = await fetch(server.url.replace('/graphql', '/metrics'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const [name, type] of [
      ['http_requests_total', 'counter'],
      ['websocket_open_connections', 'gauge'],
      ['graphql_live_subscriptions', 'gauge'],
      ['notifications_created_total', 'counter'],
      ['notifications_published_total', 'counter'],
      ['notifications_delivered_total', 'counter'],
      ['notification_delivery_seconds', 'histogram'],
      ['pubsub_reconnects_total', 'counter'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
    expect(text).toMatch(/^pubsub_reconnects_total 0$/m);
  });

  it('follows sockets, subscriptions, notifications and requests as they happen', async () => {
    const author = await signUp(server.url, 'metricauthor');
    const commenter = await signUp(server.url, 'metriccommenter');
    const post = await createPost(server.url, author, 'Watched');
    const since = await seedNotification(server.url, author);
    const idle = await scrape(server.url);
    const open0 = metric(idle, 'websocket_open_connections');
    const live0 = metric(idle, 'graphql_live_subscriptions');

    const socket = ws(server.wsUrl, author.token);
    const counts = socket.subscribe(OpsTestUnreadChanged);
    const added = socket.subscribe(NotificationAdded, { since });
    await counts.results.next('first count');
    const busy = await eventually(
      () => scrape(server.url),
      (text) => metric(text, 'graphql_live_subscriptions') === live0 + 2,
    );
    expect(metric(busy, 'websocket_open_connections')).toBe(open0 + 1);
    expect(metric(busy, 'graphql_live_subscriptions')).toBe(live0 + 2);
    expect(metric(busy, 'graphql_live_subscriptions', { field: 'notificationAdded' })).toBe(
      metric(idle, 'graphql_live_subscriptions', { field: 'notificationAdded' }) + 1,
    );

    await comment(server.url, commenter, post.id, 'counted');
    const got = await added.results.next('the notification');
    expect(got.data?.notificationAdded.peek).toBe('counted...');
    const after = await eventually(
      () => scrape(server.url),
      (text) =>
        metric(text, 'notifications_delivered_total') >
        metric(busy, 'notifications_delivered_total'),
    );
    const moved = (name: string) => metric(after, name) - metric(busy, name);
    expect(moved('notifications_created_total')).toBe(1);
    expect(moved('notifications_published_total')).toBe(1);
    expect(moved('notifications_delivered_total')).toBe(1);
    expect(moved('notification_delivery_seconds_count')).toBe(1);
    expect(moved('notification_delivery_seconds_sum')).toBeGreaterThanOrEqual(0);
    // The comment's POST, and the scrapes themselves.
    expect(metric(after, 'http_requests_total', { method: 'POST', status: '200' })).toBeGreaterThan(
      metric(busy, 'http_requests_total', { method: 'POST', status: '200' }),
    );

    await socket.dispose();
    const closed = await eventually(
      () => scrape(server.url),
      (text) =>
        metric(text, 'websocket_open_connections') === open0 &&
        metric(text, 'graphql_live_subscriptions') === live0,
    );
    expect(metric(closed, 'websocket_open_connections')).toBe(open0);
    expect(metric(closed, 'graphql_live_subscriptions')).toBe(live0);
  });
});

describe('request ids', () => {
  it('gives every response an x-request-id, and echoes the one the client sends', async () => {
    const plain = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    const generated = plain.headers.get('x-request-id');
    expect(generated).toMatch(/^\S{8,}$/);

    const another = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(another.headers.get('x-request-id')).not.toBe(generated);

    const echoed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-chosen-id-42' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(echoed.headers.get('x-request-id')).toBe('client-chosen-id-42');
    for (const path of ['/health', '/metrics']) {
      const response = await fetch(server.url.replace('/graphql', path));
      expect(response.headers.get('x-request-id'), path).toBeTruthy();
    }
    // The id ties the response to the server's log line for it.
    const lines = await eventually(
      async () => server.logs(),
      (all) => all.some((line) => line.includes('client-chosen-id-42')),
    );
    expect(lines.some((line) => line.includes('"requestId":"client-chosen-id-42"'))).toBe(true);
  });
});

describe('graceful shutdown', () => {
  it('closes graphql-ws sockets with 1001 and lets an in-flight mutation complete', async () => {
    const doomed = await startServer({ LOG_LEVEL: 'debug' });
    let stopped = false;
    try {
      const user = await signUp(doomed.url, 'shutdown');
      // Someone else's mutation, so that its revocation cannot close the socket first.
      const busy = await signUp(doomed.url, 'busy');
      const socket = ws(doomed.wsUrl, user.token);
      const counts = socket.subscribe(OpsTestUnreadChanged);
      await counts.results.next('first count');

      // changePassword hashes twice with argon2: long enough to be in flight.
      const inFlight = request(
        doomed.url,
        OpsTestChangePassword,
        { input: { currentPassword: 'correct horse', newPassword: 'another horse' } },
        busy.token,
      );
      // In flight: Yoga has started on it (its debug line), and it has not finished.
      const processing = (line: string) => line.includes('Processing GraphQL Parameters"');
      const seen = doomed.logs().filter(processing).length;
      await eventually(
        async () => doomed.logs().filter(processing).length,
        (count) => count > seen,
      );
      // It may finish before stop() is called on a fast machine; operations.test.ts
      // holds a request in flight deterministically (Expect: 100-continue).
      const stopping = doomed.stop().then(() => {
        stopped = true;
      });
      const result = await within(inFlight, 10_000, 'the in-flight mutation');
      expect(result.errors).toBeUndefined();
      expect(result.data?.changePassword.token).toBeTruthy();
      const code = await within(socket.closed, 10_000, 'the socket to close');
      expect(code).toBe(1001);
      await within(stopping, 15_000, 'stop() to finish');
      // Nothing is accepted any more.
      await expect(fetch(doomed.url.replace('/graphql', '/health'))).rejects.toThrow();
    } finally {
      if (!stopped) await doomed.stop().catch(() => {});
    }
  });

  it('closes the socket with 1001 while idle, and stop() does not wait for the grace period', async () => {
    const doomed = await startServer();
    const user = await signUp(doomed.url, 'idle');
    const socket = ws(doomed.wsUrl, user.token);
    await socket.subscribe(OpsTestUnreadChanged).results.next('first count');
    const started = Date.now();
    await within(doomed.stop(), 15_000, 'stop()');
    expect(await stillPending(socket.closed, 1_000)).toBe(1001);
    // Well under the 5 s grace period that would cut connections still open.
    expect(Date.now() - started).toBeLessThan(4_900);
  });
});
