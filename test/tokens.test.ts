// A token's life: it expires (and its socket closes with 4403), and logOut or
// changePassword revoke it everywhere: over HTTP, at connection_init and on the
// sockets already open, for that user only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { connectWs, ok, request, subscribeSse, type WsConnection } from './helpers/clients.js';
import { LogIn } from './helpers/operations.js';
import { servesAnotherUser, stillPending, within } from './helpers/raw.js';
import { startServer, type TestServer } from './helpers/server.js';
import { comment, createPost, signUp } from './helpers/users.js';

const TokenTestLogOut = graphql(/* GraphQL */ `
  mutation TokenTestLogOut {
    logOut
  }
`);

const TokenTestChangePassword = graphql(/* GraphQL */ `
  mutation TokenTestChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      token
      expiresAt
      user {
        id
        email
      }
    }
  }
`);

const TokenTestUnread = graphql(/* GraphQL */ `
  query TokenTestUnread {
    unreadNotificationCount
  }
`);

const TokenTestCountChanged = graphql(/* GraphQL */ `
  subscription TokenTestCountChanged {
    unreadNotificationCountChanged
  }
`);

const PASSWORD = 'correct horse'; // what helpers/users.ts signs everyone up with

let server: TestServer;
const sockets: WsConnection[] = [];
const ws = (wsUrl: string, token?: string) => {
  const connection = connectWs(wsUrl, token);
  sockets.push(connection);
  return connection;
};

/** A socket with a live count subscription that has sent its first value. */
async function liveSocket(wsUrl: string, token: string) {
  const socket = ws(wsUrl, token);
  const counts = socket.subscribe(TokenTestCountChanged);
  const first = await counts.results.next('the first count');
  expect(first.data?.unreadNotificationCountChanged).toBeTypeOf('number');
  return { socket, counts };
}

async function unreadCode(token: string) {
  const result = await request(server.url, TokenTestUnread, {}, token);
  return result.errors?.[0]?.extensions?.code ?? 'ok';
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await server?.stop();
});

describe('expiry', () => {
  it('closes a live socket with 4403 when its token expires', async () => {
    // Tokens that live 3 seconds (whole seconds: 2 to 3 from now).
    const shortLived = await startServer({ TOKEN_TTL_MINUTES: '0.05' });
    try {
      const user = await signUp(shortLived.url, 'ttl');
      const { socket } = await liveSocket(shortLived.wsUrl, user.token);
      const code = await within(socket.closed, 10_000, 'the socket to close at expiry');
      expect(code).toBe(4403);
      const late = await request(shortLived.url, TokenTestUnread, {}, user.token);
      expect(late.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      await servesAnotherUser(shortLived.url, shortLived.wsUrl);
    } finally {
      await shortLived.stop();
    }
  });
});

describe('logOut', () => {
  it("revokes the token over HTTP and at connection_init, and closes only that user's sockets", async () => {
    const alice = await signUp(server.url, 'alice');
    const bob = await signUp(server.url, 'bob');
    const phone = await liveSocket(server.wsUrl, alice.token);
    const laptop = await liveSocket(server.wsUrl, alice.token);
    const bobs = await liveSocket(server.wsUrl, bob.token);

    expect((await ok(server.url, TokenTestLogOut, {}, alice.token)).logOut).toBe(true);

    expect(await within(phone.socket.closed, 5_000, "alice's phone socket")).toBe(4403);
    expect(await within(laptop.socket.closed, 5_000, "alice's laptop socket")).toBe(4403);
    expect(await unreadCode(alice.token)).toBe('UNAUTHENTICATED');
    const again = await request(server.url, TokenTestLogOut, {}, alice.token);
    expect(again.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reopened = ws(server.wsUrl, alice.token);
    expect(await within(reopened.closed, 5_000, 'the refused socket')).toBe(4403);

    // Bob's socket stays open and live.
    expect(await stillPending(bobs.socket.closed, 200)).toBe('pending');
    const post = await createPost(server.url, bob, 'Still here');
    await comment(server.url, await signUp(server.url, 'carol'), post.id, 'hi bob');
    expect(
      (await bobs.counts.results.next('bob count 1')).data?.unreadNotificationCountChanged,
    ).toBe(1);
    expect(await unreadCode(bob.token)).toBe('ok');

    // Logging in again gives a token that works.
    const back = await ok(server.url, LogIn, { input: { email: alice.email, password: PASSWORD } });
    expect(await unreadCode(back.logIn.token)).toBe('ok');
    await liveSocket(server.wsUrl, back.logIn.token);
    await servesAnotherUser(server.url, server.wsUrl);
  });

  it('ends an SSE stream opened with the revoked token', async () => {
    const user = await signUp(server.url, 'sseleaver');
    const other = await signUp(server.url, 'ssecommenter');
    const post = await createPost(server.url, user, 'Streamed');
    const stream = subscribeSse(server.url, TokenTestCountChanged, {}, user.token);
    try {
      expect((await stream.results.next('first count')).data?.unreadNotificationCountChanged).toBe(
        0,
      );
      await ok(server.url, TokenTestLogOut, {}, user.token);
      await comment(server.url, other, post.id, 'after logout');
      const outcome = await Promise.race([
        stream.completed.then(() => 'ended'),
        stream.results.next('anything', 3_000).then(
          (value) => `delivered ${JSON.stringify(value)}`,
          () => 'still open',
        ),
      ]);
      expect(outcome).toBe('ended');
    } finally {
      stream.dispose();
    }
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const result = await request(server.url, TokenTestLogOut, {});
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('changePassword', () => {
  it('refuses a wrong current password on currentPassword, and revokes nothing', async () => {
    const user = await signUp(server.url, 'wrongpw');
    const live = await liveSocket(server.wsUrl, user.token);
    const result = await request(
      server.url,
      TokenTestChangePassword,
      { input: { currentPassword: 'not my password', newPassword: 'a brand new one' } },
      user.token,
    );
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'currentPassword',
    });
    expect(await unreadCode(user.token)).toBe('ok');
    expect(await stillPending(live.socket.closed, 200)).toBe('pending');
    const old = await request(server.url, LogIn, {
      input: { email: user.email, password: PASSWORD },
    });
    expect(old.errors).toBeUndefined();
  });

  it('refuses a too-short new password on newPassword', async () => {
    const user = await signUp(server.url, 'shortpw');
    const result = await request(
      server.url,
      TokenTestChangePassword,
      { input: { currentPassword: PASSWORD, newPassword: 'short' } },
      user.token,
    );
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'newPassword',
    });
    expect(await unreadCode(user.token)).toBe('ok');
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const result = await request(server.url, TokenTestChangePassword, {
      input: { currentPassword: PASSWORD, newPassword: 'a brand new one' },
    });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('returns a new working token, revokes the old one, closes old sockets, and changes the password', async () => {
    const user = await signUp(server.url, 'changer');
    const bystander = await signUp(server.url, 'bystander');
    const old = await liveSocket(server.wsUrl, user.token);
    const others = await liveSocket(server.wsUrl, bystander.token);

    const data = await ok(
      server.url,
      TokenTestChangePassword,
      { input: { currentPassword: PASSWORD, newPassword: 'a brand new one' } },
      user.token,
    );
    const fresh = data.changePassword.token;
    expect(fresh).not.toBe(user.token);
    expect(data.changePassword.user).toEqual({ id: user.id, email: user.email });
    expect(Date.parse(data.changePassword.expiresAt)).toBeGreaterThan(Date.now());

    expect(await within(old.socket.closed, 5_000, 'the old socket')).toBe(4403);
    expect(await stillPending(others.socket.closed, 200)).toBe('pending');
    expect(await unreadCode(user.token)).toBe('UNAUTHENTICATED');
    expect(await unreadCode(fresh)).toBe('ok');
    const refused = ws(server.wsUrl, user.token);
    expect(await within(refused.closed, 5_000, 'the refused socket')).toBe(4403);
    const renewed = await liveSocket(server.wsUrl, fresh);

    const withOld = await request(server.url, LogIn, {
      input: { email: user.email, password: PASSWORD },
    });
    expect(withOld.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const withNew = await ok(server.url, LogIn, {
      input: { email: user.email, password: 'a brand new one' },
    });
    expect(await unreadCode(withNew.logIn.token)).toBe('ok');
    // The socket opened with the new token was not caught by the revocation.
    expect(await stillPending(renewed.socket.closed, 200)).toBe('pending');
    await servesAnotherUser(server.url, server.wsUrl);
  });
});
