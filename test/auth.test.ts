// The contract's "Authentication" and "Errors" rules, observed through real clients.
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { connectWs, ok, request, subscribeSse, type WsConnection } from './helpers/clients.js';
import { FAILING_TITLE, refuseFailingTitle } from './helpers/faults.js';
import {
  LogIn,
  NotificationAdded,
  Notifications,
  SignUp,
  UnreadCount,
  UnreadCountChanged,
} from './helpers/operations.js';
import { startServer, TEST_SECRET, type TestServer } from './helpers/server.js';
import { comment, createPost, seedNotification, signUp, type TestUser } from './helpers/users.js';

const AuthTestMe = graphql(/* GraphQL */ `
  query AuthTestMe {
    me {
      id
      username
      email
    }
  }
`);

const AuthTestUser = graphql(/* GraphQL */ `
  query AuthTestUser($id: ID!) {
    user(id: $id) {
      id
      username
      email
    }
  }
`);

const AuthTestPostAuthor = graphql(/* GraphQL */ `
  query AuthTestPostAuthor($id: ID!) {
    post(id: $id) {
      id
      title
      body
      author {
        id
        email
      }
      comments {
        edges {
          node {
            id
            text
          }
        }
      }
    }
  }
`);

const AuthTestPublicPosts = graphql(/* GraphQL */ `
  query AuthTestPublicPosts {
    me {
      id
    }
    posts(first: 5) {
      edges {
        node {
          id
          title
        }
      }
    }
  }
`);

const AuthTestNode = graphql(/* GraphQL */ `
  query AuthTestNode($id: ID!) {
    node(id: $id) {
      id
      __typename
      ... on Notification {
        message
        peek
      }
    }
  }
`);

const AuthTestNodes = graphql(/* GraphQL */ `
  query AuthTestNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

const AuthTestMarkRead = graphql(/* GraphQL */ `
  mutation AuthTestMarkRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
      read
    }
  }
`);

const AuthTestMarkAllRead = graphql(/* GraphQL */ `
  mutation AuthTestMarkAllRead {
    markAllNotificationsRead
  }
`);

const AuthTestUpdatePost = graphql(/* GraphQL */ `
  mutation AuthTestUpdatePost($input: UpdatePostInput!) {
    updatePost(input: $input) {
      id
      title
    }
  }
`);

const AuthTestDeletePost = graphql(/* GraphQL */ `
  mutation AuthTestDeletePost($id: ID!) {
    deletePost(id: $id)
  }
`);

const AuthTestDeleteComment = graphql(/* GraphQL */ `
  mutation AuthTestDeleteComment($id: ID!) {
    deleteComment(id: $id)
  }
`);

const AuthTestCreatePost = graphql(/* GraphQL */ `
  mutation AuthTestCreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
    }
  }
`);

const AuthTestMyPosts = graphql(/* GraphQL */ `
  query AuthTestMyPosts {
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

let server: TestServer;
const sockets: WsConnection[] = [];
const ws = (wsUrl: string, token?: string) => {
  const connection = connectWs(wsUrl, token);
  sockets.push(connection);
  return connection;
};

const PASSWORD = 'correct horse'; // what helpers/users.ts signs everyone up with
const HOUR_MS = 60 * 60 * 1000;
const secretKey = new TextEncoder().encode(TEST_SECRET);

/** Resolves with the promise's value, or rejects naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
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

/** A token for `user` signed with the server's real key, but already expired. */
async function expiredTokenFor(user: TestUser) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(decodeJwt(user.token).sub))
    .setIssuedAt(now - 7200)
    .setExpirationTime(now - 3600)
    .sign(secretKey);
}

/** A well-formed, unexpired token for `user`, signed with a key the server does not know. */
async function forgedTokenFor(user: TestUser) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(String(decodeJwt(user.token).sub))
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('an-attacker-secret-that-is-also-long-enough'));
}

/** An unsigned (`alg: none`) token for `user`. */
function unsignedTokenFor(user: TestUser) {
  return new UnsecuredJWT({})
    .setSubject(String(decodeJwt(user.token).sub))
    .setIssuedAt()
    .setExpirationTime('1h')
    .encode();
}

/** The global id of a row that does not exist, e.g. missingId('Post'). */
const missingId = (typename: string) =>
  Buffer.from(`${typename}:2147483000`, 'utf8').toString('base64');

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await server?.stop();
});

describe('Authentication', () => {
  describe('signUp and logIn', () => {
    it('signUp returns a bearer token that expires about 60 minutes from now', async () => {
      const before = Date.now();
      const email = `Fresh_${before}@Example.com`;
      const data = await ok(server.url, SignUp, {
        input: { email, username: `fresh_${before}`, password: PASSWORD },
      });
      const expiresAt = Date.parse(data.signUp.expiresAt);
      expect(Math.abs(expiresAt - (before + HOUR_MS))).toBeLessThan(30_000);
      // The token itself says the same expiry.
      expect(decodeJwt(data.signUp.token).exp).toBe(expiresAt / 1000);
      // The payload's user is the new viewer, who may see their own email.
      expect(data.signUp.user.email).toBe(email);
    });

    it('logIn returns a fresh token that expires about 60 minutes from now', async () => {
      const user = await signUp(server.url, 'login');
      const before = Date.now();
      const data = await ok(server.url, LogIn, {
        input: { email: user.email, password: PASSWORD },
      });
      expect(data.logIn.user.id).toBe(user.id);
      expect(data.logIn.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      const expiresAt = Date.parse(data.logIn.expiresAt);
      expect(Math.abs(expiresAt - (before + HOUR_MS))).toBeLessThan(30_000);
    });

    it('logIn matches the email case-insensitively', async () => {
      const user = await signUp(server.url, 'casey');
      const data = await ok(server.url, LogIn, {
        input: { email: `  ${user.email.toUpperCase()} `, password: PASSWORD },
      });
      expect(data.logIn.user.id).toBe(user.id);
    });

    it('`me` is the bearer of the token, over HTTP, for tokens from signUp and logIn', async () => {
      const user = await signUp(server.url, 'me');
      const fromSignUp = await ok(server.url, AuthTestMe, {}, user.token);
      expect(fromSignUp.me).toEqual({ id: user.id, username: user.username, email: user.email });

      const login = await ok(server.url, LogIn, {
        input: { email: user.email, password: PASSWORD },
      });
      const fromLogIn = await ok(server.url, AuthTestMe, {}, login.logIn.token);
      expect(fromLogIn.me?.id).toBe(user.id);
    });

    it('`me` is null when anonymous', async () => {
      const data = await ok(server.url, AuthTestMe);
      expect(data.me).toBeNull();
    });
  });

  describe('no account enumeration', () => {
    it('a wrong password and an unknown email give the same error', async () => {
      const user = await signUp(server.url, 'enum');
      const wrongPassword = await request(server.url, LogIn, {
        input: { email: user.email, password: 'not the password' },
      });
      const unknownEmail = await request(server.url, LogIn, {
        input: { email: `nobody_${Date.now()}@example.com`, password: PASSWORD },
      });
      for (const result of [wrongPassword, unknownEmail]) {
        expect(result.data).toBeNull();
        expect(result.errors).toHaveLength(1);
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      expect(unknownEmail.errors?.[0]?.message).toBe(wrongPassword.errors?.[0]?.message);
      // Neither names a field, which would tell which of the two was wrong.
      expect(unknownEmail.errors?.[0]?.extensions).toEqual(wrongPassword.errors?.[0]?.extensions);
    });
  });

  describe('passwords', () => {
    // The stored hash is not observable by a client; what is observable is that the
    // password checks exactly, and that the account is unique by email in any case.
    it('logIn accepts the exact password and refuses a differently cased one', async () => {
      const user = await signUp(server.url, 'pw');
      await ok(server.url, LogIn, { input: { email: user.email, password: PASSWORD } });
      const wrongCase = await request(server.url, LogIn, {
        input: { email: user.email, password: PASSWORD.toUpperCase() },
      });
      expect(wrongCase.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('a second signUp with the same email in another case is refused', async () => {
      const user = await signUp(server.url, 'dup');
      const again = await request(server.url, SignUp, {
        input: {
          email: user.email.toUpperCase(),
          username: `${user.username}_2`,
          password: 'another password',
        },
      });
      expect(again.data).toBeNull();
      expect(again.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'email',
      });
      // The original password still works, so the account was not overwritten.
      const login = await ok(server.url, LogIn, {
        input: { email: user.email, password: PASSWORD },
      });
      expect(login.logIn.user.id).toBe(user.id);
    });
  });

  describe('HTTP bearer tokens', () => {
    it('anonymous `notifications` and `unreadNotificationCount` are UNAUTHENTICATED', async () => {
      const list = await request(server.url, Notifications, {});
      expect(list.data).toBeNull();
      expect(list.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const count = await request(server.url, UnreadCount, {});
      expect(count.data).toBeNull();
      expect(count.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('anonymous mutations that need a viewer are UNAUTHENTICATED', async () => {
      const created = await request(server.url, AuthTestCreatePost, {
        input: { title: 'Anonymous post', body: 'x' },
      });
      expect(created.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const marked = await request(server.url, AuthTestMarkAllRead, {});
      expect(marked.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it.each([
      ['forged (signed with another key)', forgedTokenFor],
      ['unsigned (alg none)', unsignedTokenFor],
      ['expired', expiredTokenFor],
      ['not a JWT at all', async () => 'not-a-token'],
    ])(
      'a %s token gets UNAUTHENTICATED for `notifications`, not anonymous access',
      async (_label, make) => {
        const user = await signUp(server.url, 'badtok');
        const token = await make(user);
        const list = await request(server.url, Notifications, {}, token);
        expect(list.data).toBeNull();
        expect(list.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        const count = await request(server.url, UnreadCount, {}, token);
        expect(count.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        // And it is nobody: `me` does not resolve to the user the token names.
        const me = await request(server.url, AuthTestMe, {}, token);
        expect(me.data?.me ?? null).toBeNull();
      },
    );
  });

  describe('graphql-ws', () => {
    it('accepts an anonymous connection and answers public queries over it', async () => {
      const author = await signUp(server.url, 'pub');
      const post = await createPost(server.url, author, 'Public over ws');
      const socket = ws(server.wsUrl);

      const viaSubscribe = socket.subscribe(AuthTestPublicPosts);
      const { data, errors } = await viaSubscribe.results.next('public query result');
      expect(errors).toBeUndefined();
      expect(data?.me).toBeNull();
      expect(data?.posts.edges.map((e) => e.node.id)).toContain(post.id);
      await viaSubscribe.completed;

      // The same through graphql-ws' own async iterator.
      const results = [];
      for await (const result of socket.client.iterate({
        query: '{ posts(first: 1) { edges { node { id } } } }',
      })) {
        results.push(result);
      }
      expect(results).toHaveLength(1);
      expect(results[0]?.errors).toBeUndefined();
      expect(results[0]?.data).toMatchObject({
        posts: { edges: [{ node: { id: expect.any(String) } }] },
      });
    });

    it('refuses `notificationAdded` on an anonymous connection with UNAUTHENTICATED', async () => {
      const socket = ws(server.wsUrl);
      const sub = socket.subscribe(NotificationAdded, {});
      const result = await sub.results.next('notificationAdded refusal');
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      await within(sub.completed, 5_000, 'the refused subscription to complete');
    });

    it('refuses `unreadNotificationCountChanged` on an anonymous connection with UNAUTHENTICATED', async () => {
      const socket = ws(server.wsUrl);
      const sub = socket.subscribe(UnreadCountChanged);
      const result = await sub.results.next('unreadNotificationCountChanged refusal');
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      await within(sub.completed, 5_000, 'the refused subscription to complete');
    });

    it('the anonymous connection stays usable after a refused subscription', async () => {
      const socket = ws(server.wsUrl);
      const refused = socket.subscribe(UnreadCountChanged);
      await refused.results.next('refusal');
      const query = socket.subscribe(AuthTestMe);
      const { data, errors } = await query.results.next('me over ws');
      expect(errors).toBeUndefined();
      expect(data?.me).toBeNull();
    });

    it('a valid token at connection_init makes the connection the user', async () => {
      const user = await signUp(server.url, 'wsme');
      const socket = ws(server.wsUrl, user.token);
      const me = socket.subscribe(AuthTestMe);
      expect((await me.results.next('me over ws')).data?.me?.id).toBe(user.id);
      const count = socket.subscribe(UnreadCountChanged);
      expect((await count.results.next('initial count')).data?.unreadNotificationCountChanged).toBe(
        0,
      );
    });

    it.each([
      ['forged (signed with another key)', forgedTokenFor],
      ['unsigned (alg none)', unsignedTokenFor],
      ['expired', expiredTokenFor],
      ['not a JWT at all', async () => 'not-a-token'],
    ])('closes the socket with 4403 for a %s token at connection_init', async (_label, make) => {
      const user = await signUp(server.url, 'wsbad');
      const socket = ws(server.wsUrl, await make(user));
      const code = await within(socket.closed, 10_000, 'the refused socket to close');
      expect(code).toBe(4403);
    });

    it('closes a live socket with 4403 when the token it was opened with expires', async () => {
      // A server whose tokens live 3 seconds.
      const shortLived = await startServer({ TOKEN_TTL_MINUTES: '0.05' });
      try {
        const data = await ok(shortLived.url, SignUp, {
          input: { email: 'ttl@example.com', username: 'ttl_user', password: PASSWORD },
        });
        const expiresAt = Date.parse(data.signUp.expiresAt);
        expect(expiresAt - Date.now()).toBeLessThanOrEqual(3_000);

        const socket = ws(shortLived.wsUrl, data.signUp.token);
        const count = socket.subscribe(UnreadCountChanged);
        // The socket is open and authenticated before the token expires.
        expect(
          (await count.results.next('initial count')).data?.unreadNotificationCountChanged,
        ).toBe(0);

        const code = await within(socket.closed, 10_000, 'the socket to close at token expiry');
        expect(code).toBe(4403);
        // Not long before the token actually expired (loose: timers and clocks are coarse).
        expect(Date.now()).toBeGreaterThanOrEqual(expiresAt - 1_000);
      } finally {
        await shortLived.stop();
      }
    });
  });

  describe('SSE', () => {
    it('refuses `unreadNotificationCountChanged` without a token with UNAUTHENTICATED', async () => {
      const sub = subscribeSse(server.url, UnreadCountChanged);
      try {
        const result = await sub.results.next('SSE refusal');
        expect(result.data ?? null).toBeNull();
        expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      } finally {
        sub.dispose();
      }
    });

    it('refuses `notificationAdded` without a token with UNAUTHENTICATED', async () => {
      const sub = subscribeSse(server.url, NotificationAdded, {});
      try {
        const result = await sub.results.next('SSE refusal');
        expect(result.data ?? null).toBeNull();
        expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      } finally {
        sub.dispose();
      }
    });

    it('refuses `notificationAdded` with an expired token with UNAUTHENTICATED', async () => {
      const user = await signUp(server.url, 'sseexp');
      const sub = subscribeSse(server.url, NotificationAdded, {}, await expiredTokenFor(user));
      try {
        const result = await sub.results.next('SSE refusal');
        expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      } finally {
        sub.dispose();
      }
    });
  });
});

describe('Errors', () => {
  describe('NOT_FOUND, never FORBIDDEN, for another user’s notification', () => {
    it('markNotificationRead of another user’s notification is NOT_FOUND and changes nothing', async () => {
      const owner = await signUp(server.url, 'owner');
      const intruder = await signUp(server.url, 'intruder');
      const notificationId = await seedNotification(server.url, owner);

      const result = await request(
        server.url,
        AuthTestMarkRead,
        { id: notificationId },
        intruder.token,
      );
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      // Indistinguishable from a notification that does not exist.
      const missing = await request(
        server.url,
        AuthTestMarkRead,
        { id: missingId('Notification') },
        intruder.token,
      );
      expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(missing.errors?.[0]?.message).toBe(result.errors?.[0]?.message);

      // The owner's notification is still unread.
      const count = await ok(server.url, UnreadCount, {}, owner.token);
      expect(count.unreadNotificationCount).toBe(1);
      // ...and the owner can mark it read.
      const own = await ok(server.url, AuthTestMarkRead, { id: notificationId }, owner.token);
      expect(own.markNotificationRead).toEqual({ id: notificationId, read: true });
    });

    it('`node(id:)` with another user’s Notification id is null, with no error', async () => {
      const owner = await signUp(server.url, 'nodeowner');
      const other = await signUp(server.url, 'nodeother');
      const notificationId = await seedNotification(server.url, owner);

      const mine = await ok(server.url, AuthTestNode, { id: notificationId }, owner.token);
      expect(mine.node).toMatchObject({ id: notificationId, __typename: 'Notification' });

      const theirs = await request(server.url, AuthTestNode, { id: notificationId }, other.token);
      expect(theirs.errors).toBeUndefined();
      expect(theirs.data?.node).toBeNull();

      const anonymous = await request(server.url, AuthTestNode, { id: notificationId });
      expect(anonymous.errors).toBeUndefined();
      expect(anonymous.data?.node).toBeNull();

      // Exactly as for a notification that does not exist.
      const missing = await request(
        server.url,
        AuthTestNode,
        { id: missingId('Notification') },
        other.token,
      );
      expect(missing.errors).toBeUndefined();
      expect(missing.data?.node).toBeNull();

      // Nor through the batch form.
      const batch = await request(
        server.url,
        AuthTestNodes,
        { ids: [notificationId] },
        other.token,
      );
      expect(batch.errors).toBeUndefined();
      expect(batch.data?.nodes).toEqual([null]);
    });
  });

  describe('FORBIDDEN and NOT_FOUND for posts and comments', () => {
    it('updatePost of another user’s post is FORBIDDEN and leaves it unchanged', async () => {
      const author = await signUp(server.url, 'pauthor');
      const other = await signUp(server.url, 'pother');
      const post = await createPost(server.url, author, 'Original title');
      const result = await request(
        server.url,
        AuthTestUpdatePost,
        { input: { id: post.id, title: 'Hijacked title' } },
        other.token,
      );
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const after = await ok(server.url, AuthTestPostAuthor, { id: post.id });
      expect(after.post?.title).toBe('Original title');
    });

    it('deletePost of another user’s post is FORBIDDEN and leaves it in place', async () => {
      const author = await signUp(server.url, 'dauthor');
      const other = await signUp(server.url, 'dother');
      const post = await createPost(server.url, author, 'Keep me');
      const result = await request(server.url, AuthTestDeletePost, { id: post.id }, other.token);
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const after = await ok(server.url, AuthTestPostAuthor, { id: post.id });
      expect(after.post?.id).toBe(post.id);
    });

    it('updatePost and deletePost of a post that does not exist are NOT_FOUND', async () => {
      const author = await signUp(server.url, 'gone');
      const post = await createPost(server.url, author, 'Soon deleted');
      await ok(server.url, AuthTestDeletePost, { id: post.id }, author.token);

      for (const id of [post.id, missingId('Post')]) {
        const update = await request(
          server.url,
          AuthTestUpdatePost,
          { input: { id, title: 'Back from the dead' } },
          author.token,
        );
        expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        const del = await request(server.url, AuthTestDeletePost, { id }, author.token);
        expect(del.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      }
    });

    it('deleteComment of another user’s comment is FORBIDDEN, even for the post’s author', async () => {
      const author = await signUp(server.url, 'cauthor');
      const commenter = await signUp(server.url, 'commenter');
      const post = await createPost(server.url, author, 'Comment here');
      const created = await comment(server.url, commenter, post.id, 'My own words');

      const result = await request(
        server.url,
        AuthTestDeleteComment,
        { id: created.id },
        author.token,
      );
      expect(result.data).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const after = await ok(server.url, AuthTestPostAuthor, { id: post.id });
      expect(after.post?.comments.edges.map((e) => e.node.id)).toEqual([created.id]);

      // The comment's author may.
      const own = await ok(server.url, AuthTestDeleteComment, { id: created.id }, commenter.token);
      expect(own.deleteComment).toBe(created.id);
    });
  });

  describe('email visibility', () => {
    it('`email` is set for `me` and null for anyone viewing another user', async () => {
      const alice = await signUp(server.url, 'alice');
      const bob = await signUp(server.url, 'bob');
      const post = await createPost(server.url, alice, 'Alice writes');

      const me = await ok(server.url, AuthTestMe, {}, alice.token);
      expect(me.me?.email).toBe(alice.email);
      const self = await ok(server.url, AuthTestUser, { id: alice.id }, alice.token);
      expect(self.user?.email).toBe(alice.email);

      const byBob = await ok(server.url, AuthTestUser, { id: alice.id }, bob.token);
      expect(byBob.user).toEqual({ id: alice.id, username: alice.username, email: null });
      const byAnonymous = await ok(server.url, AuthTestUser, { id: alice.id });
      expect(byAnonymous.user?.email).toBeNull();
      const asAuthor = await ok(server.url, AuthTestPostAuthor, { id: post.id }, bob.token);
      expect(asAuthor.post?.author).toEqual({ id: alice.id, email: null });
    });
  });

  describe('masking', () => {
    // No client input makes the server fail any more (a NUL is BAD_USER_INPUT,
    // test/limits/input-strings.test.ts), so the database is made to refuse
    // (test/helpers/faults.ts), which needs PostgreSQL.
    it.skipIf(!inject('postgresUrl'))(
      'masks an unexpected failure as "Unexpected error." with no stack or SQL, and logs it',
      async () => {
        await refuseFailingTitle(server.databaseUrl as string);
        const user = await signUp(server.url, 'nul');
        const logsBefore = server.logs().length;
        const result = await request(
          server.url,
          AuthTestCreatePost,
          { input: { title: FAILING_TITLE, body: 'x' } },
          user.token,
        );
        const logged = server
          .logs()
          .slice(logsBefore)
          .map((line) => JSON.parse(line));
        expect(logged.some((entry) => entry.msg === 'unexpected error' && entry.err)).toBe(true);
        expect(result.data).toBeNull();
        expect(result.errors).toHaveLength(1);
        const [error] = result.errors ?? [];
        expect(error?.message).toBe('Unexpected error.');
        expect(error?.extensions?.code).not.toMatch(/^(BAD_USER_INPUT|NOT_FOUND|FORBIDDEN)$/);
        const text = JSON.stringify(result);
        expect(text).not.toMatch(/stack|prisma|invalid byte|UTF8|0x00|INSERT|sql|\.ts:\d+/i);
        expect(Object.keys(error?.extensions ?? {})).not.toContain('originalError');

        // Nothing was stored.
        const mine = await ok(server.url, AuthTestMyPosts, {}, user.token);
        expect(mine.me?.posts.edges).toEqual([]);
      },
    );
  });
});
