// Several instances on one PostgreSQL share the delivery queue: each email is sent
// by one of them, once; work held by a process that dies is taken up by another
// once its lease runs out, and a digest cut off mid-send repeats with its Message-ID.
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  copiesPerMessageId,
  fastDelivery,
  settledDeliveries,
  sharedDatabase,
} from '../helpers/delivery.js';
import { type Instance, startInstance } from '../helpers/instances.js';
import { startServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { comment, createPost, follow, signUp, type TestUser } from '../helpers/users.js';

// Servers start inside these tests (a restart, a second instance): room for a busy machine.
const SLOW = 120_000;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sinkAndDatabase() {
  const sink: SmtpSink = await startSmtpSink();
  const database = await sharedDatabase();
  cleanups.push(database.drop, () => sink.close());
  return { sink, database };
}

// PGlite is one process's embedded database: several instances need PostgreSQL.
describe.skipIf(!inject('postgresUrl'))('several instances', () => {
  it(
    'send each email once between them',
    async () => {
      const { sink, database } = await sinkAndDatabase();
      const env = { ...database.env, ...fastDelivery(sink.url) };
      const a = await startServer(env);
      cleanups.push(() => a.stop());
      const b = await startServer(env);
      cleanups.push(() => b.stop());

      const authors: TestUser[] = [];
      for (let i = 0; i < 6; i++) authors.push(await signUp(i % 2 ? a.url : b.url, 'author'));
      const commenter = await signUp(a.url, 'commenter');
      // Comments alternate between the instances: both workers are woken and claim.
      for (let round = 0; round < 3; round++) {
        for (const [i, author] of authors.entries()) {
          const url = (i + round) % 2 ? a.url : b.url;
          const post = await createPost(url, author, `Post ${round}`);
          await comment(url, commenter, post.id, `comment ${round}`);
        }
      }
      for (const author of authors) {
        const list = await settledDeliveries(a.url, author);
        expect(list).toHaveLength(3);
        for (const n of list) {
          expect(n.deliveries).toEqual([expect.objectContaining({ status: 'SENT', attempts: 1 })]);
        }
      }

      // A digest window fed from both instances: one email with both posts.
      const reader = await signUp(b.url, 'reader');
      const [first, second] = authors as [TestUser, TestUser];
      await follow(a.url, reader, first);
      await follow(b.url, reader, second);
      await createPost(a.url, first, 'News from a');
      await createPost(b.url, second, 'News from b');
      const digest = await sink.take((m) => m.to === reader.email, 'the digest');
      expect(digest.subject).toBe('2 new posts from people you follow');
      await settledDeliveries(b.url, reader);

      expect(sink.accepted()).toHaveLength(19);
      expect(new Set(copiesPerMessageId(sink.accepted()).values())).toEqual(new Set([1]));
    },
    SLOW,
  );

  it(
    'retake a digest from a process killed while sending it, with the same Message-ID',
    async () => {
      const { sink, database } = await sinkAndDatabase();
      const env = {
        ...database.env,
        ...fastDelivery(sink.url, { EMAIL_DIGEST_SECONDS: '1', DELIVERY_LEASE_MS: '4000' }),
      };
      const doomed: Instance = await startInstance(env);
      cleanups.push(() => doomed.stop('SIGKILL'));
      const reader = await signUp(doomed.url, 'reader');
      const author = await signUp(doomed.url, 'author');
      await follow(doomed.url, reader, author);
      sink.hold(true);
      await createPost(doomed.url, author, 'Cut off once');
      await createPost(doomed.url, author, 'Cut off twice');

      // The mail server has the digest but has not answered when the process dies.
      const cutOff = await sink.held.next('the digest being sent', 20_000);
      expect(cutOff.subject).toBe('2 new posts from people you follow');
      await doomed.stop('SIGKILL');
      sink.hold(false);

      const survivor = await startInstance(env);
      cleanups.push(() => survivor.stop());
      const sent = await sink.take((m) => m.to === reader.email, 'the digest, sent again');
      expect(sent.messageId).toBe(cutOff.messageId);
      expect(sent.subject).toBe(cutOff.subject);
      const list = await settledDeliveries(survivor.url, reader);
      expect(list).toHaveLength(2);
      for (const n of list) {
        expect(n.deliveries).toEqual([expect.objectContaining({ status: 'SENT', attempts: 2 })]);
      }
      expect(sink.accepted()).toHaveLength(1);
    },
    SLOW,
  );
});
