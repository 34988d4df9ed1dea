// No server-side request forgery. Without ALLOW_PRIVATE_DELIVERY_URLS, a webhook
// or push URL must be https and must not lead to loopback, private, link-local,
// multicast, unspecified or cloud-metadata addresses, written as an IPv4 or IPv6
// literal, as IPv4-mapped IPv6, in another notation, or as a name that resolves
// there; and the same holds at connect time, where a name is resolved once and
// the connection goes to the address that was checked.
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webPush from 'web-push';
import { postTo } from '../../src/delivery/http-post.js';
import { pinnedLookup } from '../../src/delivery/safe-url.js';
import { CreateWebhookEndpoint, RegisterPushSubscription } from '../helpers/channels.js';
import { request } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { signUp, type TestUser } from '../helpers/users.js';

let server: TestServer;
let user: TestUser;
const vapid = webPush.generateVAPIDKeys();
// A browser's keys: valid, so that only the endpoint can be what is refused.
const keys = {
  p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'),
  auth: Buffer.alloc(16, 2).toString('base64url'),
};

beforeAll(async () => {
  server = await startServer({
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
  });
  user = await signUp(server.url, 'careful');
});
afterAll(async () => {
  await server?.stop();
});

const refused: Record<string, string[]> = {
  loopback: [
    'https://127.0.0.1/hook',
    'https://127.1.2.3/hook',
    'https://[::1]/hook',
    'https://2130706433/hook', // 127.0.0.1 as one number
    'https://0x7f.0.0.1/hook',
  ],
  'a name that resolves to loopback': ['https://localhost/hook', 'https://LocalHost:8443/x'],
  private: [
    'https://10.0.0.1/hook',
    'https://172.16.5.4/hook',
    'https://192.168.1.10/hook',
    'https://100.64.0.1/hook', // carrier-grade NAT
    'https://[fd12:3456::1]/hook', // unique local
  ],
  'link-local and cloud metadata': [
    'https://169.254.169.254/latest/meta-data/',
    'https://[fe80::1]/hook',
    'https://[fd00:ec2::254]/latest/meta-data/',
    'https://100.100.100.200/latest/meta-data/',
  ],
  multicast: ['https://224.0.0.1/hook', 'https://239.255.255.250/hook', 'https://[ff02::1]/hook'],
  'unspecified and broadcast': [
    'https://0.0.0.0/hook',
    'https://[::]/hook',
    'https://255.255.255.255/hook',
  ],
  'IPv4-mapped IPv6': [
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:a9fe:a9fe]/hook', // ::ffff:169.254.169.254
    'https://[::ffff:10.1.2.3]/hook',
  ],
  'not https': ['http://93.184.215.14/hook', 'ftp://93.184.215.14/hook'],
};

describe.each(Object.entries(refused))('refuses %s', (_name, urls) => {
  it.each(urls)('as a webhook url: %s', async (url) => {
    const result = await request(server.url, CreateWebhookEndpoint, { url }, user.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'url' });
  });

  it.each(urls)('as a push endpoint: %s', async (endpoint) => {
    const input = { endpoint, ...keys };
    const result = await request(server.url, RegisterPushSubscription, { input }, user.token);
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'endpoint',
    });
  });
});

describe('says why', () => {
  it('names the address rule for a name that resolves to loopback', async () => {
    const url = 'https://localhost/hook';
    const result = await request(server.url, CreateWebhookEndpoint, { url }, user.token);
    expect(result.errors?.[0]?.message).toMatch(/public address/);
  });
});

describe('accepts', () => {
  it('an https URL on a public address', async () => {
    const result = await request(
      server.url,
      CreateWebhookEndpoint,
      { url: 'https://93.184.215.14/hooks/notify' },
      user.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createWebhookEndpoint.endpoint.url).toBe(
      'https://93.184.215.14/hooks/notify',
    );
  });
});

describe('at connect time', () => {
  let port = 0;
  let hits = 0;
  const target = createServer((_req, res) => {
    hits += 1;
    res.end('ok');
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', () => resolve()));
    port = (target.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => target.close(() => resolve()));
  });

  it('the pinned lookup refuses a name that resolves to loopback, and allows it when lifted', async () => {
    const attempt = (allowPrivate: boolean) =>
      new Promise<string>((resolve) => {
        const req = httpRequest(`http://localhost:${port}/`, {
          lookup: pinnedLookup({ allowPrivate }),
          agent: false,
        });
        req.on('error', (error) => resolve((error as { code?: string }).code ?? 'error'));
        req.on('response', (res) => {
          res.resume();
          resolve(String(res.statusCode));
        });
        req.end();
      });
    expect(await attempt(false)).toBe('EREFUSEDADDRESS');
    expect(hits).toBe(0);
    expect(await attempt(true)).toBe('200');
    expect(hits).toBe(1);
  });

  it('a delivery POST re-checks the URL before connecting', async () => {
    const policy = { allowPrivate: false };
    const post = (url: string) =>
      postTo(url, { headers: {}, body: '{}', timeoutMs: 2_000, policy }).then(
        () => 'sent',
        (error: { code?: string }) => error.code,
      );
    expect(await post(`http://127.0.0.1:${port}/`)).toBe('EREFUSEDADDRESS');
    expect(await post(`https://localhost:${port}/`)).toBe('EREFUSEDADDRESS');
    expect(hits).toBe(1);
  });
});
