// Sign-up and small social actions, for tests that need people and posts.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../src/generated/prisma/client.js';
import { ok } from './clients.js';
import { CreateComment, CreatePost, FollowUser, Notifications, SignUp } from './operations.js';

export type TestUser = { id: string; username: string; email: string; token: string };

export async function signUp(url: string, prefix = 'user'): Promise<TestUser> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const email = `${username}@example.com`;
  const data = await ok(url, SignUp, { input: { email, username, password: 'correct horse' } });
  return { id: data.signUp.user.id, username, email, token: data.signUp.token };
}

export async function createPost(url: string, author: TestUser, title = 'A title long enough') {
  const data = await ok(url, CreatePost, { input: { title, body: 'Body' } }, author.token);
  return data.createPost;
}

export async function comment(url: string, who: TestUser, postId: string, text: string) {
  const data = await ok(url, CreateComment, { input: { postId, text } }, who.token);
  return data.createComment;
}

export async function follow(url: string, who: TestUser, whom: TestUser) {
  await ok(url, FollowUser, { userId: whom.id }, who.token);
}

const pingers = new Map<string, Promise<TestUser>>();

/**
 * Gives `user` a notification of their own and returns its id. Subscribing with
 * that id as `since` makes delivery independent of when the server has set the
 * subscription up: whatever comes later is replayed if it was not seen live.
 */
export async function seedNotification(url: string, user: TestUser): Promise<string> {
  const pinger = pingers.get(url) ?? signUp(url, 'pinger');
  pingers.set(url, pinger);
  const post = await createPost(url, user, 'Seed post');
  await comment(url, await pinger, post.id, 'seed');
  const data = await ok(url, Notifications, { first: 1 }, user.token);
  const newest = data.notifications.edges[0];
  if (!newest) throw new Error('the seed notification was not stored');
  return newest.node.id;
}

/** A user row written straight to the database, for tests below the API (no password to log in with). */
export function insertUser(prisma: PrismaClient, name: string) {
  return prisma.user.create({
    data: {
      email: `${name}@example.com`,
      emailKey: `${name}@example.com`,
      username: name,
      usernameKey: name,
      passwordHash: 'not used here',
    },
  });
}
