// Deliveries outlive the process that recorded them: a server stopped with work
// pending, started again on the same database, sends everything, and once.
import { afterAll, describe, expect, it } from 'vitest';
import {
  copiesPerMessageId,
  deliveriesOf,
  fastDelivery,
  settledDeliveries,
  sharedDatabase,
} from '../helpers/delivery.js';
import { eventually } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/services.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { comment, createPost, follow, signUp } from '../helpers/users.js';

// Servers start inside these tests (a restart, a second instance): room for a busy machine.
const SLOW = 120_000;
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('a restart', () => {
  it(
    'sends what was pending when the server stopped, each email once',
    async () => {
      const database = await sharedDatabase();
      cleanups.push(database.drop);
      // Nothing listens on this port yet: every attempt before the restart fails.
      const port = await freePort();
      const env = {
        ...database.env,
        ...fastDelivery(`smtp://127.0.0.1:${port}`, {
          DELIVERY_MAX_ATTEMPTS: '50',
          DELIVERY_RETRY_BASE_MS: '100',
        }),
      };
      const first: TestServer = await startServer(env);
      const authors = await Promise.all([1, 2, 3].map(() => signUp(first.url, 'author')));
      const commenter = await signUp(first.url, 'commenter');
      for (const author of authors) {
        const post = await createPost(first.url, author);
        await comment(first.url, commenter, post.id, 'pending comment');
      }
      const reader = await signUp(first.url, 'reader');
      await follow(first.url, reader, commenter);
      await createPost(first.url, commenter, 'Pending news');
      // Every comment email has failed at least once: they are waiting for a retry.
      for (const author of authors) {
        await eventually(
          () => deliveriesOf(first.url, author),
          (list) => list[0]?.deliveries[0]?.lastError === 'connection refused',
          20_000,
        );
      }
      const before = await deliveriesOf(first.url, reader);
      expect(before[0]?.deliveries).toEqual([expect.objectContaining({ status: 'PENDING' })]);
      await first.stop();

      const sink: SmtpSink = await startSmtpSink(port);
      cleanups.push(() => sink.close());
      const second = await startServer(env);
      cleanups.push(() => second.stop());
      for (const author of authors) {
        await sink.take((m) => m.to === author.email, "an author's comment email");
        const [notification] = await settledDeliveries(second.url, author);
        expect(notification?.deliveries).toEqual([expect.objectContaining({ status: 'SENT' })]);
      }
      const digest = await sink.take((m) => m.to === reader.email, "the reader's digest");
      expect(digest.subject).toBe('1 new post from people you follow');
      await settledDeliveries(second.url, reader);

      expect(sink.accepted()).toHaveLength(4);
      expect([...copiesPerMessageId(sink.accepted()).values()]).toEqual([1, 1, 1, 1]);
    },
    SLOW,
  );
});
