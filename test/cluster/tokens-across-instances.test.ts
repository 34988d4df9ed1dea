// Revocation across instances: logOut or changePassword on one instance closes the
// user's sockets on every other one (Redis pub/sub), and only theirs.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { connectWs, ok, request, type WsConnection } from '../helpers/clients.js';
import { type Instance, startInstance } from '../helpers/instances.js';
import { eventually, stillPending, within } from '../helpers/raw.js';
import { createDatabase } from '../helpers/server.js';
import { hasBinary, type Service, startRedis } from '../helpers/services.js';
import { signUp } from '../helpers/users.js';

const TokenTestClusterLogOut = graphql(/* GraphQL */ `
  mutation TokenTestClusterLogOut {
    logOut
  }
`);

const TokenTestClusterChangePassword = graphql(/* GraphQL */ `
  mutation TokenTestClusterChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      token
    }
  }
`);

const TokenTestClusterUnread = graphql(/* GraphQL */ `
  query TokenTestClusterUnread {
    unreadNotificationCount
  }
`);

const TokenTestClusterCount = graphql(/* GraphQL */ `
  subscription TokenTestClusterCount {
    unreadNotificationCountChanged
  }
`);

const redisAvailable = hasBinary('redis-server');
if (!redisAvailable && process.env.CI) throw new Error('CI needs redis-server');
if (!redisAvailable) console.warn('redis-server not found: skipping the multi-instance tests.');

let redis: Service;
let a: Instance;
let b: Instance;
const cleanups: Array<() => Promise<void> | void> = [];
const sockets: WsConnection[] = [];

/** A socket on `instance` whose count subscription is live. */
async function liveSocket(instance: Instance, token: string) {
  const socket = connectWs(instance.wsUrl, token);
  sockets.push(socket);
  const first = await socket.subscribe(TokenTestClusterCount).results.next('first count', 10_000);
  expect(first.data?.unreadNotificationCountChanged).toBe(0);
  return socket;
}

describe.skipIf(!redisAvailable)('token revocation across instances', () => {
  beforeAll(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
    const env = {
      DATABASE_URL: await createDatabase(inject('postgresUrl'), cleanups),
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'tokentest:',
    };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
  });

  afterAll(async () => {
    for (const socket of sockets) await socket.dispose();
    await Promise.all([a, b].map((instance) => instance?.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("logOut on A closes the user's socket on B with 4403, and nobody else's", async () => {
    const user = await signUp(a.url, 'leaver');
    const other = await signUp(a.url, 'stayer');
    const onB = await liveSocket(b, user.token);
    const onA = await liveSocket(a, user.token);
    const otherOnB = await liveSocket(b, other.token);

    expect((await ok(a.url, TokenTestClusterLogOut, {}, user.token)).logOut).toBe(true);
    expect(await within(onB.closed, 10_000, `the socket on B\n${b.output()}`)).toBe(4403);
    expect(await within(onA.closed, 10_000, 'the socket on A')).toBe(4403);
    expect(await stillPending(otherOnB.closed, 300)).toBe('pending');

    // B refuses the old token too, over HTTP and at connection_init.
    const http = await request(b.url, TokenTestClusterUnread, {}, user.token);
    expect(http.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const again = connectWs(b.wsUrl, user.token);
    sockets.push(again);
    expect(await within(again.closed, 10_000, 'the refused socket on B')).toBe(4403);
    // B still serves the other user.
    const theirs = await request(b.url, TokenTestClusterUnread, {}, other.token);
    expect(theirs.data?.unreadNotificationCount).toBe(0);
  });

  it("changePassword on B closes the user's old socket on A with 4403", async () => {
    const user = await signUp(a.url, 'changer');
    const onA = await liveSocket(a, user.token);
    const changed = await ok(
      b.url,
      TokenTestClusterChangePassword,
      { input: { currentPassword: 'correct horse', newPassword: 'a brand new one' } },
      user.token,
    );
    expect(await within(onA.closed, 10_000, `the socket on A\n${a.output()}`)).toBe(4403);
    // The new token works on A, over a socket that stays open.
    const renewed = await liveSocket(a, changed.changePassword.token);
    expect(await stillPending(renewed.closed, 300)).toBe('pending');
  });

  it('refuses over HTTP on B a token revoked on A, though B holds no socket of that user', async () => {
    const user = await signUp(a.url, 'httponly');
    // B has checked this token once, and so knows its version.
    const before = await request(b.url, TokenTestClusterUnread, {}, user.token);
    expect(before.data?.unreadNotificationCount).toBe(0);

    expect((await ok(a.url, TokenTestClusterLogOut, {}, user.token)).logOut).toBe(true);
    // A refuses at once; B as soon as the announcement reaches it through Redis.
    const onA = await request(a.url, TokenTestClusterUnread, {}, user.token);
    expect(onA.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const onB = await eventually(
      () => request(b.url, TokenTestClusterUnread, {}, user.token),
      (result) => result.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      10_000,
    );
    expect(onB.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
