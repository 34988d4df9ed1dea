// One user's endpoint that hangs must not hold up anyone else's webhooks: the
// worker never waits for a batch's slowest attempt, and caps what one recipient
// has in flight, so a backlog of hanging deliveries leaves slots for others.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CreateWebhookEndpoint, fastChannels } from '../helpers/channels.js';
import { ok } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { comment, createPost, signUp, type TestUser } from '../helpers/users.js';
import { startWebhookSink, type WebhookSink } from '../helpers/webhook-sink.js';

let server: TestServer;
let sink: WebhookSink;

beforeAll(async () => {
  sink = await startWebhookSink();
  // A deadline far longer than the test waits: only a worker that does not wait
  // for the hanging attempts can deliver the other user's webhook in time.
  server = await startServer(
    fastChannels({ DELIVERY_HTTP_TIMEOUT_MS: '120000', DELIVERY_LEASE_MS: '300000' }),
  );
});
afterAll(async () => {
  await sink?.close();
  await server?.stop();
});

async function endpoint(user: TestUser, name: string) {
  const data = await ok(server.url, CreateWebhookEndpoint, { url: sink.url(name) }, user.token);
  sink.trust(name, data.createWebhookEndpoint.secret);
}

it("delivers another user's webhook while 40 of one user's hang", async () => {
  const stuck = await signUp(server.url, 'stuck');
  await endpoint(stuck, 'stuck');
  sink.answer('stuck', () => 'hang');
  const commenter = await signUp(server.url, 'commenter');
  const post = await createPost(server.url, stuck);
  for (let i = 0; i < 40; i++) await comment(server.url, commenter, post.id, `comment ${i}`);
  // The worker has taken up the hanging ones before the other user's exists.
  await sink.take((r) => r.path.endsWith('/stuck'), 'a hanging attempt');

  const other = await signUp(server.url, 'other');
  await endpoint(other, 'other');
  const otherPost = await createPost(server.url, other);
  await comment(server.url, commenter, otherPost.id, 'you are next');
  const got = await sink.take((r) => r.path.endsWith('/other'), "the other user's webhook", 20_000);
  expect(got.payload).not.toBeNull();
  // Its backlog is still waiting: the cap left it at most a few attempts in flight.
  expect(sink.received('stuck').length).toBeLessThanOrEqual(8);
}, 60_000);
