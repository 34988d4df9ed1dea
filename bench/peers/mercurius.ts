// Peer 3: Mercurius on Fastify with its own subscription support (graphql-ws
// protocol), an mqemitter-redis emitter and one topic per recipient, so an event
// reaches only its recipient's subscriptions.
import Fastify from 'fastify';
import mercurius, { type IResolvers } from 'mercurius';
import mqemitterRedis from 'mqemitter-redis';
import {
  announce,
  benchUser,
  createComment,
  createPost,
  type NotificationEvent,
  openPrisma,
  SDL,
} from './data.js';

const prisma = openPrisma();
const redis = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const emitter = mqemitterRedis({ host: redis.hostname, port: Number(redis.port) });
const topic = (userId: number) => `notificationAdded_${userId}`;

type Ctx = {
  userId?: number;
  pubsub: {
    publish(e: { topic: string; payload: unknown }): Promise<void>;
    subscribe(topic: string): Promise<unknown>;
  };
};

const publish = (ctx: Ctx, created: NotificationEvent[]) =>
  Promise.all(
    created.map((n) =>
      ctx.pubsub.publish({ topic: topic(n.recipientId), payload: { notificationAdded: n } }),
    ),
  );

const resolvers: IResolvers = {
  Query: { ok: () => true },
  Mutation: {
    createComment: async (_root, args, ctx) => {
      const { comment, created } = await createComment(
        prisma,
        benchUser((ctx as Ctx).userId),
        args.input,
      );
      await publish(ctx as Ctx, created);
      return comment;
    },
    createPost: async (_root, args, ctx) => {
      const { post, created } = await createPost(
        prisma,
        benchUser((ctx as Ctx).userId),
        args.input,
      );
      await publish(ctx as Ctx, created);
      return post;
    },
  },
  Subscription: {
    notificationAdded: {
      subscribe: async (_root, _args, ctx) =>
        (ctx as Ctx).pubsub.subscribe(topic(benchUser((ctx as Ctx).userId))),
    },
  },
};

const app = Fastify({ logger: false });
await app.register(mercurius, {
  schema: SDL,
  resolvers,
  context: (request) => ({ userId: Number(request.headers['x-user-id']) }),
  subscription: {
    emitter,
    // connection_init's payload: the bench's sign-in-free user id.
    onConnect: ({ payload }) => ({ userId: benchUser((payload as { userId?: unknown })?.userId) }),
  },
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
const address = app.server.address();
announce(typeof address === 'object' && address ? address.port : 0);
process.on('SIGTERM', () => {
  app.close().finally(() => process.exit(0));
});
