// PostgreSQL goes away and comes back under a running instance.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs, request } from '../helpers/clients.js';
import { type Instance, startInstance } from '../helpers/instances.js';
import { CreatePost, NotificationAdded, UnreadCountChanged } from '../helpers/operations.js';
import { type Service, sleep, startPostgres } from '../helpers/services.js';
import { signUp } from '../helpers/users.js';

// Its own PostgreSQL server, since this file stops it.
let postgres: Service;
let instance: Instance;

beforeAll(async () => {
  postgres = await startPostgres();
  instance = await startInstance({ DATABASE_URL: postgres.url });
});

afterAll(async () => {
  await instance?.stop();
  await postgres?.stop();
});

const readyStatus = async () => (await fetch(instance.url.replace('/graphql', '/ready'))).status;

describe('a database outage', () => {
  it('fails mutations and subscriptions with a masked error, keeps sockets open, and recovers by itself', async () => {
    const user = await signUp(instance.url, 'patient');
    const socket = connectWs(instance.wsUrl, user.token);
    // Connected and acknowledged before the outage: a live subscription has answered.
    await socket.subscribe(UnreadCountChanged).results.next('first count');
    const input = { input: { title: 'During the outage', body: '' } };
    expect(await readyStatus()).toBe(200);

    await postgres.pause();
    const failed = await request(instance.url, CreatePost, input, user.token);
    expect(failed.data ?? null).toBeNull();
    expect(failed.errors?.[0]?.message).toBe('Unexpected error.');
    expect(JSON.stringify(failed)).not.toMatch(/ECONNREFUSED|postgres|SELECT|INSERT|stack/i);
    expect(await readyStatus()).toBe(503);
    expect(await Promise.race([socket.closed, sleep(100).then(() => 'open')])).toBe('open');

    // A subscription that reads the database to start (`since`) fails over the
    // socket with the same masked error, and the socket stays open.
    const refused = await new Promise<unknown>((resolve) =>
      socket.client.subscribe(
        {
          query: print(NotificationAdded),
          variables: { since: encodeGlobalID('Notification', '1') },
        },
        { next: resolve, error: resolve, complete: () => resolve('completed') },
      ),
    );
    expect(refused).toEqual([expect.objectContaining({ message: 'Unexpected error.' })]);
    expect(JSON.stringify(refused)).not.toMatch(/ECONNREFUSED|postgres|prisma|SELECT|stack/i);
    expect(await Promise.race([socket.closed, sleep(100).then(() => 'open')])).toBe('open');

    await postgres.resume();
    // The pool reconnects on demand: no restart of the instance.
    let status = 503;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = await readyStatus();
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
    const after = await request(instance.url, CreatePost, input, user.token);
    expect(after.errors).toBeUndefined();
    expect(after.data?.createPost.title).toBe('During the outage');
    await socket.dispose();
  });
});
