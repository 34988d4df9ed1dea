// Webhooks as a user's service receives them: signed the Standard Webhooks way
// (verified by the `standardwebhooks` package on a real receiver), the contract's
// body with global ids, retried with the same webhook-id, one delivery per
// endpoint, and the endpoint list the user manages.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  fastChannels,
  WebhookEndpoints,
} from '../helpers/channels.js';
import { ok, request } from '../helpers/clients.js';
import { deliveriesOf, setPreference, settledDeliveries } from '../helpers/delivery.js';
import { eventually, metric, scrape } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { comment, createPost, signUp, type TestUser } from '../helpers/users.js';
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.js';

let server: TestServer;
let sink: WebhookSink;

beforeAll(async () => {
  sink = await startWebhookSink();
  server = await startServer(fastChannels());
});
afterAll(async () => {
  await sink?.close();
  await server?.stop();
});

let names = 0;
/** Registers a sink endpoint for `user`; the sink will verify with its secret. */
async function endpointFor(user: TestUser) {
  const name = `ep${++names}`;
  const data = await ok(server.url, CreateWebhookEndpoint, { url: sink.url(name) }, user.token);
  sink.trust(name, data.createWebhookEndpoint.secret);
  return { name, ...data.createWebhookEndpoint };
}

/** A post by `author` and a comment on it by someone else. */
async function commentOn(author: TestUser, text = 'Nice post, really') {
  const commenter = await signUp(server.url, 'commenter');
  const post = await createPost(server.url, author, 'Webhook post');
  const created = await comment(server.url, commenter, post.id, text);
  return { commenter, post, comment: created };
}

describe('createWebhookEndpoint', () => {
  it('returns a Standard Webhooks secret once and lists the endpoint without it', async () => {
    const user = await signUp(server.url, 'hooker');
    const created = await endpointFor(user);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const bytes = Buffer.from(created.secret.slice('whsec_'.length), 'base64').length;
    expect(bytes).toBeGreaterThanOrEqual(24);
    expect(bytes).toBeLessThanOrEqual(64);
    const list = await ok(server.url, WebhookEndpoints, {}, user.token);
    expect(list.webhookEndpoints).toEqual([created.endpoint]);
    expect(JSON.stringify(list)).not.toContain(created.secret);
  });

  it('refuses a sixth endpoint with BAD_USER_INPUT on url', async () => {
    const user = await signUp(server.url, 'many');
    for (let i = 0; i < 5; i++) await endpointFor(user);
    const sixth = await request(
      server.url,
      CreateWebhookEndpoint,
      { url: sink.url('x') },
      user.token,
    );
    expect(sixth.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
  });

  it('refuses anonymous callers and malformed URLs', async () => {
    const anonymous = await request(server.url, CreateWebhookEndpoint, { url: sink.url('a') });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const user = await signUp(server.url, 'sloppy');
    for (const url of ['not a url', 'ftp://127.0.0.1/x', 'file:///etc/passwd']) {
      const result = await request(server.url, CreateWebhookEndpoint, { url }, user.token);
      expect(result.errors?.[0]?.extensions, url).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'url',
      });
    }
  });
});

describe('deleteWebhookEndpoint', () => {
  it("deletes the viewer's own and answers NOT_FOUND for anyone else's", async () => {
    const owner = await signUp(server.url, 'owner');
    const stranger = await signUp(server.url, 'stranger');
    const { endpoint } = await endpointFor(owner);
    const theirs = await request(
      server.url,
      DeleteWebhookEndpoint,
      { id: endpoint.id },
      stranger.token,
    );
    expect(theirs.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const mine = await ok(server.url, DeleteWebhookEndpoint, { id: endpoint.id }, owner.token);
    expect(mine.deleteWebhookEndpoint).toBe(endpoint.id);
    expect((await ok(server.url, WebhookEndpoints, {}, owner.token)).webhookEndpoints).toEqual([]);
    const again = await request(
      server.url,
      DeleteWebhookEndpoint,
      { id: endpoint.id },
      owner.token,
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('delivery', () => {
  it('POSTs the notification signed, with the contract body and global ids', async () => {
    const author = await signUp(server.url, 'author');
    const { name, secret } = await endpointFor(author);
    const { commenter, post, comment: created } = await commentOn(author, 'Hello from the hook');

    const got = await sink.take((r) => r.path.endsWith(`/${name}`), 'the webhook');
    expect(got.payload, 'verified with the endpoint secret').not.toBeNull();
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toMatch(/^msg_/);
    expect(got.headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const [notification] = await deliveriesOf(server.url, author);
    const body = JSON.parse(got.body);
    expect(body).toEqual({
      type: 'notification.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        id: notification?.id,
        kind: 'COMMENT_ON_POST',
        message: `${commenter.username} commented on your post.`,
        peek: 'Hello from...',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        actor: { id: commenter.id, username: commenter.username },
        post: { id: post.id, title: 'Webhook post' },
        comment: { id: created.id, text: 'Hello from the hook' },
      },
    });

    // What a receiver relies on: another secret, or a changed body, fails verification.
    const headers = got.headers;
    expect(new Webhook(secret).verify(got.body, headers)).toEqual(body);
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => new Webhook(other).verify(got.body, headers)).toThrow();
    const altered = got.body.replace('Hello from the hook', 'Hello from a forger');
    expect(altered).not.toBe(got.body);
    expect(() => new Webhook(secret).verify(altered, headers)).toThrow();
    const [settled] = await settledDeliveries(server.url, author);
    expect(settled?.deliveries).toEqual([
      expect.objectContaining({ channel: 'WEBHOOK', status: 'SENT', attempts: 1, lastError: null }),
    ]);
  });

  it('retries a 500 with the same webhook-id until a 2xx', async () => {
    const author = await signUp(server.url, 'flaky');
    const { name } = await endpointFor(author);
    let failures = 2;
    sink.answer(name, () => (failures-- > 0 ? 500 : 204));
    await commentOn(author);
    await sink.take((r) => r.path.endsWith(`/${name}`) && r.status === 204, 'the accepted webhook');
    const attempts = sink.received(name);
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 204]);
    expect(new Set(attempts.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(attempts.every((r) => r.payload !== null)).toBe(true);
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({
        channel: 'WEBHOOK',
        status: 'SENT',
        attempts: 3,
        lastError: 'HTTP 500',
      }),
    ]);
  });

  it('sends to every endpoint once, retrying only the failing one', async () => {
    const author = await signUp(server.url, 'two');
    const good = await endpointFor(author);
    const bad = await endpointFor(author);
    sink.answer(bad.name, () => 503);
    await commentOn(author);
    const [notification] = await settledDeliveries(server.url, author);
    const byStatus = notification?.deliveries.map((d) => `${d.channel} ${d.status} ${d.attempts}`);
    expect(byStatus?.sort()).toEqual(['WEBHOOK FAILED 4', 'WEBHOOK SENT 1']);
    expect(sink.received(good.name)).toHaveLength(1);
    expect(sink.received(bad.name)).toHaveLength(4);
    const metrics = await scrape(server.url);
    expect(metric(metrics, 'deliveries_failed_total', { channel: 'WEBHOOK' })).toBeGreaterThan(0);
    expect(metric(metrics, 'deliveries_sent_total', { channel: 'WEBHOOK' })).toBeGreaterThan(0);
    const logs = server.logs().join('\n');
    expect(logs).toContain('"channel":"WEBHOOK"');
    expect(logs).not.toContain(bad.secret);
    expect(logs).not.toContain(sink.url(bad.name));
  });

  it('sends nothing with WEBHOOK off for the kind, and nothing to a deleted endpoint', async () => {
    const quiet = await signUp(server.url, 'quiet');
    const { name } = await endpointFor(quiet);
    await setPreference(server.url, quiet, 'COMMENT_ON_POST', 'WEBHOOK', false);
    await commentOn(quiet);
    const deleter = await signUp(server.url, 'deleter');
    const gone = await endpointFor(deleter);
    await ok(server.url, DeleteWebhookEndpoint, { id: gone.endpoint.id }, deleter.token);
    await commentOn(deleter);
    // A marker notification proves the worker ran past both.
    const marker = await signUp(server.url, 'marker');
    const markerEndpoint = await endpointFor(marker);
    await commentOn(marker);
    await sink.take((r) => r.path.endsWith(`/${markerEndpoint.name}`), 'the marker webhook');
    expect(sink.received(name)).toEqual([]);
    expect(sink.received(gone.name)).toEqual([]);
    const [quietOne] = await deliveriesOf(server.url, quiet);
    expect(quietOne?.deliveries).toEqual([]);
    const [deleted] = await deliveriesOf(server.url, deleter);
    expect(deleted?.deliveries).toEqual([]);
  });
});

describe('an endpoint deleted while its delivery is pending', () => {
  it('fails that delivery for good at its next attempt', async () => {
    const author = await signUp(server.url, 'leaving');
    const { name, endpoint } = await endpointFor(author);
    sink.answer(name, () => 'hang');
    await commentOn(author);
    await sink.take((r) => r.path.endsWith(`/${name}`), 'the first, unanswered attempt');
    await ok(server.url, DeleteWebhookEndpoint, { id: endpoint.id }, author.token);
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ status: 'FAILED', attempts: 2, lastError: 'endpoint deleted' }),
    ]);
    expect(sink.received(name)).toHaveLength(1);
  });
});

describe('an endpoint that answers without end', () => {
  it('is SENT on its 200 after reading only the start of the body', async () => {
    const author = await signUp(server.url, 'chatty');
    const { name } = await endpointFor(author);
    sink.answer(name, () => 'flood');
    await commentOn(author);
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ channel: 'WEBHOOK', status: 'SENT', attempts: 1 }),
    ]);
  });
});

describe('an endpoint that never answers', () => {
  it('times out, and is given up on after the last attempt', async () => {
    const author = await signUp(server.url, 'silent');
    const { name } = await endpointFor(author);
    sink.answer(name, () => 'hang');
    await commentOn(author);
    const [notification] = await eventually(
      () => deliveriesOf(server.url, author),
      (list) => list[0]?.deliveries[0]?.status === 'FAILED',
      60_000,
    );
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ status: 'FAILED', attempts: 4, lastError: 'timeout' }),
    ]);
  }, 60_000);
});
