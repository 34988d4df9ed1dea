// Lists resolve in a fixed number of database operations, not one per item.
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { execute, parse, subscribe } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { Services } from '../src/context.js';
import { createBatchedReads } from '../src/db/batched-reads.js';
import { type Database, openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { createEmailChannel } from '../src/delivery/channels/email.js';
import { createMailTransport } from '../src/delivery/email/transport.js';
import { createOutbox } from '../src/delivery/outbox.js';
import { createUnsubscribeTokens } from '../src/delivery/unsubscribe.js';
import type { PrismaClient } from '../src/generated/prisma/client.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { createCommentStore } from '../src/notifications/comment-store.js';
import { createNotifier } from '../src/notifications/notifier.js';
import { createNotificationReader } from '../src/notifications/reader.js';
import { createInProcessPubSub } from '../src/pubsub/in-process.js';
import { createRateLimits } from '../src/rate-limits.js';
import { schema } from '../src/schema/index.js';
import { createSubscriptionBudget } from '../src/transport/subscription-budget.js';
import { insertUser } from './helpers/users.js';

let db: Database;
let operations: string[] = [];
let prisma: PrismaClient;

beforeAll(async () => {
  db = await openDatabase({ dataDir: 'memory://' });
  await applyMigrations(db.adapter);
  // Counts every Prisma operation the schema issues.
  prisma = db.prisma.$extends({
    query: {
      async $allOperations({ model, operation, args, query }) {
        operations.push(`${model ?? 'raw'}.${operation}`);
        return query(args);
      },
    },
  }) as unknown as PrismaClient;

  const users = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      db.prisma.user.create({
        data: {
          email: `u${i}@example.com`,
          emailKey: `u${i}@example.com`,
          username: `u${i}_${randomUUID().slice(0, 6)}`,
          usernameKey: `u${i}_${randomUUID().slice(0, 6)}`,
          passwordHash: 'not used here',
        },
      }),
    ),
  );
  for (const author of users) {
    // Numbered per recipient as the store numbers them (src/notifications/store.ts).
    let seq = 0;
    const post = await db.prisma.post.create({
      data: { title: 'Post', body: 'Body', authorId: author.id },
    });
    for (const commenter of users) {
      const comment = await db.prisma.comment.create({
        data: { text: 'Hi', postId: post.id, authorId: commenter.id },
      });
      await db.prisma.notification.create({
        data: {
          recipientId: author.id,
          seq: ++seq,
          kind: 'COMMENT_ON_POST',
          actorId: commenter.id,
          postId: post.id,
          commentId: comment.id,
          message: 'm',
          peek: 'p',
        },
      });
    }
    await db.prisma.notificationCounter.upsert({
      where: { userId: author.id },
      create: { userId: author.id, seq },
      update: { seq },
    });
  }
});

afterAll(async () => {
  await db?.close();
});

function contextFor(
  viewerId?: number,
  outbox = createOutbox([]),
  notifier: Services['notifier'] = { created: async () => {}, read: async () => {} },
) {
  // The hot statements skip Prisma (src/db/prepared.ts); they count as 'hot'.
  const hot: Services['hot'] = async (statement) => {
    operations.push('hot');
    return db.hot(statement);
  };
  const services: Services = {
    prisma,
    hot,
    reads: createBatchedReads(hot),
    pubsub: createInProcessPubSub(),
    tokens: { issue: async () => ({ token: '', expiresAt: new Date() }), verify: async () => null },
    sessions: { announceRevoked: async () => {}, watch: async () => () => {} },
    limits: createRateLimits(loadConfig({})),
    subscriptions: createSubscriptionBudget(100),
    maxNodeIds: 100,
    notificationReader: createNotificationReader(prisma, 100),
    metrics: createMetrics(),
    logger: createLogger('silent'),
    notifier,
    outbox,
    comments: createCommentStore(hot, outbox),
    deliverySettings: { webPushPublicKey: null, urlPolicy: { allowPrivate: false } },
  };
  return {
    ...services,
    clientIp: '127.0.0.1',
    sessionWatched: false,
    viewer: viewerId
      ? { id: viewerId, tokenExpiresAt: new Date(Date.now() + 60_000), tokenVersion: 0 }
      : null,
  };
}

async function run(query: string, viewerId?: number) {
  operations = [];
  const result = await execute({
    schema,
    document: parse(query),
    contextValue: contextFor(viewerId),
  });
  expect(result.errors).toBeUndefined();
  return result.data;
}

describe('query plans', () => {
  it('loads posts with authors, counts and nested comments in one operation', async () => {
    const data = await run(/* GraphQL */ `
      {
        posts(first: 10) {
          edges {
            node {
              title
              commentCount
              author { username followerCount }
              comments(first: 10) { edges { node { text author { username } } } }
            }
          }
        }
      }
    `);
    const posts = (data as { posts: { edges: unknown[] } }).posts.edges;
    expect(posts).toHaveLength(5);
    expect(operations).toEqual(['Post.findMany']);
  });

  it("loads a viewer's notifications with actors, posts and comments in one operation", async () => {
    const viewer = await db.prisma.user.findFirstOrThrow({ orderBy: { id: 'asc' } });
    const data = await run(
      /* GraphQL */ `
        {
          notifications(first: 20) {
            edges { node { message actor { username } post { title } comment { text } } }
          }
        }
      `,
      viewer.id,
    );
    const edges = (data as { notifications: { edges: unknown[] } }).notifications.edges;
    expect(edges).toHaveLength(5);
    expect(operations).toEqual(['Notification.findMany']);
  });

  it("loads a viewer's notifications with their deliveries in one operation", async () => {
    const viewer = await db.prisma.user.findFirstOrThrow({ orderBy: { id: 'asc' } });
    const data = await run(
      /* GraphQL */ `
        {
          notifications(first: 20) {
            edges { node { message deliveries { channel status attempts lastError } } }
          }
        }
      `,
      viewer.id,
    );
    const edges = (data as { notifications: { edges: unknown[] } }).notifications.edges;
    expect(edges).toHaveLength(5);
    expect(operations).toEqual(['Notification.findMany']);
  });

  it('replays a subscription with its selection in one operation per page', async () => {
    const viewer = await db.prisma.user.findFirstOrThrow({ orderBy: { id: 'asc' } });
    const oldest = await db.prisma.notification.findFirstOrThrow({
      where: { recipientId: viewer.id },
      orderBy: { id: 'asc' },
    });
    operations = [];
    const stream = (await subscribe({
      schema,
      document: parse(/* GraphQL */ `
        subscription ($since: ID) {
          notificationAdded(since: $since) { message actor { username } post { title } comment { text } }
        }
      `),
      variableValues: { since: encodeGlobalID('Notification', oldest.id) },
      contextValue: contextFor(viewer.id),
    })) as AsyncGenerator<{ data?: { notificationAdded: { actor: { username: string } } } }>;
    const received = [];
    for (let i = 0; i < 4; i++) {
      const { value } = await stream.next();
      expect(value.data?.notificationAdded.actor.username).toBeTruthy();
      received.push(value);
    }
    await stream.return?.(undefined);
    expect(received).toHaveLength(4);
    // One to learn the number of `since`, then one per page.
    expect(operations).toEqual(['Notification.findFirst', 'Notification.findMany']);
  });
});

/** Email on, written nowhere: what the outbox records is what is checked. */
const emailChannel = () =>
  createEmailChannel({
    prisma,
    transport: createMailTransport('file:', 'memory://unused'),
    unsubscribe: createUnsubscribeTokens('x'.repeat(32)),
    secret: 'x'.repeat(32),
    from: 'n@localhost',
    digestSeconds: 900,
    publicUrl: () => 'http://localhost',
  });

describe('fan-out writes', () => {
  /** An author with `n` new followers, each with EMAIL and IN_APP on. */
  async function authorWithFollowers(n: number) {
    const make = (tag: string) => insertUser(db.prisma, tag);
    const author = await make(`a_${randomUUID().slice(0, 8)}`);
    for (let i = 0; i < n; i++) {
      const follower = await make(`f_${randomUUID().slice(0, 8)}`);
      await db.prisma.follow.create({ data: { followerId: follower.id, followingId: author.id } });
    }
    return author;
  }

  it("records a new post's notifications and email digests in the same statements for 3 or 60 followers", async () => {
    const email = emailChannel();
    const plans: string[][] = [];
    for (const followers of [3, 60]) {
      const author = await authorWithFollowers(followers);
      operations = [];
      const result = await execute({
        schema,
        document: parse('mutation { createPost(input: { title: "Fan", body: "out" }) { id } }'),
        contextValue: contextFor(author.id, createOutbox([email])),
      });
      expect(result.errors).toBeUndefined();
      plans.push(operations);
      const digests = await db.prisma.delivery.count({
        where: { items: { some: { notification: { actorId: author.id } } } },
      });
      expect(digests).toBe(followers);
    }
    // One statement for the post, its notifications (preferences and mutes joined
    // in) and their digests.
    expect(plans[0]).toEqual(['hot']);
    expect(plans[1]).toEqual(plans[0]);
  });

  it('wakes the delivery worker only when the statement recorded deliveries', async () => {
    const email = emailChannel();
    let wakes = 0;
    const notifier = createNotifier({
      pubsub: createInProcessPubSub(),
      metrics: createMetrics(),
      logger: createLogger('silent'),
      delivery: { wake: () => wakes++ },
    });
    const post = async (authorId: number) => {
      const result = await execute({
        schema,
        document: parse('mutation { createPost(input: { title: "Wake", body: "up" }) { id } }'),
        contextValue: contextFor(authorId, createOutbox([email]), notifier),
      });
      expect(result.errors).toBeUndefined();
    };
    const author = await authorWithFollowers(2);
    await post(author.id);
    expect(wakes).toBe(1);
    // Both followers turn email off for new posts: nothing to deliver, no wake.
    const followers = await db.prisma.follow.findMany({ where: { followingId: author.id } });
    await db.prisma.notificationPreference.createMany({
      data: followers.map((f) => ({
        userId: f.followerId,
        kind: 'NEW_POST_BY_FOLLOWED' as const,
        channel: 'EMAIL' as const,
        enabled: false,
      })),
    });
    await post(author.id);
    expect(wakes).toBe(1);
  });
});
