// Read state and lifetime of notifications: the unread count, unreadOnly, marking
// one or all read (only ever the viewer's own), paging newest first, and what a
// notification shows once its post or comment is deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { ok, request } from './helpers/clients.js';
import { Notifications, UnreadCount } from './helpers/operations.js';
import { startServer, type TestServer } from './helpers/server.js';
import { comment, createPost, follow, signUp, type TestUser } from './helpers/users.js';

const ReadStateMarkRead = graphql(/* GraphQL */ `
  mutation ReadStateMarkRead($id: ID!) {
    markNotificationRead(id: $id) {
      ...NotificationFields
    }
  }
`);

const ReadStateMarkAllRead = graphql(/* GraphQL */ `
  mutation ReadStateMarkAllRead {
    markAllNotificationsRead
  }
`);

const ReadStateDeletePost = graphql(/* GraphQL */ `
  mutation ReadStateDeletePost($id: ID!) {
    deletePost(id: $id)
  }
`);

const ReadStateDeleteComment = graphql(/* GraphQL */ `
  mutation ReadStateDeleteComment($id: ID!) {
    deleteComment(id: $id)
  }
`);

const ReadStatePost = graphql(/* GraphQL */ `
  query ReadStatePost($id: ID!) {
    post(id: $id) {
      id
      commentCount
      comments(first: 100) {
        edges {
          node {
            id
          }
        }
      }
    }
  }
`);

const ReadStateNode = graphql(/* GraphQL */ `
  query ReadStateNode($id: ID!) {
    node(id: $id) {
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

/** A post by `owner` with `count` comments from someone else: `count` notifications. */
async function withNotifications(owner: TestUser, count: number, prefix = 'c') {
  const commenter = await signUp(server.url, 'commenter');
  const post = await createPost(server.url, owner, 'A post to comment on');
  const comments = [];
  for (let i = 1; i <= count; i++) {
    comments.push(await comment(server.url, commenter, post.id, `${prefix}${i}`));
  }
  return { post, commenter, comments };
}

async function list(
  user: TestUser,
  variables: { first?: number; after?: string; unreadOnly?: boolean } = {},
) {
  const data = await ok(server.url, Notifications, { first: 100, ...variables }, user.token);
  return data.notifications;
}

/** The value, which the test's own set-up guarantees is there. */
function need<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing test fixture');
  return value;
}

const unread = async (user: TestUser) =>
  (await ok(server.url, UnreadCount, {}, user.token)).unreadNotificationCount;

describe('unread count and unreadOnly', () => {
  it('counts only unread notifications of the viewer', async () => {
    const viewer = await signUp(server.url, 'counted');
    const other = await signUp(server.url, 'other');
    expect(await unread(viewer)).toBe(0);
    await withNotifications(viewer, 3);
    await withNotifications(other, 2);
    expect(await unread(viewer)).toBe(3);
    expect(await unread(other)).toBe(2);
  });

  it('is UNAUTHENTICATED when anonymous', async () => {
    const result = await request(server.url, UnreadCount, {});
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists only unread notifications with unreadOnly: true, newest first', async () => {
    const viewer = await signUp(server.url, 'filter');
    await withNotifications(viewer, 4);
    const all = (await list(viewer)).edges.map((e) => e.node);
    expect(all.map((n) => n.peek)).toEqual(['c4...', 'c3...', 'c2...', 'c1...']);
    const [c4, c3, c2, c1] = all;
    await ok(server.url, ReadStateMarkRead, { id: need(c3).id }, viewer.token);
    await ok(server.url, ReadStateMarkRead, { id: need(c1).id }, viewer.token);

    const onlyUnread = (await list(viewer, { unreadOnly: true })).edges.map((e) => e.node);
    expect(onlyUnread.map((n) => n.id)).toEqual([need(c4).id, need(c2).id]);
    expect(onlyUnread.every((n) => !n.read)).toBe(true);
    // unreadOnly: false (or absent) still lists everything, read state shown.
    const everything = (await list(viewer, { unreadOnly: false })).edges.map((e) => e.node);
    expect(everything.map((n) => [n.id, n.read])).toEqual([
      [need(c4).id, false],
      [need(c3).id, true],
      [need(c2).id, false],
      [need(c1).id, true],
    ]);
    expect(await unread(viewer)).toBe(2);
  });
});

describe('markNotificationRead', () => {
  it('returns the notification with read: true and lowers the count', async () => {
    const viewer = await signUp(server.url, 'reader');
    await withNotifications(viewer, 2);
    const [newest] = (await list(viewer)).edges.map((e) => e.node);
    const marked = await ok(server.url, ReadStateMarkRead, { id: need(newest).id }, viewer.token);
    expect(marked.markNotificationRead).toEqual({ ...newest, read: true });
    expect(await unread(viewer)).toBe(1);
  });

  it('is idempotent: marking again still returns read: true and changes nothing', async () => {
    const viewer = await signUp(server.url, 'twice');
    await withNotifications(viewer, 2);
    const [newest] = (await list(viewer)).edges.map((e) => e.node);
    await ok(server.url, ReadStateMarkRead, { id: need(newest).id }, viewer.token);
    const again = await ok(server.url, ReadStateMarkRead, { id: need(newest).id }, viewer.token);
    expect(again.markNotificationRead).toMatchObject({ id: need(newest).id, read: true });
    expect(await unread(viewer)).toBe(1);
  });

  it("answers NOT_FOUND for another user's notification and leaves it unread", async () => {
    const owner = await signUp(server.url, 'owner');
    const intruder = await signUp(server.url, 'intruder');
    await withNotifications(owner, 1);
    await withNotifications(intruder, 1); // the intruder has notifications of their own
    const [theirs] = (await list(owner)).edges.map((e) => e.node);

    const result = await request(
      server.url,
      ReadStateMarkRead,
      { id: need(theirs).id },
      intruder.token,
    );
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const [after] = (await list(owner)).edges.map((e) => e.node);
    expect(after).toEqual({ ...theirs, read: false });
    expect(await unread(owner)).toBe(1);
    expect(await unread(intruder)).toBe(1);
  });

  it('is UNAUTHENTICATED when anonymous', async () => {
    const viewer = await signUp(server.url, 'anon_target');
    await withNotifications(viewer, 1);
    const [mine] = (await list(viewer)).edges.map((e) => e.node);
    const result = await request(server.url, ReadStateMarkRead, { id: need(mine).id });
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await unread(viewer)).toBe(1);
  });
});

describe('markAllNotificationsRead', () => {
  it("returns how many changed and touches only the viewer's notifications", async () => {
    const viewer = await signUp(server.url, 'all_reader');
    const other = await signUp(server.url, 'bystander');
    await withNotifications(viewer, 4);
    await withNotifications(other, 3);
    const [newest] = (await list(viewer)).edges.map((e) => e.node);
    await ok(server.url, ReadStateMarkRead, { id: need(newest).id }, viewer.token);

    const first = await ok(server.url, ReadStateMarkAllRead, {}, viewer.token);
    expect(first.markAllNotificationsRead).toBe(3);
    expect(await unread(viewer)).toBe(0);
    expect((await list(viewer)).edges.every((e) => e.node.read)).toBe(true);
    expect((await list(viewer, { unreadOnly: true })).edges).toHaveLength(0);

    // The other user's notifications are untouched.
    expect(await unread(other)).toBe(3);
    expect((await list(other)).edges.every((e) => !e.node.read)).toBe(true);

    const second = await ok(server.url, ReadStateMarkAllRead, {}, viewer.token);
    expect(second.markAllNotificationsRead).toBe(0);
  });

  it('leaves later notifications unread', async () => {
    const viewer = await signUp(server.url, 'later');
    const { post, commenter } = await withNotifications(viewer, 2);
    await ok(server.url, ReadStateMarkAllRead, {}, viewer.token);
    await comment(server.url, commenter, post.id, 'fresh one');
    expect(await unread(viewer)).toBe(1);
    const [newest] = (await list(viewer, { unreadOnly: true })).edges.map((e) => e.node);
    expect(newest?.peek).toBe('fresh one...');
  });
});

describe('paging notifications', () => {
  it('pages newest first with first/after, without overlap or gap', async () => {
    const viewer = await signUp(server.url, 'pager');
    await withNotifications(viewer, 7, 'p');
    const everything = (await list(viewer)).edges.map((e) => e.node.id);
    expect(everything).toHaveLength(7);

    const pages: string[][] = [];
    const more: boolean[] = [];
    let after: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await list(viewer, { first: 3, ...(after ? { after } : {}) });
      pages.push(page.edges.map((e) => e.node.id));
      more.push(page.pageInfo.hasNextPage);
      if (page.edges.length) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
      expect(after).toBeTruthy();
    }
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(more).toEqual([true, true, false]);
    expect(pages.flat()).toEqual(everything);
    expect(new Set(pages.flat()).size).toBe(7);

    const peeks = (await list(viewer)).edges.map((e) => e.node.peek);
    expect(peeks).toEqual(['p7...', 'p6...', 'p5...', 'p4...', 'p3...', 'p2...', 'p1...']);
  });

  it('pages unreadOnly the same way', async () => {
    const viewer = await signUp(server.url, 'unread_pager');
    await withNotifications(viewer, 5, 'u');
    const all = (await list(viewer)).edges.map((e) => e.node);
    await ok(server.url, ReadStateMarkRead, { id: need(all[1]).id }, viewer.token); // u4
    const first = await list(viewer, { first: 2, unreadOnly: true });
    const second = await list(viewer, {
      first: 2,
      unreadOnly: true,
      after: first.pageInfo.endCursor ?? undefined,
    });
    expect([...first.edges, ...second.edges].map((e) => e.node.peek)).toEqual([
      'u5...',
      'u3...',
      'u2...',
      'u1...',
    ]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });
});

describe('notifications outlive what they are about', () => {
  it('deleting a post deletes its comments; its notifications stay with post and comment null', async () => {
    const author = await signUp(server.url, 'deleter');
    const fan = await signUp(server.url, 'fan');
    await follow(server.url, fan, author);
    const { post, commenter, comments } = await withNotifications(author, 2, 'gone');
    const before = (await list(author)).edges.map((e) => e.node);
    const fanBefore = (await list(fan)).edges.map((e) => e.node);
    expect(before).toHaveLength(2);
    expect(fanBefore).toHaveLength(1);
    expect(fanBefore[0]?.post?.id).toBe(post.id);

    const deleted = await ok(server.url, ReadStateDeletePost, { id: post.id }, author.token);
    expect(deleted.deletePost).toBe(post.id);

    expect((await ok(server.url, ReadStatePost, { id: post.id })).post).toBeNull();
    // The comments went with it: their author can no longer find them to delete.
    for (const c of comments) {
      const result = await request(
        server.url,
        ReadStateDeleteComment,
        { id: c.id },
        commenter.token,
      );
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }

    const after = (await list(author)).edges.map((e) => e.node);
    expect(after).toEqual(before.map((n) => ({ ...n, post: null, comment: null })));
    expect(after.every((n) => n.actor.id === commenter.id)).toBe(true);
    const fanAfter = (await list(fan)).edges.map((e) => e.node);
    expect(fanAfter).toEqual(fanBefore.map((n) => ({ ...n, post: null, comment: null })));
    expect(await unread(author)).toBe(2);
  });

  it('deleting a comment leaves its notification with comment null and the post intact', async () => {
    const author = await signUp(server.url, 'kept');
    const { post, commenter, comments } = await withNotifications(author, 2, 'del');
    const [kept, removed] = comments;
    const deleted = await ok(
      server.url,
      ReadStateDeleteComment,
      { id: need(removed).id },
      commenter.token,
    );
    expect(deleted.deleteComment).toBe(need(removed).id);

    const postNow = (await ok(server.url, ReadStatePost, { id: post.id })).post;
    expect(postNow?.commentCount).toBe(1);
    expect(postNow?.comments.edges.map((e) => e.node.id)).toEqual([need(kept).id]);

    const [first, second] = (await list(author)).edges.map((e) => e.node);
    expect(first).toMatchObject({ peek: 'del2...', comment: null, post: { id: post.id } });
    expect(second).toMatchObject({
      peek: 'del1...',
      comment: { id: need(kept).id },
      post: { id: post.id },
    });
  });
});

describe("node(id) of what is gone or not the viewer's", () => {
  it('answers null for a deleted comment and a deleted post', async () => {
    const author = await signUp(server.url, 'nodes');
    const { post, commenter, comments } = await withNotifications(author, 1, 'n');
    const [only] = comments;
    await ok(server.url, ReadStateDeleteComment, { id: need(only).id }, commenter.token);
    await ok(server.url, ReadStateDeletePost, { id: post.id }, author.token);
    const gone = await request(server.url, ReadStateNode, { id: need(only).id });
    expect(gone.errors).toBeUndefined();
    expect(gone.data?.node).toBeNull();
    const postGone = await request(server.url, ReadStateNode, { id: post.id });
    expect(postGone.errors).toBeUndefined();
    expect(postGone.data?.node).toBeNull();
  });

  it("answers null for another user's notification, and finds the viewer's own", async () => {
    const owner = await signUp(server.url, 'node_owner');
    const other = await signUp(server.url, 'node_other');
    await withNotifications(owner, 1);
    const [theirs] = (await list(owner)).edges.map((e) => e.node);
    const own = await ok(server.url, ReadStateNode, { id: need(theirs).id }, owner.token);
    expect(own.node?.id).toBe(need(theirs).id);
    const foreign = await request(server.url, ReadStateNode, { id: need(theirs).id }, other.token);
    expect(foreign.errors).toBeUndefined();
    expect(foreign.data?.node).toBeNull();
  });
});
