// Web Push as a browser and its push service see it: the VAPID key to subscribe
// with, an RFC 8291 message the browser's own keys decrypt, VAPID authorization
// the push service can check, TTL and Urgency, and 404/410 removing the browser.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webPush from 'web-push';
import {
  fastChannels,
  PushSubscriptions,
  RegisterPushSubscription,
  UnregisterPushSubscription,
  WebPushPublicKey,
} from '../helpers/channels.js';
import { ok, request } from '../helpers/clients.js';
import { deliveriesOf, setPreference, settledDeliveries } from '../helpers/delivery.js';
import { type Browser, type PushService, startPushService } from '../helpers/push-service.js';
import { metric, scrape } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { comment, createPost, follow, signUp, type TestUser } from '../helpers/users.js';

let server: TestServer;
let push: PushService;
const vapid = webPush.generateVAPIDKeys();

beforeAll(async () => {
  push = await startPushService();
  server = await startServer(
    fastChannels({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey }),
  );
  const key = await ok(server.url, WebPushPublicKey);
  push.trust(key.webPushPublicKey ?? '');
});
afterAll(async () => {
  await server?.stop();
  await push?.close();
});

async function subscribe(user: TestUser, browser: Browser = push.browser()) {
  const { endpoint, p256dh, auth } = browser;
  await ok(server.url, RegisterPushSubscription, { input: { endpoint, p256dh, auth } }, user.token);
  return browser;
}

async function commentOn(author: TestUser, text = 'Pushed comment') {
  const commenter = await signUp(server.url, 'commenter');
  const post = await createPost(server.url, author, 'Push post');
  await comment(server.url, commenter, post.id, text);
  return { commenter, post };
}

describe('webPushPublicKey', () => {
  it('is the configured VAPID public key', async () => {
    expect((await ok(server.url, WebPushPublicKey)).webPushPublicKey).toBe(vapid.publicKey);
  });
});

describe('delivery', () => {
  it('sends an encrypted, VAPID-signed message that the browser decrypts', async () => {
    const author = await signUp(server.url, 'author');
    const browser = await subscribe(author);
    const { commenter, post } = await commentOn(author, 'Decrypt me please');
    const got = await push.take((p) => p.browser === browser.endpoint, 'the push');
    expect(got.vapidValid).toBe(true);
    expect(got.headers['content-encoding']).toBe('aes128gcm');
    expect(got.headers.ttl).toMatch(/^\d+$/);
    expect(got.headers.urgency).toBe('normal');
    const [notification] = await deliveriesOf(server.url, author);
    expect(got.message).toEqual({
      id: notification?.id,
      kind: 'COMMENT_ON_POST',
      message: `${commenter.username} commented on your post.`,
      peek: 'Decrypt me...',
      url: `https://notify.test.example/posts/${post.id}`,
    });
    const [settled] = await settledDeliveries(server.url, author);
    expect(settled?.deliveries).toEqual([
      expect.objectContaining({ channel: 'PUSH', status: 'SENT', attempts: 1, lastError: null }),
    ]);
  });

  it('sends a new post by someone followed at low urgency to every browser', async () => {
    const reader = await signUp(server.url, 'reader');
    const writer = await signUp(server.url, 'writer');
    const phone = await subscribe(reader);
    const laptop = await subscribe(reader);
    await follow(server.url, reader, writer);
    await createPost(server.url, writer, 'Fresh news today');
    for (const browser of [phone, laptop]) {
      const got = await push.take((p) => p.browser === browser.endpoint, 'a push per browser');
      expect(got.headers.urgency).toBe('low');
      expect(got.message).toMatchObject({ kind: 'NEW_POST_BY_FOLLOWED', peek: 'Fresh news...' });
    }
  });

  it('removes a browser the push service says is gone (410), and fails that delivery', async () => {
    const author = await signUp(server.url, 'gone');
    const browser = await subscribe(author);
    push.answer(browser.endpoint, 410);
    await commentOn(author);
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({
        channel: 'PUSH',
        status: 'FAILED',
        attempts: 1,
        lastError: 'HTTP 410',
      }),
    ]);
    expect((await ok(server.url, PushSubscriptions, {}, author.token)).pushSubscriptions).toEqual(
      [],
    );
    const metrics = await scrape(server.url);
    expect(metric(metrics, 'deliveries_failed_total', { channel: 'PUSH' })).toBeGreaterThan(0);
  });

  it('retries other failures, keeping the browser', async () => {
    const author = await signUp(server.url, 'retry');
    const browser = await subscribe(author);
    push.answer(browser.endpoint, 503);
    await commentOn(author);
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ status: 'FAILED', attempts: 4, lastError: 'HTTP 503' }),
    ]);
    expect(push.received().filter((p) => p.browser === browser.endpoint)).toHaveLength(4);
    const list = await ok(server.url, PushSubscriptions, {}, author.token);
    expect(list.pushSubscriptions.map((s) => s.endpoint)).toEqual([browser.endpoint]);
    // The browser's keys and the VAPID private key never reach a log.
    const logs = server.logs().join('\n');
    expect(logs).toContain('"channel":"PUSH"');
    for (const secret of [browser.auth, browser.p256dh, vapid.privateKey, browser.endpoint]) {
      expect(logs).not.toContain(secret);
    }
  });

  it('sends nothing with PUSH off for the kind', async () => {
    const author = await signUp(server.url, 'nopush');
    const browser = await subscribe(author);
    await setPreference(server.url, author, 'COMMENT_ON_POST', 'PUSH', false);
    await commentOn(author);
    const marker = await signUp(server.url, 'marker');
    const markerBrowser = await subscribe(marker);
    await commentOn(marker);
    await push.take((p) => p.browser === markerBrowser.endpoint, 'the marker push');
    expect(push.received().filter((p) => p.browser === browser.endpoint)).toEqual([]);
    const [notification] = await deliveriesOf(server.url, author);
    expect(notification?.deliveries).toEqual([]);
  });
});

describe('registerPushSubscription', () => {
  it('replaces the keys when an endpoint registers again, and unregisters', async () => {
    const user = await signUp(server.url, 'again');
    const first = await subscribe(user);
    const renewed = push.browser();
    const again = { ...renewed, endpoint: first.endpoint };
    await subscribe(user, again);
    const list = await ok(server.url, PushSubscriptions, {}, user.token);
    expect(list.pushSubscriptions.map((s) => s.endpoint)).toEqual([first.endpoint]);
    const gone = await ok(
      server.url,
      UnregisterPushSubscription,
      { endpoint: first.endpoint },
      user.token,
    );
    expect(gone.unregisterPushSubscription).toBe(true);
    const twice = await ok(
      server.url,
      UnregisterPushSubscription,
      { endpoint: first.endpoint },
      user.token,
    );
    expect(twice.unregisterPushSubscription).toBe(false);
  });

  it('moves an endpoint to the user who registers it last', async () => {
    const before = await signUp(server.url, 'before');
    const after = await signUp(server.url, 'after');
    const browser = await subscribe(before);
    await subscribe(after, browser);
    expect((await ok(server.url, PushSubscriptions, {}, before.token)).pushSubscriptions).toEqual(
      [],
    );
    const theirs = await ok(
      server.url,
      UnregisterPushSubscription,
      { endpoint: browser.endpoint },
      before.token,
    );
    expect(theirs.unregisterPushSubscription).toBe(false);
  });

  it('refuses a 21st browser, and keys that are not a P-256 point and 16 bytes', async () => {
    const user = await signUp(server.url, 'devices');
    for (let i = 0; i < 20; i++) await subscribe(user);
    const { endpoint, p256dh, auth } = push.browser();
    const extra = await request(
      server.url,
      RegisterPushSubscription,
      { input: { endpoint, p256dh, auth } },
      user.token,
    );
    expect(extra.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'endpoint',
    });

    const other = await signUp(server.url, 'keys');
    const cases = [
      { input: { endpoint, p256dh: 'AAAA', auth }, field: 'p256dh' },
      { input: { endpoint, p256dh: `${p256dh}!`, auth }, field: 'p256dh' },
      { input: { endpoint, p256dh, auth: Buffer.alloc(8).toString('base64url') }, field: 'auth' },
      { input: { endpoint: 'not a url', p256dh, auth }, field: 'endpoint' },
    ];
    for (const { input, field } of cases) {
      const result = await request(server.url, RegisterPushSubscription, { input }, other.token);
      expect(result.errors?.[0]?.extensions, field).toMatchObject({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
  });
});
