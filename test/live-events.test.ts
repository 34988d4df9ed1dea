// How a live notificationAdded stream uses events: the next number is delivered from
// the event without a database read; a lost event, an event ahead of its commit, a
// late or repeated one, or one about someone else never yields a gap, a duplicate or
// a wrong delivery. Runs the schema in-process on PGlite with the real store,
// notifier, reader and in-process pub/sub, so the test can lose an event (a
// notification stored without one) or send one at the wrong moment.
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { execute, parse, subscribe } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { Context, Services } from '../src/context.js';
import { createBatchedReads } from '../src/db/batched-reads.js';
import { type Database, openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { createOutbox } from '../src/delivery/outbox.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createCommentStore } from '../src/notifications/comment-store.js';
import { createNotifier } from '../src/notifications/notifier.js';
import { createNotificationReader } from '../src/notifications/reader.js';
import { createdFrom, NOTIFIED_JSON, notificationCtes } from '../src/notifications/store.js';
import { createInProcessPubSub } from '../src/pubsub/in-process.js';
import type { NotificationPayload, PubSub } from '../src/pubsub/pubsub.js';
import { createRateLimits } from '../src/rate-limits.js';
import { schema } from '../src/schema/index.js';
import { createSubscriptionBudget } from '../src/transport/subscription-budget.js';

type Delivered = {
  id: string;
  message: string;
  peek: string;
  post?: { title: string; body?: string } | null;
  actor?: { id: string; username: string };
  comment?: { id: string; text: string } | null;
};
type Stream = AsyncGenerator<{ data?: { notificationAdded: Delivered }; errors?: unknown[] }>;

let db: Database;
let pubsub: PubSub;
/** The subscriber's database client: counts what it asks. */
let counted: PrismaClient;
let reads: string[] = [];
let author: number;
let commenter: number;
let stranger: number;
let postId: number;
const streams: Stream[] = [];

beforeAll(async () => {
  db = await openDatabase({ dataDir: 'memory://' });
  await applyMigrations(db.adapter);
  pubsub = createInProcessPubSub();
  counted = db.prisma.$extends({
    query: {
      async $allOperations({ model, operation, args, query }) {
        reads.push(`${model ?? 'raw'}.${operation}`);
        return query(args);
      },
    },
  }) as unknown as PrismaClient;
  const user = (name: string) =>
    db.prisma.user.create({
      data: {
        email: `${name}@example.com`,
        emailKey: `${name}-${randomUUID()}`,
        username: name,
        usernameKey: `${name}-${randomUUID()}`,
        passwordHash: 'not used here',
      },
    });
  author = (await user('ann')).id;
  commenter = (await user('cid')).id;
  stranger = (await user('sam')).id;
  postId = (
    await db.prisma.post.create({ data: { title: 'Ann post', body: 'Body', authorId: author } })
  ).id;
});

afterAll(async () => {
  for (const stream of streams) await stream.return?.(undefined);
  await pubsub?.close();
  await db?.close();
});

function contextFor(viewerId: number, prisma: PrismaClient): Context {
  const metrics = createMetrics();
  const logger = createLogger('silent');
  const services: Services = {
    prisma,
    hot: db.hot,
    reads: createBatchedReads(db.hot),
    pubsub,
    tokens: { issue: async () => ({ token: '', expiresAt: new Date() }), verify: async () => null },
    sessions: { announceRevoked: async () => {}, watch: async () => () => {} },
    limits: createRateLimits(loadConfig({})),
    notificationReader: createNotificationReader(prisma, 100),
    metrics,
    logger,
    notifier: createNotifier({ pubsub, metrics, logger }),
    subscriptions: createSubscriptionBudget(100),
    maxNodeIds: 100,
    outbox: createOutbox([]),
    comments: createCommentStore(db.hot, createOutbox([])),
    deliverySettings: { webPushPublicKey: null, urlPolicy: { allowPrivate: false } },
  };
  return {
    ...services,
    clientIp: '127.0.0.1',
    sessionWatched: true,
    viewer: { id: viewerId, tokenExpiresAt: new Date(Date.now() + 600_000), tokenVersion: 0 },
  };
}

/** A comment by `commenter` on the author's post, through the real mutation (its event is sent). */
async function commentOnPost(text: string) {
  const result = await execute({
    schema,
    document: parse(/* GraphQL */ `
      mutation ($postId: ID!, $text: String!) { createComment(input: { postId: $postId, text: $text }) { id } }
    `),
    variableValues: { postId: encodeGlobalID('Post', postId), text },
    contextValue: contextFor(commenter, db.prisma),
  });
  expect(result.errors).toBeUndefined();
}

/** A notification for the author stored by the production SQL, whose event is lost. */
async function storeWithoutEvent(text: string): Promise<NotificationPayload> {
  const [row] = await db.prisma.$queryRaw<{ notified: string }[]>`
    WITH ${notificationCtes('COMMENT_ON_POST', { actorId: commenter, postId, text }, createOutbox([]))}
    SELECT ${NOTIFIED_JSON} AS "notified"`;
  const [stored] = createdFrom(row?.notified ?? '{}', {
    post: { id: postId, title: 'Ann post' },
    comment: null,
  }).notifications;
  if (!stored) throw new Error('nothing stored');
  return stored;
}

async function lastNumber() {
  const counter = await db.prisma.notificationCounter.findUnique({ where: { userId: author } });
  return counter?.seq ?? 0;
}

/** The author's stream of `selection`, started after `since` (a notification of theirs). */
async function subscribeAuthor(since: NotificationPayload, selection = 'id message peek') {
  const stream = (await subscribe({
    schema,
    document: parse(
      `subscription ($since: ID) { notificationAdded(since: $since) { ${selection} } }`,
    ),
    variableValues: { since: encodeGlobalID('Notification', since.id) },
    contextValue: contextFor(author, counted),
  })) as Stream;
  streams.push(stream);
  return stream;
}

async function next(stream: Stream): Promise<Delivered> {
  const { value } = await stream.next();
  expect(value?.errors).toBeUndefined();
  const delivered = value?.data?.notificationAdded;
  if (!delivered) throw new Error('the stream ended');
  return delivered;
}

describe('live delivery from events', () => {
  it('delivers the next number from its event without reading the database', async () => {
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'));
    await commentOnPost('first one');
    expect((await next(stream)).peek).toBe('first one...');
    reads = [];
    await commentOnPost('second one');
    const delivered = await next(stream);
    expect(delivered).toMatchObject({
      peek: 'second one...',
      message: 'cid commented on your post.',
    });
    expect(reads).toEqual([]);
  });

  it('fills a gap left by a lost event from the database, in order', async () => {
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'));
    await commentOnPost('live one');
    expect((await next(stream)).peek).toBe('live one...');
    await storeWithoutEvent('lost one');
    await commentOnPost('after it');
    expect((await next(stream)).peek).toBe('lost one...');
    expect((await next(stream)).peek).toBe('after it...');
  });

  it('waits for a commit that its event arrived before', async () => {
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'));
    await commentOnPost('live one');
    expect((await next(stream)).peek).toBe('live one...');
    // A wake-up for the next number, before that notification is in the database.
    const seq = (await lastNumber()) + 1;
    await pubsub.publish([{ userId: author, event: { type: 'notification', id: 0, seq } }]);
    await storeWithoutEvent('visible later');
    expect((await next(stream)).peek).toBe('visible la...');
    await commentOnPost('and then');
    expect((await next(stream)).peek).toBe('and then...');
  });

  it('drops an event that arrives after its notification was read from the database', async () => {
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'));
    await commentOnPost('live one');
    expect((await next(stream)).peek).toBe('live one...');
    const late = await storeWithoutEvent('read first');
    await commentOnPost('gap closer');
    expect((await next(stream)).peek).toBe('read first...');
    expect((await next(stream)).peek).toBe('gap closer...');
    // Its event turns up now, and again: neither is delivered.
    const event = { type: 'notification' as const, id: late.id, seq: late.seq, notification: late };
    await pubsub.publish([
      { userId: author, event },
      { userId: author, event },
    ]);
    await commentOnPost('the next');
    expect((await next(stream)).peek).toBe('the next...');
  });

  it("never delivers an event carrying someone else's notification", async () => {
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'));
    await commentOnPost('live one');
    expect((await next(stream)).peek).toBe('live one...');
    const theirs = await storeWithoutEvent('template');
    // Numbered as the author's next, but addressed to another user.
    const forged: NotificationPayload = {
      ...theirs,
      seq: theirs.seq + 1,
      recipientId: stranger,
      message: 'forged',
    };
    await pubsub.publish([
      {
        userId: author,
        event: { type: 'notification', id: 0, seq: forged.seq, notification: forged },
      },
    ]);
    await commentOnPost('real one');
    expect((await next(stream)).peek).toBe('template...');
    const delivered = await next(stream);
    expect(delivered.peek).toBe('real one...');
    expect(delivered.message).not.toBe('forged');
  });

  it("answers an event's actor, post and comment from the event, as the database would", async () => {
    const selection = 'id peek actor { id username } post { id title } comment { id text }';
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'), selection);
    // The first after `since` is read from the database, with its relations.
    await commentOnPost('read one');
    const read = await next(stream);
    reads = [];
    await commentOnPost('live one');
    const live = await next(stream);
    expect(reads).toEqual([]);
    for (const [delivered, text] of [
      [read, 'read one'],
      [live, 'live one'],
    ] as const) {
      expect(delivered).toMatchObject({
        actor: { id: encodeGlobalID('User', commenter), username: 'cid' },
        post: { id: encodeGlobalID('Post', postId), title: 'Ann post' },
        comment: { text },
      });
      expect(delivered.comment?.id).toMatch(/^[A-Za-z0-9+/=]+$/);
    }
    expect(live.comment?.id).not.toBe(read.comment?.id);
  });

  it('reads the database for a selection that asks more than the event carries', async () => {
    const stream = await subscribeAuthor(
      await storeWithoutEvent('seed'),
      'id peek post { title body } actor { username createdAt }',
    );
    await commentOnPost('live one');
    expect(await next(stream)).toMatchObject({ peek: 'live one...', post: { body: 'Body' } });
    reads = [];
    await commentOnPost('rich one');
    expect(await next(stream)).toMatchObject({
      peek: 'rich one...',
      post: { title: 'Ann post', body: 'Body' },
    });
    expect(reads).toContain('Notification.findMany');
  });

  it('keeps no more than a page of events for a client that reads slowly, and loses none', async () => {
    const stream = await subscribeAuthor(await storeWithoutEvent('seed'));
    await commentOnPost('live one');
    expect((await next(stream)).peek).toBe('live one...');
    // 150 events arrive while the client reads nothing.
    const texts = Array.from({ length: 150 }, (_, i) => `slow ${i}`);
    for (const text of texts) await commentOnPost(text);
    const peeks = [];
    for (const _ of texts) peeks.push((await next(stream)).peek);
    expect(peeks).toEqual(texts.map((t) => `${t.slice(0, 10)}...`));
  });
});
