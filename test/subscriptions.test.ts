// The live side of the contract, over every transport a client may use: graphql-ws,
// graphql-sse, and a hand-written Server-Sent Events reader (as a plain SSE client
// would speak it). `since` resume, no gap under concurrency, the same fields as a
// query, the unread count stream, and per-viewer isolation.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './generated/gql.js';
import type {
  NotificationAddedSubscription,
  NotificationFieldsFragment,
  UnreadCountChangedSubscription,
} from './generated/graphql.js';
import { connectWs, ok, type Result, subscribeSse } from './helpers/clients.js';
import {
  NotificationAdded,
  Notifications,
  UnreadCount,
  UnreadCountChanged,
} from './helpers/operations.js';
import { Queue } from './helpers/queue.js';
import { startServer, type TestServer } from './helpers/server.js';
import {
  comment,
  createPost,
  follow,
  seedNotification,
  signUp,
  type TestUser,
} from './helpers/users.js';

const SubsTestMarkRead = graphql(/* GraphQL */ `
  mutation SubsTestMarkRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
      read
    }
  }
`);

const SubsTestMarkAllRead = graphql(/* GraphQL */ `
  mutation SubsTestMarkAllRead {
    markAllNotificationsRead
  }
`);

let server: TestServer;
const open: Live<unknown>[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const live of open) await live.close();
  await server?.stop();
});

// ---------------------------------------------------------------------------
// Transports: each opens one subscription and can close it (the client going away).

type Live<T> = { results: Queue<Result<T>>; close(): Promise<void> };
type Opener = <T, V>(document: TypedDocumentNode<T, V>, variables: V, token: string) => Live<T>;

const overWs: Opener = (document, variables, token) => {
  const connection = connectWs(server.wsUrl, token);
  const subscription = connection.subscribe(document, variables);
  return {
    results: subscription.results,
    close: async () => {
      subscription.stop();
      await connection.dispose();
    },
  };
};

const overGraphqlSse: Opener = (document, variables, token) => {
  const subscription = subscribeSse(server.url, document, variables, token);
  return {
    results: subscription.results,
    close: async () => {
      subscription.stop();
      subscription.dispose();
    },
  };
};

/**
 * A plain SSE client: one POST with `Accept: text/event-stream`, reading the
 * `event:` / `data:` fields of each event block itself.
 */
const overRawSse: Opener = <T, V>(
  document: TypedDocumentNode<T, V>,
  variables: V,
  token: string,
) => {
  const results = new Queue<Result<T>>();
  const abort = new AbortController();
  const fail = (message: string) => results.push({ errors: [{ message }] } as never);

  const dispatch = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue; // comments are keep-alives
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (event === 'next') results.push(JSON.parse(data.join('\n')) as Result<T>);
    else if (event === 'complete') fail('the server completed the stream');
  };

  const reading = (async () => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ query: print(document), variables }),
      signal: abort.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || !type.startsWith('text/event-stream') || !response.body) {
      fail(`not an event stream: ${response.status} ${type} ${await response.text()}`);
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  })().catch((error: unknown) => {
    if (!abort.signal.aborted) fail(String(error));
  });

  return {
    results,
    close: async () => {
      abort.abort();
      await reading;
    },
  };
};

const transports: Array<{ name: string; subscribe: Opener }> = [
  { name: 'graphql-ws', subscribe: overWs },
  { name: 'graphql-sse', subscribe: overGraphqlSse },
  { name: 'raw text/event-stream', subscribe: overRawSse },
];

// ---------------------------------------------------------------------------
// Small helpers over the notifications query and the subscription results.

async function nextNotification(live: Live<NotificationAddedSubscription>, what: string) {
  const result = await live.results.next(what, 10_000);
  if (result.errors?.length || !result.data) {
    throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
  }
  return result.data.notificationAdded;
}

async function take(live: Live<NotificationAddedSubscription>, count: number, what: string) {
  const received: NotificationFieldsFragment[] = [];
  for (let i = 0; i < count; i++) received.push(await nextNotification(live, `${what} #${i + 1}`));
  return received;
}

async function nextCount(live: Live<UnreadCountChangedSubscription>, what: string) {
  const result = await live.results.next(what, 10_000);
  if (result.errors?.length || !result.data) {
    throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
  }
  return result.data.unreadNotificationCountChanged;
}

/** The viewer's newest `first` notifications, as the query returns them (newest first). */
async function queried(user: TestUser, first: number) {
  const data = await ok(server.url, Notifications, { first }, user.token);
  return data.notifications.edges.map((edge) => edge.node);
}

/** All of the viewer's notifications, newest first, page by page. */
async function allNotifications(user: TestUser) {
  const nodes: NotificationFieldsFragment[] = [];
  let after: string | undefined;
  for (;;) {
    const { notifications } = await ok(
      server.url,
      Notifications,
      { first: 100, ...(after ? { after } : {}) },
      user.token,
    );
    nodes.push(...notifications.edges.map((edge) => edge.node));
    if (!notifications.pageInfo.hasNextPage || !notifications.pageInfo.endCursor) return nodes;
    after = notifications.pageInfo.endCursor;
  }
}

const commentIds = (list: readonly NotificationFieldsFragment[]) => list.map((n) => n.comment?.id);
const ids = (list: readonly { id: string }[]) => list.map((n) => n.id);

// ---------------------------------------------------------------------------

describe.each(transports)('notificationAdded over $name', ({ subscribe }) => {
  const watch = (user: TestUser, since: string) => {
    const live = subscribe(NotificationAdded, { since }, user.token);
    open.push(live as Live<unknown>);
    return live;
  };

  it('resumes with `since` after a disconnect: the missed ones oldest first, then live, no duplicates', async () => {
    const viewer = await signUp(server.url, 'resumer');
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, viewer, 'Resume me please');
    const seed = await seedNotification(server.url, viewer);

    const first = watch(viewer, seed);
    const made: string[] = [];
    for (const n of [1, 2, 3])
      made.push((await comment(server.url, commenter, post.id, `n${n}`)).id);
    const live = await take(first, 3, 'live 1..3');
    expect(commentIds(live)).toEqual(made);
    await first.close();

    for (const n of [4, 5, 6, 7, 8]) {
      made.push((await comment(server.url, commenter, post.id, `n${n}`)).id);
    }
    const third = live[2];
    if (!third) throw new Error('no third notification');

    const second = watch(viewer, third.id);
    const missed = await take(second, 5, 'missed 4..8');
    expect(commentIds(missed)).toEqual(made.slice(3, 8));
    expect(missed.map((n) => n.peek)).toEqual(['n4...', 'n5...', 'n6...', 'n7...', 'n8...']);

    made.push((await comment(server.url, commenter, post.id, 'n9')).id);
    const ninth = await nextNotification(second, 'live 9');
    expect(ninth.comment?.id).toBe(made[8]);

    // Nothing was repeated: the next delivery is the next notification, and nothing waits.
    made.push((await comment(server.url, commenter, post.id, 'n10')).id);
    const tenth = await nextNotification(second, 'live 10');
    expect(tenth.comment?.id).toBe(made[9]);
    expect(second.results.pending()).toHaveLength(0);

    // Oldest first is also the query's order reversed, over everything after the seed.
    const all = await queried(viewer, 20);
    expect(ids([...live, ...missed, ninth, tenth])).toEqual(ids(all.slice(0, 10).reverse()));
  });

  it('misses none and repeats none while 30 comments are created concurrently', async () => {
    const viewer = await signUp(server.url, 'busy');
    const commenters = await Promise.all([1, 2, 3].map(() => signUp(server.url, 'crowd')));
    const posts = await Promise.all([1, 2].map((n) => createPost(server.url, viewer, `Post ${n}`)));
    const seed = await seedNotification(server.url, viewer);

    const live = watch(viewer, seed);
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const who = commenters[i % commenters.length] as TestUser;
        const post = posts[i % posts.length] as { id: string };
        return comment(server.url, who, post.id, `burst ${i}`);
      }),
    );
    const received = await take(live, 30, 'burst notification');

    const stored = (await queried(viewer, 31)).slice(0, 30).reverse(); // oldest first
    expect(ids(received)).toEqual(ids(stored));
    expect(new Set(ids(received)).size).toBe(30);
    expect(new Set(commentIds(received))).toEqual(new Set(created.map((c) => c.id)));

    // And the stream goes on afterwards with the next one, not a leftover.
    const [someone, somePost] = [commenters[0] as TestUser, posts[0] as { id: string }];
    const after = await comment(server.url, someone, somePost.id, 'after');
    expect((await nextNotification(live, 'after the burst')).comment?.id).toBe(after.id);
    expect(live.results.pending()).toHaveLength(0);
  });

  it('numbers every follower in commit order while posts with common followers are created concurrently', async () => {
    // Each post raises the counters of the same followers: taken in the same order
    // by every statement, so none deadlocks, and each follower's numbers stay 1, 2, 3….
    const authors = await Promise.all([1, 2, 3].map(() => signUp(server.url, 'author')));
    const followers = await Promise.all([1, 2, 3, 4].map(() => signUp(server.url, 'fan')));
    for (const fan of followers)
      for (const author of authors) await follow(server.url, fan, author);
    const seeds = await Promise.all(followers.map((fan) => seedNotification(server.url, fan)));
    const lives = followers.map((fan, i) => watch(fan, seeds[i] as string));

    const posts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createPost(server.url, authors[i % authors.length] as TestUser, `Together ${i}`),
      ),
    );

    for (const [i, fan] of followers.entries()) {
      const live = lives[i] as Live<NotificationAddedSubscription>;
      const received = await take(live, 12, `fan ${i + 1}'s post notification`);
      const stored = (await queried(fan, 13)).slice(0, 12).reverse(); // oldest first
      expect(ids(received)).toEqual(ids(stored));
      expect(new Set(received.map((n) => n.post?.id))).toEqual(new Set(posts.map((p) => p.id)));
      expect(live.results.pending()).toHaveLength(0);
    }
  });

  it('delivers each notification with the same fields as the notifications query', async () => {
    const viewer = await signUp(server.url, 'fields');
    const author = await signUp(server.url, 'followed');
    const commenter = await signUp(server.url, 'commenter');
    await follow(server.url, viewer, author);
    const post = await createPost(server.url, viewer, 'Something to comment on');
    const seed = await seedNotification(server.url, viewer);

    const live = watch(viewer, seed);
    await comment(server.url, commenter, post.id, 'A thoughtful reply with length');
    await createPost(server.url, author, 'Followed author writes');
    const delivered = await take(live, 2, 'comment and new post notifications');
    expect(delivered.map((n) => n.kind)).toEqual(['COMMENT_ON_POST', 'NEW_POST_BY_FOLLOWED']);

    const byId = new Map((await queried(viewer, 10)).map((node) => [node.id, node]));
    for (const notification of delivered) {
      expect(byId.get(notification.id)).toBeDefined();
      expect(notification).toEqual(byId.get(notification.id));
    }
  });

  it('isolates viewers: each of two subscribers gets all of their own and nothing else', async () => {
    const [alice, bob, carol] = await Promise.all(
      ['alice', 'bob', 'carol'].map((p) => signUp(server.url, p)),
    );
    if (!alice || !bob || !carol) throw new Error('sign-up failed');
    await follow(server.url, alice, carol); // carol's posts notify alice only
    const [alicePost, bobPost] = await Promise.all([
      createPost(server.url, alice, 'Alice writes'),
      createPost(server.url, bob, 'Bob writes'),
    ]);
    const [aliceSeed, bobSeed] = [
      await seedNotification(server.url, alice),
      await seedNotification(server.url, bob),
    ];

    const aliceLive = watch(alice, aliceSeed);
    const bobLive = watch(bob, bobSeed);
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) =>
        comment(server.url, carol, alicePost.id, `to a ${i}`),
      ),
      ...Array.from({ length: 12 }, (_, i) => comment(server.url, carol, bobPost.id, `to b ${i}`)),
      ...Array.from({ length: 4 }, (_, i) => createPost(server.url, carol, `Carol ${i}`)),
    ]);
    // A final marker each: were anything foreign delivered, it would show up before it.
    await comment(server.url, carol, alicePost.id, 'alice marker');
    await comment(server.url, carol, bobPost.id, 'bob marker');

    const aliceGot = await take(aliceLive, 17, 'alice notification');
    const bobGot = await take(bobLive, 13, 'bob notification');
    expect(aliceGot.at(-1)?.peek).toBe('alice mark...');
    expect(bobGot.at(-1)?.peek).toBe('bob marker...');
    expect(aliceLive.results.pending()).toHaveLength(0);
    expect(bobLive.results.pending()).toHaveLength(0);

    expect(ids(aliceGot)).toEqual(ids((await queried(alice, 17)).reverse()));
    expect(ids(bobGot)).toEqual(ids((await queried(bob, 13)).reverse()));
    const about = (list: NotificationFieldsFragment[]) => new Set(list.map((n) => n.post?.id));
    const aliceComments = aliceGot.filter((n) => n.kind === 'COMMENT_ON_POST');
    expect(about(aliceComments)).toEqual(new Set([alicePost.id]));
    expect(about(bobGot)).toEqual(new Set([bobPost.id]));
    expect(aliceGot.filter((n) => n.kind === 'NEW_POST_BY_FOLLOWED')).toHaveLength(4);
  });
});

describe.each(transports)('unreadNotificationCountChanged over $name', ({ subscribe }) => {
  it('sends the count on subscribe, then on arrival, on one read and on all read', async () => {
    const viewer = await signUp(server.url, 'counter');
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, viewer, 'Count my comments');
    await comment(server.url, commenter, post.id, 'one');
    await comment(server.url, commenter, post.id, 'two');

    const live = subscribe(UnreadCountChanged, {}, viewer.token);
    open.push(live as Live<unknown>);
    // Once the first count has arrived the stream is listening: each step below is observed.
    expect(await nextCount(live, 'count on subscribe')).toBe(2);

    await comment(server.url, commenter, post.id, 'three');
    expect(await nextCount(live, 'count after a new notification')).toBe(3);

    const [newest] = await queried(viewer, 1);
    if (!newest) throw new Error('no notification');
    await ok(server.url, SubsTestMarkRead, { id: newest.id }, viewer.token);
    expect(await nextCount(live, 'count after marking one read')).toBe(2);

    // Marking it again changes nothing, so the next count sent is the one after "all read".
    await ok(server.url, SubsTestMarkRead, { id: newest.id }, viewer.token);
    const { markAllNotificationsRead } = await ok(
      server.url,
      SubsTestMarkAllRead,
      {},
      viewer.token,
    );
    expect(markAllNotificationsRead).toBe(2);
    expect(await nextCount(live, 'count after marking all read')).toBe(0);

    await comment(server.url, commenter, post.id, 'four');
    expect(await nextCount(live, 'count after another notification')).toBe(1);
    expect(live.results.pending()).toHaveLength(0);

    const { unreadNotificationCount } = await ok(server.url, UnreadCount, {}, viewer.token);
    expect(unreadNotificationCount).toBe(1);
  });

  it("is not moved by another viewer's notifications or reads", async () => {
    const viewer = await signUp(server.url, 'quiet');
    const other = await signUp(server.url, 'noisy');
    const commenter = await signUp(server.url, 'commenter');
    const [viewerPost, otherPost] = await Promise.all([
      createPost(server.url, viewer, 'Viewer post'),
      createPost(server.url, other, 'Other post'),
    ]);

    const live = subscribe(UnreadCountChanged, {}, viewer.token);
    open.push(live as Live<unknown>);
    expect(await nextCount(live, 'count on subscribe')).toBe(0);

    await comment(server.url, commenter, otherPost.id, 'not for the viewer');
    await ok(server.url, SubsTestMarkAllRead, {}, other.token);
    await comment(server.url, commenter, viewerPost.id, 'for the viewer');
    expect(await nextCount(live, "the viewer's own change")).toBe(1);
    expect(live.results.pending()).toHaveLength(0);
  });
});

describe('notificationAdded without since', () => {
  it('delivers only notifications created after subscribing, even while others are being written', async () => {
    const viewer = await signUp(server.url, 'fresh');
    const commenter = await signUp(server.url, 'writer');
    const post = await createPost(server.url, viewer, 'Busy post');
    for (const n of [1, 2, 3]) await comment(server.url, commenter, post.id, `old ${n}`);

    // 30 writers keep notifications coming while the subscription is being set up.
    let writing = true;
    let made = 0;
    let warm: () => void = () => {};
    const warmedUp = new Promise<void>((resolve) => {
      warm = resolve;
    });
    const writers = Array.from({ length: 30 }, async (_, w) => {
      for (let i = 0; writing && i < 100; i++) {
        await comment(server.url, commenter, post.id, `new ${w}.${i}`);
        if (++made === 40) warm();
      }
      warm();
    });
    try {
      await warmedUp;
      const [newestBefore] = await queried(viewer, 1);
      if (!newestBefore) throw new Error('no notification yet');
      const live = overWs(NotificationAdded, {}, viewer.token);
      open.push(live as Live<unknown>);
      const received = [await nextNotification(live, 'first live notification')];
      writing = false;
      await Promise.all(writers);
      const marker = await comment(server.url, commenter, post.id, 'marker');
      while (received.at(-1)?.comment?.id !== marker.id) {
        received.push(await nextNotification(live, 'up to the marker'));
      }

      const all = await allNotifications(viewer); // newest first
      const age = new Map(all.map((n, i) => [n.id, i]));
      const before = age.get(newestBefore.id) ?? -1;
      // Nothing that was already there when the subscription was asked for...
      const stale = received.filter((n) => (age.get(n.id) ?? -1) >= before);
      expect(stale.map((n) => n.peek)).toEqual([]);
      // ...and from the first delivered on, every later one, oldest first: no gap.
      expect(ids(received)).toEqual(ids(all.slice(0, received.length).reverse()));
    } finally {
      writing = false;
      await Promise.all(writers);
    }
  });
});
