// The contract's notification rules, observed through real clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs, ok, type WsConnection } from './helpers/clients.js';
import { NotificationAdded, Notifications } from './helpers/operations.js';
import { startServer, type TestServer } from './helpers/server.js';
import {
  comment,
  createPost,
  follow,
  seedNotification,
  signUp,
  type TestUser,
} from './helpers/users.js';

let server: TestServer;
const sockets: WsConnection[] = [];
const ws = (token?: string) => {
  const connection = connectWs(server.wsUrl, token);
  sockets.push(connection);
  return connection;
};

/** A live notificationAdded for `user`, certain to see everything from now on. */
const liveNotifications = async (user: TestUser) =>
  ws(user.token).subscribe(NotificationAdded, { since: await seedNotification(server.url, user) });

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await server?.stop();
});

describe('comment notifications', () => {
  it('pushes a comment notification only to the post author, with the contract texts', async () => {
    const author = await signUp(server.url, 'author');
    const commenter = await signUp(server.url, 'commenter');
    const bystander = await signUp(server.url, 'bystander');
    const authorSub = await liveNotifications(author);
    const bystanderSub = await liveNotifications(bystander);
    const post = await createPost(server.url, author, 'Hello world post');
    const bystanderPost = await createPost(server.url, bystander, 'Bystander post');

    const created = await comment(server.url, commenter, post.id, '  Nice post, really!  ');
    const { data } = await authorSub.results.next('author notification');
    expect(data?.notificationAdded).toMatchObject({
      kind: 'COMMENT_ON_POST',
      message: `${commenter.username} commented on your post.`,
      peek: 'Nice post,...',
      read: false,
      actor: { id: commenter.id, username: commenter.username },
      post: { id: post.id, title: 'Hello world post' },
      comment: { id: created.id, text: 'Nice post, really!' },
    });

    // A later notification of the bystander's arrives alone: the author's never reached it.
    await comment(server.url, commenter, bystanderPost.id, 'second');
    const next = await bystanderSub.results.next('bystander second');
    expect(next.data?.notificationAdded.peek).toBe('second...');
    expect(bystanderSub.results.pending()).toHaveLength(0);
  });

  it('pushes each of many comments sent at once exactly once, though they are stored together', async () => {
    const author = await signUp(server.url, 'popular');
    const commenters = await Promise.all(
      Array.from({ length: 12 }, () => signUp(server.url, 'fan')),
    );
    const sub = await liveNotifications(author);
    const post = await createPost(server.url, author);
    // Sent together, most wait for a free statement and share it (comment-store.ts).
    const created = await Promise.all(
      commenters.map((c, i) => comment(server.url, c, post.id, `reply ${i}`)),
    );
    const received = [];
    for (let i = 0; i < created.length; i++) {
      received.push((await sub.results.next(`notification ${i}`)).data?.notificationAdded);
    }
    expect(received.map((n) => n?.comment?.id).sort()).toEqual(created.map((c) => c.id).sort());
    for (const n of received) {
      const i = commenters.findIndex((c) => c.id === n?.actor.id);
      expect(n?.comment?.text).toBe(`reply ${i}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sub.results.pending()).toHaveLength(0);
  });

  it('does not notify someone who comments on their own post', async () => {
    const author = await signUp(server.url, 'self');
    const other = await signUp(server.url, 'other');
    const sub = await liveNotifications(author);
    const post = await createPost(server.url, author);
    await comment(server.url, author, post.id, 'talking to myself');
    await comment(server.url, other, post.id, 'a real reply');
    const first = await sub.results.next('the reply notification');
    expect(first.data?.notificationAdded.actor.id).toBe(other.id);
    const list = await ok(server.url, Notifications, {}, author.token);
    const actors = list.notifications.edges.map((e) => e.node.actor.id);
    expect(actors.filter((id) => id !== other.id)).toHaveLength(1); // the seed's pinger
    expect(actors).not.toContain(author.id);
  });
});

describe('new post notifications', () => {
  it('notifies every follower of the author, and nobody else', async () => {
    const author = await signUp(server.url, 'writer');
    const fans = await Promise.all([1, 2, 3].map(() => signUp(server.url, 'fan')));
    const stranger = await signUp(server.url, 'stranger');
    for (const fan of fans) await follow(server.url, fan, author);
    const subs = await Promise.all(fans.map(liveNotifications));
    const post = await createPost(server.url, author, 'Breaking news today');
    for (const sub of subs) {
      const { data } = await sub.results.next('new post notification');
      expect(data?.notificationAdded).toMatchObject({
        kind: 'NEW_POST_BY_FOLLOWED',
        message: `${author.username} published a new post.`,
        peek: 'Breaking n...',
        post: { id: post.id },
        comment: null,
      });
    }
    const strangerList = await ok(server.url, Notifications, {}, stranger.token);
    expect(strangerList.notifications.edges).toHaveLength(0);
  });
});
