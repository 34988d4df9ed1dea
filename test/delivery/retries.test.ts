// Failures as the contract wants them handled: retried with backoff until the mail
// server accepts, given up after DELIVERY_MAX_ATTEMPTS or at once on a permanent
// refusal, each failure logged and counted, and nothing else held up meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs, type WsConnection } from '../helpers/clients.js';
import { fastDelivery, settledDeliveries } from '../helpers/delivery.js';
import { NotificationAdded } from '../helpers/operations.js';
import { metric, scrape } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/services.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { comment, createPost, seedNotification, signUp } from '../helpers/users.js';

let server: TestServer;
let sink: SmtpSink;
const refusals = new Map<string, { code: number; times: number }>();
const sockets: WsConnection[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  // Refuse listed recipients a given number of times, then accept.
  sink.answer((mail) => {
    const rule = refusals.get(mail.to);
    if (!rule || rule.times === 0) return undefined;
    rule.times -= 1;
    return rule.code;
  });
  server = await startServer(fastDelivery(sink.url));
});
afterAll(async () => {
  for (const socket of sockets) await socket.dispose();
  await server?.stop();
  await sink?.close();
});

/** A post of `author` and a comment on it by someone else: one email for the author. */
async function commentFor(url: string, text = 'a comment') {
  const author = await signUp(url, 'author');
  const commenter = await signUp(url, 'commenter');
  const post = await createPost(url, author);
  await comment(url, commenter, post.id, text);
  return author;
}

describe('retries', () => {
  it('retries a 451 until the server accepts, with the same Message-ID each time', async () => {
    const author = await signUp(server.url, 'patient');
    refusals.set(author.email, { code: 451, times: 2 });
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, author);
    await comment(server.url, commenter, post.id, 'try again later');

    const mail = await sink.take((m) => m.to === author.email, 'the email after two refusals');
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({
        channel: 'EMAIL',
        status: 'SENT',
        attempts: 3,
        lastError: 'SMTP 451',
      }),
    ]);
    const attempts = sink.seen().filter((m) => m.to === author.email);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((m) => m.messageId))).toEqual(new Set([mail.messageId]));
  });

  it('fails at once on a permanent refusal (5xx)', async () => {
    const author = await signUp(server.url, 'bounced');
    refusals.set(author.email, { code: 550, times: 100 });
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, author);
    await comment(server.url, commenter, post.id, 'nobody home');
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ status: 'FAILED', attempts: 1, lastError: 'SMTP 550' }),
    ]);
  });

  it('gives up after DELIVERY_MAX_ATTEMPTS while other emails go out', async () => {
    const doomed = await signUp(server.url, 'doomed');
    refusals.set(doomed.email, { code: 451, times: 1_000 });
    const commenter = await signUp(server.url, 'commenter');
    const doomedPost = await createPost(server.url, doomed);
    await comment(server.url, commenter, doomedPost.id, 'never arrives');
    const lucky = await commentFor(server.url, 'arrives fine');

    await sink.take((m) => m.to === lucky.email, "another user's email");
    const [notification] = await settledDeliveries(server.url, doomed);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ status: 'FAILED', attempts: 3, lastError: 'SMTP 451' }),
    ]);
    expect(sink.accepted().filter((m) => m.to === doomed.email)).toEqual([]);

    // An operator sees it: counted per channel, and logged without the address.
    const metrics = await scrape(server.url);
    expect(metric(metrics, 'deliveries_failed_total', { channel: 'EMAIL' })).toBeGreaterThan(0);
    expect(metric(metrics, 'deliveries_sent_total', { channel: 'EMAIL' })).toBeGreaterThan(0);
    expect(metric(metrics, 'deliveries_attempted_total', { channel: 'EMAIL' })).toBeGreaterThan(0);
    expect(metrics).toContain('delivery_queue_depth');
    const failures = server.logs().filter((line) => line.includes('delivery attempt failed'));
    expect(failures.some((line) => line.includes('"final":true'))).toBe(true);
    expect(server.logs().join('\n')).not.toContain(doomed.email);
  });
});

describe('a mail server that is down', () => {
  it('fails after the last attempt, while notifications still arrive live', async () => {
    const down = await startServer(fastDelivery(`smtp://127.0.0.1:${await freePort()}`));
    try {
      const author = await signUp(down.url, 'offline');
      const socket = connectWs(down.wsUrl, author.token);
      sockets.push(socket);
      const live = socket.subscribe(NotificationAdded, {
        since: await seedNotification(down.url, author),
      });
      const commenter = await signUp(down.url, 'commenter');
      const post = await createPost(down.url, author, 'Still here');
      await comment(down.url, commenter, post.id, 'live anyway');
      const pushed = await live.results.next('the live notification');
      expect(pushed.data?.notificationAdded.peek).toBe('live anywa...');

      const list = await settledDeliveries(down.url, author);
      expect(list).toHaveLength(2);
      for (const n of list) {
        expect(n.deliveries).toEqual([
          expect.objectContaining({
            status: 'FAILED',
            attempts: 3,
            lastError: 'connection refused',
          }),
        ]);
      }
    } finally {
      await down.stop();
    }
  }, 120_000); // it starts a server of its own
});
