// Peer 4, the floor: what delivery costs with no GraphQL and no database. A bare
// ws server speaking just enough graphql-transport-ws (init, ack, subscribe,
// next, ping) and relaying frames that were serialized once, at publish time,
// from one Redis channel per user. Its "mutations" parse the same HTTP request
// and publish the same notification JSON, without storing anything.
//
// Bench conventions stand in for the database: user N is named userN and owns
// post N; a fan-out's followers are a Redis set the bench seeds (floor:followers:<id>).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { type WebSocket, WebSocketServer } from 'ws';
import { announce } from './data.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const publisher = new Redis(redisUrl, { enableAutoPipelining: true });
const subscriber = new Redis(redisUrl);
const channel = (userId: number) => `floor:user:${userId}`;

/** Local subscriptions per user: the socket and the id its client gave the operation. */
const local = new Map<number, Map<WebSocket, string>>();
let nextId = 1;

subscriber.on('messageBuffer', (name: Buffer, frame: Buffer) => {
  const userId = Number(name.toString().slice('floor:user:'.length));
  for (const [socket, id] of local.get(userId) ?? []) {
    // The payload is spliced in as it came from Redis: never parsed, never re-serialized.
    socket.send(
      Buffer.concat([
        Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`),
        frame,
        Buffer.from('}'),
      ]),
    );
  }
});

const peek = (text: string) => `${Array.from(text).slice(0, 10).join('')}...`;
const frame = (kind: string, message: string, preview: string, actor: string) =>
  JSON.stringify({
    data: {
      notificationAdded: {
        id: String(nextId++),
        kind,
        message,
        peek: preview,
        actor: { username: actor },
      },
    },
  });

async function handle(req: IncomingMessage, res: ServerResponse) {
  let body = '';
  for await (const chunk of req) body += chunk;
  const viewer = Number(req.headers['x-user-id']);
  const { query, variables } = JSON.parse(body || '{}') as {
    query?: string;
    variables?: { input?: { postId?: string; text?: string; title?: string } };
  };
  const input = variables?.input ?? {};
  let data: unknown;
  if (query?.includes('createComment')) {
    const recipient = Number(input.postId);
    if (recipient !== viewer) {
      const payload = frame(
        'COMMENT_ON_POST',
        `user${viewer} commented on your post.`,
        peek(input.text ?? ''),
        `user${viewer}`,
      );
      await publisher.publish(channel(recipient), payload);
    }
    data = { createComment: { id: String(nextId) } };
  } else if (query?.includes('createPost')) {
    const followers = await publisher.smembers(`floor:followers:${viewer}`);
    const pipeline = publisher.pipeline();
    for (const follower of followers) {
      pipeline.publish(
        channel(Number(follower)),
        frame(
          'NEW_POST_BY_FOLLOWED',
          `user${viewer} published a new post.`,
          peek(input.title ?? ''),
          `user${viewer}`,
        ),
      );
    }
    await pipeline.exec();
    data = { createPost: { id: String(nextId) } };
  } else {
    data = { ok: true };
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
}

const httpServer = createServer((req, res) => {
  handle(req, res).catch((error) => {
    res.writeHead(500).end(JSON.stringify({ errors: [{ message: String(error) }] }));
  });
});
const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
wss.on('connection', (socket) => {
  let userId = 0;
  socket.on('message', (raw) => {
    const message = JSON.parse(raw.toString()) as {
      type: string;
      id?: string;
      payload?: { userId?: unknown };
    };
    if (message.type === 'connection_init') {
      userId = Number(message.payload?.userId);
      socket.send('{"type":"connection_ack"}');
    } else if (message.type === 'ping') {
      socket.send('{"type":"pong"}');
    } else if (message.type === 'subscribe' && userId > 0 && message.id) {
      let sockets = local.get(userId);
      if (!sockets) {
        sockets = new Map();
        local.set(userId, sockets);
        void subscriber.subscribe(channel(userId));
      }
      sockets.set(socket, message.id);
    }
  });
  socket.on('close', () => {
    const sockets = local.get(userId);
    if (!sockets?.delete(socket) || sockets.size > 0) return;
    local.delete(userId);
    void subscriber.unsubscribe(channel(userId));
  });
});
httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  announce((httpServer.address() as AddressInfo).port);
});
process.on('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  httpServer.close(() => process.exit(0));
});
