// Three server processes on one PostgreSQL and one Redis, as behind a load balancer.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { connectWs, ok, type WsConnection } from '../helpers/clients.js';
import { type Instance, startInstance } from '../helpers/instances.js';
import { NotificationAdded, UnreadCountChanged } from '../helpers/operations.js';
import { createDatabase } from '../helpers/server.js';
import { hasBinary, type Service, sleep, startRedis } from '../helpers/services.js';
import {
  comment,
  createPost,
  follow,
  seedNotification,
  signUp,
  type TestUser,
} from '../helpers/users.js';

const ClusterMarkAllRead = graphql(/* GraphQL */ `
  mutation ClusterMarkAllRead {
    markAllNotificationsRead
  }
`);

const redisAvailable = hasBinary('redis-server');
if (!redisAvailable && process.env.CI) throw new Error('CI needs redis-server');
if (!redisAvailable) console.warn('redis-server not found: skipping the multi-instance tests.');

const PREFIX = 'clustertest:';
let redis: Service;
let a: Instance;
let b: Instance;
let c: Instance;
const cleanups: Array<() => Promise<void> | void> = [];
const sockets: WsConnection[] = [];
const ws = (instance: Instance, token?: string) => {
  const connection = connectWs(instance.wsUrl, token);
  sockets.push(connection);
  return connection;
};
const live = async (instance: Instance, user: TestUser) =>
  ws(instance, user.token).subscribe(NotificationAdded, {
    since: await seedNotification(a.url, user),
  });

async function channels(): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    return (await client.pubsub('CHANNELS', `${PREFIX}*`)) as string[];
  } finally {
    client.disconnect();
  }
}

describe.skipIf(!redisAvailable)('several instances', () => {
  beforeAll(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
    const env = {
      DATABASE_URL: await createDatabase(inject('postgresUrl'), cleanups),
      REDIS_URL: redis.url,
      REDIS_PREFIX: PREFIX,
    };
    // Started together on an empty database: one applies the migrations, the others wait.
    [a, b, c] = await Promise.all([startInstance(env), startInstance(env), startInstance(env)]);
  });

  afterAll(async () => {
    for (const socket of sockets) await socket.dispose();
    await Promise.all([a, b, c].map((instance) => instance?.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('delivers a notification caused on A to its recipient on B, and to nobody on A', async () => {
    const author = await signUp(a.url, 'author');
    const commenter = await signUp(b.url, 'commenter');
    const bystander = await signUp(c.url, 'bystander');
    const authorSub = await live(b, author);
    const bystanderSub = await live(a, bystander);
    const post = await createPost(c.url, author, 'Cross-instance');
    const bystanderPost = await createPost(c.url, bystander, 'Mine');

    await comment(a.url, commenter, post.id, 'hello from A');
    const got = await authorSub.results.next('notification on B');
    expect(got.data?.notificationAdded).toMatchObject({
      kind: 'COMMENT_ON_POST',
      peek: 'hello from...',
      actor: { id: commenter.id },
    });
    // The bystander's own later notification arrives alone.
    await comment(a.url, commenter, bystanderPost.id, 'for bystander');
    const own = await bystanderSub.results.next('bystander notification');
    expect(own.data?.notificationAdded.peek).toBe('for bystan...');
    expect(bystanderSub.results.pending()).toHaveLength(0);
  });

  it('delivers comments made at once on three instances to one subscriber, each once and in order', async () => {
    const author = await signUp(a.url, 'busy');
    const commenters = await Promise.all([a, b, c].map((i) => signUp(i.url, 'racer')));
    const sub = await live(b, author);
    const post = await createPost(a.url, author, 'Popular');
    const texts = [a, b, c].flatMap((_, i) => [0, 1, 2, 3, 4].map((j) => `race ${i}-${j}`));
    await Promise.all(
      [a, b, c].flatMap((instance, i) =>
        [0, 1, 2, 3, 4].map((j) =>
          comment(instance.url, commenters[i] as TestUser, post.id, `race ${i}-${j}`),
        ),
      ),
    );
    const received = [];
    for (const _ of texts) received.push(await sub.results.next('a racing comment', 10_000));
    const peeks = received.map((r) => r.data?.notificationAdded.peek);
    expect(new Set(peeks)).toEqual(new Set(texts.map((t) => `${t.slice(0, 10)}...`)));
    // Ids grow in commit order per recipient: delivered oldest first, none twice.
    const ids = received.map((r) => Number(atob(r.data?.notificationAdded.id ?? '').split(':')[1]));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(texts.length);
  });

  it("delivers a post's fan-out, packed as one Redis message, to each follower on every instance once", async () => {
    const author = await signUp(a.url, 'famous');
    const followers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => signUp([a, b, c][i % 3]?.url ?? a.url, 'fan')),
    );
    for (const fan of followers) await follow(a.url, fan, author);
    const outsider = await signUp(b.url, 'outsider');
    const subs = await Promise.all(
      followers.map((fan, i) => live([a, b, c][i % 3] as Instance, fan)),
    );
    const outsiderSub = await live(c, outsider);
    // Listens to the fan-out channel as any instance does.
    const listener = new Redis(redis.url);
    cleanups.push(() => listener.disconnect());
    const packed: string[] = [];
    listener.on('message', (_channel, message: string) => packed.push(message));
    await listener.subscribe(`${PREFIX}causes`);

    await createPost(b.url, author, 'For all my fans');
    for (const [i, sub] of subs.entries()) {
      const got = await sub.results.next(`fan ${i}`);
      expect(got.data?.notificationAdded).toMatchObject({
        kind: 'NEW_POST_BY_FOLLOWED',
        actor: { id: author.id },
      });
    }
    await sleep(300);
    for (const sub of subs) expect(sub.results.pending()).toHaveLength(0);
    expect(outsiderSub.results.pending()).toHaveLength(0);
    expect(packed).toHaveLength(1);
    expect(JSON.parse(packed[0] ?? '{}').recipientIds).toHaveLength(12);
  });

  it('follows a mark-read on A with the unread count on B', async () => {
    const user = await signUp(a.url, 'reader');
    const other = await signUp(a.url, 'other');
    const post = await createPost(a.url, user);
    await comment(a.url, other, post.id, 'one');
    const counts = ws(b, user.token).subscribe(UnreadCountChanged);
    expect((await counts.results.next('first count')).data?.unreadNotificationCountChanged).toBe(1);
    await comment(c.url, other, post.id, 'two');
    expect((await counts.results.next('count 2')).data?.unreadNotificationCountChanged).toBe(2);
    await ok(a.url, ClusterMarkAllRead, {}, user.token);
    expect((await counts.results.next('count 0')).data?.unreadNotificationCountChanged).toBe(0);
  });

  it('resumes with since on another instance without a gap or a duplicate', async () => {
    const user = await signUp(a.url, 'mobile');
    const other = await signUp(a.url, 'friend');
    const post = await createPost(a.url, user);
    const first = await live(a, user);
    await comment(c.url, other, post.id, 'live 1');
    const seen = await first.results.next('live 1');
    const lastId = seen.data?.notificationAdded.id;
    first.stop();
    for (const text of ['away 1', 'away 2', 'away 3']) await comment(c.url, other, post.id, text);

    const resumed = ws(b, user.token).subscribe(NotificationAdded, { since: lastId });
    const replayed = [];
    for (let i = 0; i < 3; i++) replayed.push((await resumed.results.next('replay')).data);
    expect(replayed.map((d) => d?.notificationAdded.peek)).toEqual([
      'away 1...',
      'away 2...',
      'away 3...',
    ]);
    await comment(a.url, other, post.id, 'live 2');
    expect((await resumed.results.next('live 2')).data?.notificationAdded.peek).toBe('live 2...');
    expect(resumed.results.pending()).toHaveLength(0);
  });

  it('loses nothing while Redis is down, and delivers it on the sockets already open', async () => {
    const users = await Promise.all([signUp(a.url, 'u1'), signUp(a.url, 'u2')]);
    const actor = await signUp(a.url, 'actor');
    const posts = await Promise.all(users.map((user) => createPost(a.url, user)));
    const subs = [await live(a, users[0] as TestUser), await live(b, users[1] as TestUser)];
    const socketsOpen = sockets.slice(-2);

    await redis.pause();
    // /ready tells the load balancer; the mutations still succeed meanwhile.
    let ready = 200;
    for (let i = 0; i < 100 && ready === 200; i++) {
      ready = (await fetch(a.url.replace('/graphql', '/ready'))).status;
      if (ready === 200) await sleep(100);
    }
    expect(ready).toBe(503);
    for (let round = 1; round <= 3; round++) {
      for (const [i, post] of posts.entries()) {
        await comment(c.url, actor, post.id, `down ${i}-${round}`);
      }
    }
    await redis.resume();

    for (const [i, sub] of subs.entries()) {
      const peeks = [];
      for (let round = 1; round <= 3; round++) {
        peeks.push((await sub.results.next(`gap-fill ${i}`, 20_000)).data?.notificationAdded.peek);
      }
      expect(peeks).toEqual([1, 2, 3].map((round) => `down ${i}-${round}...`));
    }
    // Still the same sockets, and live again.
    for (const socket of socketsOpen) {
      expect(await Promise.race([socket.closed, sleep(50).then(() => 'open')])).toBe('open');
    }
    await comment(c.url, actor, (posts[0] as { id: string }).id, 'after');
    expect((await subs[0]?.results.next('live after outage'))?.data?.notificationAdded.peek).toBe(
      'after...',
    );
    for (const sub of subs) expect(sub.results.pending()).toHaveLength(0);
  });

  it('leaves no Redis channel behind after many subscriptions come and go', async () => {
    const before = new Set(await channels());
    const users = await Promise.all([1, 2, 3].map(() => signUp(a.url, 'churn')));
    for (let round = 0; round < 5; round++) {
      const connections = users.flatMap((user) => [
        connectWs(a.wsUrl, user.token),
        connectWs(b.wsUrl, user.token),
      ]);
      const subs = connections.map((connection) => connection.subscribe(UnreadCountChanged));
      // Each subscription is live once it has sent its first count.
      for (const sub of subs) await sub.results.next('first count');
      expect((await channels()).length).toBeGreaterThan(before.size);
      // Half end their subscription cleanly, half drop the socket.
      subs.forEach((sub, i) => {
        if (i % 2 === 0) sub.stop();
      });
      await Promise.all(connections.map((connection) => connection.dispose()));
    }
    let after: string[] = [];
    for (let i = 0; i < 50; i++) {
      after = (await channels()).filter((name) => !before.has(name));
      if (after.length === 0) break;
      await sleep(100);
    }
    expect(after).toEqual([]);
  });
});
