// Where the VAPID pair comes from when none is configured: made once and kept
// with the embedded database (a new pair would orphan every subscribed browser),
// and with DATABASE_URL none at all, so Web Push is off and nothing is recorded.
import { expect, inject, it } from 'vitest';
import { WebPushPublicKey } from '../helpers/channels.js';
import { ok } from '../helpers/clients.js';
import { sharedDatabase } from '../helpers/delivery.js';
import { startServer } from '../helpers/server.js';

const onPostgres = Boolean(inject('postgresUrl'));

it.runIf(!onPostgres)('makes a pair once on the embedded database and keeps it', async () => {
  const db = await sharedDatabase();
  try {
    const first = await startServer(db.env);
    const key = (await ok(first.url, WebPushPublicKey)).webPushPublicKey;
    await first.stop();
    // An uncompressed P-256 point, base64url: what PushManager.subscribe() takes.
    expect(Buffer.from(key ?? '', 'base64url')).toHaveLength(65);
    const second = await startServer(db.env);
    try {
      expect((await ok(second.url, WebPushPublicKey)).webPushPublicKey).toBe(key);
    } finally {
      await second.stop();
    }
  } finally {
    await db.drop();
  }
});

it.runIf(onPostgres)('is off with DATABASE_URL and no VAPID keys', async () => {
  const server = await startServer();
  try {
    expect((await ok(server.url, WebPushPublicKey)).webPushPublicKey).toBeNull();
  } finally {
    await server.stop();
  }
});
