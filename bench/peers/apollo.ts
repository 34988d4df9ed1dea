// Peer 2, "the Apollo recipe": Apollo Server 5 on Express, graphql-ws on the same
// port, graphql-redis-subscriptions, and withFilter on ONE shared topic, exactly as
// Apollo's subscription docs show it. Every event goes to every subscription on
// the instance and each one filters it: the cost this benchmark is meant to show.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { withFilter } from 'graphql-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import { Redis } from 'ioredis';
import { WebSocketServer } from 'ws';
import {
  announce,
  benchUser,
  createComment,
  createPost,
  type NotificationEvent,
  openPrisma,
  SDL,
} from './data.js';

type Context = { userId: number };
const TOPIC = 'NOTIFICATION_ADDED';

const prisma = openPrisma();
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const pubsub = new RedisPubSub({ publisher: new Redis(redisUrl), subscriber: new Redis(redisUrl) });

const publish = (created: NotificationEvent[]) =>
  Promise.all(created.map((n) => pubsub.publish(TOPIC, { notificationAdded: n })));

const schema = makeExecutableSchema<Context>({
  typeDefs: SDL,
  resolvers: {
    Query: { ok: () => true },
    Mutation: {
      createComment: async (
        _: unknown,
        args: { input: { postId: string; text: string } },
        ctx: Context,
      ) => {
        const { comment, created } = await createComment(prisma, benchUser(ctx.userId), args.input);
        await publish(created);
        return comment;
      },
      createPost: async (
        _: unknown,
        args: { input: { title: string; body: string } },
        ctx: Context,
      ) => {
        const { post, created } = await createPost(prisma, benchUser(ctx.userId), args.input);
        await publish(created);
        return post;
      },
    },
    Subscription: {
      notificationAdded: {
        subscribe: withFilter(
          () => pubsub.asyncIterator<{ notificationAdded: NotificationEvent }>(TOPIC),
          (payload, _args, ctx?: Context) => payload?.notificationAdded.recipientId === ctx?.userId,
        ),
      },
    },
  },
});

const app = express();
const httpServer = createServer(app);
const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
const serverCleanup = useServer<{ userId?: unknown }>(
  { schema, context: (ctx) => ({ userId: benchUser(ctx.connectionParams?.userId) }) },
  wsServer,
);
const server = new ApolloServer<Context>({
  schema,
  plugins: [
    ApolloServerPluginDrainHttpServer({ httpServer }),
    {
      async serverWillStart() {
        return {
          async drainServer() {
            await serverCleanup.dispose();
          },
        };
      },
    },
  ],
});
await server.start();
app.use(
  '/graphql',
  express.json(),
  expressMiddleware(server, {
    context: async ({ req }) => ({ userId: Number(req.headers['x-user-id']) }),
  }),
);
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  announce((httpServer.address() as AddressInfo).port);
});
process.on('SIGTERM', () => {
  server.stop().finally(() => process.exit(0));
});
