// The contract's "Input rules": every refusal is BAD_USER_INPUT naming the field,
// and stores nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { ok, type Result, request } from './helpers/clients.js';
import { CreateComment, CreatePost, LogIn, Notifications, SignUp } from './helpers/operations.js';
import { startServer, type TestServer } from './helpers/server.js';
import { comment, createPost, signUp, type TestUser } from './helpers/users.js';

const InputTestMyPosts = graphql(/* GraphQL */ `
  query InputTestMyPosts {
    me {
      id
      posts(first: 100) {
        edges {
          node {
            id
            title
            body
          }
        }
      }
    }
  }
`);

const InputTestPosts = graphql(/* GraphQL */ `
  query InputTestPosts($first: Int, $after: String) {
    posts(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const InputTestUserPosts = graphql(/* GraphQL */ `
  query InputTestUserPosts($id: ID!, $first: Int, $after: String) {
    user(id: $id) {
      posts(first: $first, after: $after) {
        edges {
          cursor
          node {
            id
          }
        }
        pageInfo {
          hasNextPage
        }
      }
    }
  }
`);

const InputTestPostComments = graphql(/* GraphQL */ `
  query InputTestPostComments($id: ID!, $first: Int, $after: String) {
    post(id: $id) {
      id
      title
      body
      commentCount
      comments(first: $first, after: $after) {
        edges {
          cursor
          node {
            id
            text
          }
        }
        pageInfo {
          hasNextPage
        }
      }
    }
  }
`);

const InputTestUpdatePost = graphql(/* GraphQL */ `
  mutation InputTestUpdatePost($input: UpdatePostInput!) {
    updatePost(input: $input) {
      id
      title
      body
    }
  }
`);

const InputTestUser = graphql(/* GraphQL */ `
  query InputTestUser($id: ID!) {
    user(id: $id) {
      id
    }
  }
`);

const InputTestMarkRead = graphql(/* GraphQL */ `
  mutation InputTestMarkRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
    }
  }
`);

const InputTestFollow = graphql(/* GraphQL */ `
  mutation InputTestFollow($userId: ID!) {
    followUser(userId: $userId) {
      id
    }
  }
`);

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

const PASSWORD = 'correct horse';
const unique = () => randomBytes(4).toString('hex');
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The result is one BAD_USER_INPUT error naming `field`, and no data. */
function expectRefused(result: Result<unknown>, field: string) {
  expect(result.errors, 'the refusal').toHaveLength(1);
  expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
}

/** An account with this email can still be made: the refused sign-up did not keep it. */
async function expectEmailFree(email: string) {
  const data = await ok(server.url, SignUp, {
    input: { email, username: `free_${unique()}`, password: PASSWORD },
  });
  expect(data.signUp.user.email).toBe(email.trim());
}

/** An account with this username can still be made. */
async function expectUsernameFree(username: string) {
  const data = await ok(server.url, SignUp, {
    input: { email: `free_${unique()}@example.com`, username, password: PASSWORD },
  });
  expect(data.signUp.user.username).toBe(username);
}

/** The viewer's posts, newest first. */
async function myPosts(user: TestUser) {
  const data = await ok(server.url, InputTestMyPosts, {}, user.token);
  return data.me?.posts.edges.map((e) => e.node) ?? [];
}

describe('Input rules', () => {
  describe('email', () => {
    it.each([
      ['no @', 'plainaddress'],
      ['no domain dot', 'someone@example'],
      ['two @', 'two@@example.com'],
      ['a space', 'has space@example.com'],
      ['a double dot', 'a..b@example.com'],
      ['a display name', 'Name <name@example.com>'],
      ['empty', ''],
    ])('refuses an address with %s, storing nothing', async (_label, email) => {
      const username = `mail_${unique()}`;
      const result = await request(server.url, SignUp, {
        input: { email, username, password: PASSWORD },
      });
      expect(result.data).toBeNull();
      expectRefused(result, 'email');
      await expectUsernameFree(username);
    });

    it('refuses an address longer than 254 characters, storing nothing', async () => {
      const local = randomBytes(1_500).toString('hex'); // 3,000 characters that do not compress
      const email = `${local}@example.com`;
      const username = `long_${unique()}`;
      const result = await request(server.url, SignUp, {
        input: { email, username, password: PASSWORD },
      });
      expect(result.data).toBeNull();
      expectRefused(result, 'email');
      await expectUsernameFree(username);
    });

    it('accepts a valid address, keeping its case for its owner', async () => {
      const email = `Mixed.Case+tag_${unique()}@Example.COM`;
      const data = await ok(server.url, SignUp, {
        input: { email, username: `mixed_${unique()}`, password: PASSWORD },
      });
      expect(data.signUp.user.email).toBe(email);
    });

    it('refuses an address already registered in another case, storing nothing', async () => {
      const id = unique();
      await ok(server.url, SignUp, {
        input: { email: `Taken_${id}@Example.com`, username: `taken_${id}`, password: PASSWORD },
      });
      for (const email of [
        `taken_${id}@example.com`,
        `TAKEN_${id}@EXAMPLE.COM`,
        ` taken_${id}@example.com `,
      ]) {
        const username = `other_${unique()}`;
        const result = await request(server.url, SignUp, {
          input: { email, username, password: PASSWORD },
        });
        expect(result.data).toBeNull();
        expectRefused(result, 'email');
        await expectUsernameFree(username);
      }
    });
  });

  describe('username', () => {
    it.each([
      ['3 characters', 'abc'],
      ['30 characters', `${'a'.repeat(29)}_`],
      ['letters, digits and underscores', 'Az_09_zA'],
    ])('accepts %s', async (_label, username) => {
      const data = await ok(server.url, SignUp, {
        input: { email: `u_${unique()}@example.com`, username, password: PASSWORD },
      });
      expect(data.signUp.user.username).toBe(username);
    });

    it.each([
      ['too short (2)', 'ab'],
      ['too long (31)', 'a'.repeat(31)],
      ['a hyphen', 'has-hyphen'],
      ['a space', 'has space'],
      ['a dot', 'has.dot'],
      ['a non-ASCII letter', 'zoë_user'],
      ['a trailing newline', 'newline\n'],
      ['empty', ''],
    ])('refuses a username that is %s, storing nothing', async (_label, username) => {
      const email = `name_${unique()}@example.com`;
      const result = await request(server.url, SignUp, {
        input: { email, username, password: PASSWORD },
      });
      expect(result.data).toBeNull();
      expectRefused(result, 'username');
      await expectEmailFree(email);
    });

    it('refuses a username already taken in another case, storing nothing', async () => {
      const id = unique();
      await ok(server.url, SignUp, {
        input: { email: `first_${id}@example.com`, username: `Dup_${id}`, password: PASSWORD },
      });
      const email = `second_${id}@example.com`;
      const result = await request(server.url, SignUp, {
        input: { email, username: `dUP_${id.toUpperCase()}`, password: PASSWORD },
      });
      expect(result.data).toBeNull();
      expectRefused(result, 'username');
      await expectEmailFree(email);
    });
  });

  describe('password', () => {
    it.each([
      ['7 characters', 'a'.repeat(7)],
      ['201 characters', 'a'.repeat(201)],
      ['empty', ''],
    ])('refuses a password of %s, storing nothing', async (_label, password) => {
      const email = `pw_${unique()}@example.com`;
      const result = await request(server.url, SignUp, {
        input: { email, username: `pw_${unique()}`, password },
      });
      expect(result.data).toBeNull();
      expectRefused(result, 'password');
      await expectEmailFree(email);
    });

    it.each([
      ['8 characters', 'p'.repeat(8)],
      ['200 characters', 'p'.repeat(200)],
    ])('accepts a password of %s, and logIn takes it', async (_label, password) => {
      const email = `pwok_${unique()}@example.com`;
      const data = await ok(server.url, SignUp, {
        input: { email, username: `pwok_${unique()}`, password },
      });
      const login = await ok(server.url, LogIn, { input: { email, password } });
      expect(login.logIn.user.id).toBe(data.signUp.user.id);
    });
  });

  describe('post title and body', () => {
    let author: TestUser;
    beforeAll(async () => {
      author = await signUp(server.url, 'titles');
    });

    it.each([
      ['empty', ''],
      ['only whitespace', ' \t\n  '],
      ['201 characters', 't'.repeat(201)],
      ['201 characters after trimming', `  ${'t'.repeat(201)}  `],
    ])('refuses a title that is %s, storing nothing', async (_label, title) => {
      const before = await myPosts(author);
      const result = await request(
        server.url,
        CreatePost,
        { input: { title, body: 'Body' } },
        author.token,
      );
      expect(result.data).toBeNull();
      expectRefused(result, 'title');
      expect(await myPosts(author)).toEqual(before);
    });

    it('accepts a title of 200 characters, and of 200 after trimming (stored trimmed)', async () => {
      const exact = `${'T'.repeat(199)}x`;
      const created = await ok(
        server.url,
        CreatePost,
        { input: { title: exact, body: '' } },
        author.token,
      );
      expect(created.createPost.title).toBe(exact);

      const padded = `   ${'P'.repeat(200)}\n\t`;
      const trimmed = await ok(
        server.url,
        CreatePost,
        { input: { title: padded, body: '' } },
        author.token,
      );
      expect(trimmed.createPost.title).toBe('P'.repeat(200));
      const titles = (await myPosts(author)).map((p) => p.title);
      expect(titles).toEqual(expect.arrayContaining([exact, 'P'.repeat(200)]));
    });

    it('counts characters as people do: 200 emoji fit, 201 do not', async () => {
      const emoji = '\u{1F600}';
      const fits = await ok(
        server.url,
        CreatePost,
        { input: { title: emoji.repeat(200), body: '' } },
        author.token,
      );
      expect(Array.from(fits.createPost.title)).toHaveLength(200);
      const tooLong = await request(
        server.url,
        CreatePost,
        { input: { title: emoji.repeat(201), body: '' } },
        author.token,
      );
      expectRefused(tooLong, 'title');
    });

    it('refuses a body over 20,000 characters, storing nothing; accepts 20,000 and empty', async () => {
      const before = await myPosts(author);
      const result = await request(
        server.url,
        CreatePost,
        { input: { title: 'Too long a body', body: 'b'.repeat(20_001) } },
        author.token,
      );
      expect(result.data).toBeNull();
      expectRefused(result, 'body');
      expect(await myPosts(author)).toEqual(before);

      const longest = await ok(
        server.url,
        CreatePost,
        { input: { title: 'Longest body', body: 'b'.repeat(20_000) } },
        author.token,
      );
      expect(longest.createPost.body).toHaveLength(20_000);
      const empty = await ok(
        server.url,
        CreatePost,
        { input: { title: 'Empty body', body: '' } },
        author.token,
      );
      expect(empty.createPost.body).toBe('');
    });

    it.each([
      ['title', 'only whitespace', { title: '   ' }],
      ['title', '201 characters', { title: 'u'.repeat(201) }],
      ['body', '20,001 characters', { body: 'b'.repeat(20_001) }],
    ] as const)(
      'updatePost refuses a %s of %s, leaving the post unchanged',
      async (field, _label, change) => {
        const post = await createPost(server.url, author, 'Unchanged title');
        const result = await request(
          server.url,
          InputTestUpdatePost,
          { input: { id: post.id, ...change } },
          author.token,
        );
        expect(result.data).toBeNull();
        expectRefused(result, field);
        const after = await ok(server.url, InputTestPostComments, { id: post.id });
        expect(after.post).toMatchObject({ title: 'Unchanged title', body: 'Body' });
      },
    );
  });

  describe('comment text', () => {
    let author: TestUser;
    let commenter: TestUser;
    let postId: string;
    beforeAll(async () => {
      author = await signUp(server.url, 'ctext');
      commenter = await signUp(server.url, 'ctexter');
      postId = (await createPost(server.url, author, 'Comment rules')).id;
    });

    const commentsOnPost = async () => {
      const data = await ok(server.url, InputTestPostComments, { id: postId, first: 100 });
      return {
        count: data.post?.commentCount,
        texts: data.post?.comments.edges.map((e) => e.node.text),
      };
    };

    it.each([
      ['empty', ''],
      ['only whitespace', ' \n\t '],
      ['5,001 characters', 'c'.repeat(5_001)],
      ['5,001 characters after trimming', `  ${'c'.repeat(5_001)}  `],
    ])('refuses comment text that is %s, storing nothing', async (_label, text) => {
      const before = await commentsOnPost();
      const result = await request(
        server.url,
        CreateComment,
        { input: { postId, text } },
        commenter.token,
      );
      expect(result.data).toBeNull();
      expectRefused(result, 'text');
      expect(await commentsOnPost()).toEqual(before);
    });

    it('accepts comment text of 5,000 characters, and of 5,000 after trimming (stored trimmed)', async () => {
      const exact = await comment(server.url, commenter, postId, 'c'.repeat(5_000));
      expect(exact.text).toHaveLength(5_000);
      const padded = await comment(server.url, commenter, postId, `\n  ${'d'.repeat(5_000)}  `);
      expect(padded.text).toBe('d'.repeat(5_000));
    });
  });

  describe('`first`', () => {
    let owner: TestUser;
    let fan: TestUser;
    let postId: string;
    beforeAll(async () => {
      // 21 posts by one author, and 21 comments by someone else on one of them:
      // 21 comment notifications for the author. Every connection has more than 20.
      owner = await signUp(server.url, 'pager');
      fan = await signUp(server.url, 'pagefan');
      for (let i = 1; i <= 21; i += 1)
        postId = (await createPost(server.url, owner, `Page post ${i}`)).id;
      for (let i = 1; i <= 21; i += 1)
        await comment(server.url, fan, postId, `Comment number ${i}`);
    });

    /** Each connection, queried with `first`/`after`; returns the result and its connection. */
    const connections = {
      posts: async (vars: { first?: number; after?: string }) => {
        const result = await request(server.url, InputTestPosts, vars);
        return { result, connection: result.data?.posts };
      },
      notifications: async (vars: { first?: number; after?: string }) => {
        const result = await request(server.url, Notifications, vars, owner.token);
        return { result, connection: result.data?.notifications };
      },
      'User.posts': async (vars: { first?: number; after?: string }) => {
        const result = await request(server.url, InputTestUserPosts, { id: owner.id, ...vars });
        return { result, connection: result.data?.user?.posts };
      },
      'Post.comments': async (vars: { first?: number; after?: string }) => {
        const result = await request(server.url, InputTestPostComments, { id: postId, ...vars });
        return { result, connection: result.data?.post?.comments };
      },
    };
    const names = Object.keys(connections) as Array<keyof typeof connections>;

    it.each(names)('%s: returns 20 items by default, with hasNextPage', async (name) => {
      const { result, connection } = await connections[name]({});
      expect(result.errors).toBeUndefined();
      expect(connection?.edges).toHaveLength(20);
      expect(connection?.pageInfo.hasNextPage).toBe(true);
    });

    it.each(names)('%s: accepts first 1 and first 100', async (name) => {
      const one = await connections[name]({ first: 1 });
      expect(one.result.errors).toBeUndefined();
      expect(one.connection?.edges).toHaveLength(1);
      const hundred = await connections[name]({ first: 100 });
      expect(hundred.result.errors).toBeUndefined();
      expect(hundred.connection?.edges.length).toBeGreaterThanOrEqual(21);
    });

    it.each(names.flatMap((name) => [0, 101].map((first) => [name, first] as const)))(
      '%s: refuses first %i with BAD_USER_INPUT naming "first"',
      async (name, first) => {
        const { result } = await connections[name]({ first });
        expectRefused(result, 'first');
      },
    );

    it.each(names)('%s: refuses first -1 with BAD_USER_INPUT naming "first"', async (name) => {
      const { result } = await connections[name]({ first: -1 });
      expectRefused(result, 'first');
    });
  });

  describe('cursors', () => {
    let owner: TestUser;
    beforeAll(async () => {
      owner = await signUp(server.url, 'cursor');
      for (let i = 1; i <= 3; i += 1) await createPost(server.url, owner, `Cursor post ${i}`);
    });

    it('a cursor from one page gives the next page, without overlap', async () => {
      const first = await ok(server.url, InputTestPosts, { first: 2 });
      const after = first.posts.pageInfo.endCursor;
      expect(after).toEqual(expect.any(String));
      const second = await ok(server.url, InputTestPosts, { first: 2, after });
      const firstIds = first.posts.edges.map((e) => e.node.id);
      const secondIds = second.posts.edges.map((e) => e.node.id);
      expect(secondIds).toHaveLength(2);
      expect(secondIds.filter((id) => firstIds.includes(id))).toEqual([]);
    });

    it('refuses a cursor that decodes to a string id, naming "after"', async () => {
      const result = await request(server.url, InputTestPosts, { after: base64('GPC:S:abc') });
      expectRefused(result, 'after');
    });

    it.each([
      ['posts', () => request(server.url, InputTestPosts, { after: 'nope' })],
      ['notifications', () => request(server.url, Notifications, { after: 'nope' }, owner.token)],
      [
        'User.posts',
        () => request(server.url, InputTestUserPosts, { id: owner.id, after: 'nope' }),
      ],
    ] as const)(
      '%s: refuses a malformed cursor with BAD_USER_INPUT naming "after"',
      async (_name, run) => {
        expectRefused(await run(), 'after');
      },
    );

    it.each([
      ['a non-numeric id (NaN)', 'GPC:N:abc'],
      ['an id beyond int4', 'GPC:N:99999999999'],
      ['a negative id', 'GPC:N:-5'],
      ['a fractional id', 'GPC:N:1.5'],
    ])('refuses a cursor with %s, naming "after"', async (_label, raw) => {
      const result = await request(server.url, InputTestPosts, { after: base64(raw) });
      expectRefused(result, 'after');
    });
  });

  describe('ids', () => {
    it.each([
      ['not base64 at all', 'nope'],
      ['the wrong type (a User id)', base64('User:1')],
      ['a non-numeric id', base64('Post:abc')],
    ])('post(id:) refuses an id that is %s with BAD_USER_INPUT naming "id"', async (_label, id) => {
      const result = await request(server.url, InputTestPostComments, { id });
      expectRefused(result, 'id');
      expect(result.data?.post ?? null).toBeNull();
    });

    it('user(id:) refuses a malformed id naming "id"', async () => {
      expectRefused(await request(server.url, InputTestUser, { id: 'nope' }), 'id');
    });

    it('mutations refuse malformed ids naming the argument, storing nothing', async () => {
      const user = await signUp(server.url, 'ids');
      const commented = await request(
        server.url,
        CreateComment,
        { input: { postId: 'nope', text: 'Hello' } },
        user.token,
      );
      expectRefused(commented, 'postId');
      expectRefused(await request(server.url, InputTestMarkRead, { id: 'nope' }, user.token), 'id');
      expectRefused(
        await request(server.url, InputTestFollow, { userId: 'nope' }, user.token),
        'userId',
      );
      expectRefused(
        await request(
          server.url,
          InputTestUpdatePost,
          { input: { id: 'nope', title: 'x' } },
          user.token,
        ),
        'id',
      );
    });
  });
});
