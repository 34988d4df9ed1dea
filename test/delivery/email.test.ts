// Email as the contract describes it, received by a real SMTP server: one email per
// comment, digests of new posts, stable Message-IDs, one-click unsubscribe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/clients.js';
import { deliveriesOf, fastDelivery, Preferences, settledDeliveries } from '../helpers/delivery.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import { comment, createPost, follow, signUp } from '../helpers/users.js';

let server: TestServer;
let sink: SmtpSink;
let base: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  server = await startServer(fastDelivery(sink.url));
  base = server.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await server?.stop();
  await sink?.close();
});

const unsubscribeUrl = (header: string | undefined) => {
  const match = /^<(http[^>]+)>$/.exec(header ?? '');
  if (!match?.[1]) throw new Error(`no List-Unsubscribe URL in ${header}`);
  return match[1];
};
const oneClick = (url: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });

describe('comment emails', () => {
  it('emails the post author each comment, with the contract subject, body and headers', async () => {
    const author = await signUp(server.url, 'author');
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, author, 'Hello <world> post');
    await comment(server.url, commenter, post.id, 'Welcome aboard, Alice!');

    const mail = await sink.take((m) => m.to === author.email, 'the comment email');
    expect(mail.subject).toBe(`${commenter.username} commented on your post.`);
    expect(mail.text).toContain('Welcome ab...');
    expect(mail.text).toContain('Hello <world> post');
    expect(mail.text).toContain(`${base}/posts/${post.id}`);
    expect(mail.html).toContain('Hello &lt;world&gt; post');
    expect(mail.html).toContain(`href="${base}/posts/${post.id}"`);
    expect(mail.header('from')).toBe('Notify <notify@test.example>');
    expect(mail.messageId).toMatch(/^<delivery-\d+\.[\w-]+@test\.example>$/);
    expect(unsubscribeUrl(mail.header('list-unsubscribe'))).toMatch(
      new RegExp(`^${base}/unsubscribe\\?token=`),
    );
    expect(mail.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');

    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ channel: 'EMAIL', status: 'SENT', attempts: 1, lastError: null }),
    ]);
  });

  it('records no email for the commenter, and none for a comment on their own post', async () => {
    const author = await signUp(server.url, 'loner');
    const post = await createPost(server.url, author);
    await comment(server.url, author, post.id, 'note to self');
    expect(await deliveriesOf(server.url, author)).toEqual([]);
  });
});

describe('one-click unsubscribe', () => {
  it('turns EMAIL off for that kind on every POST of the link, and refuses an altered token', async () => {
    const author = await signUp(server.url, 'unsub');
    const commenter = await signUp(server.url, 'chatty');
    const post = await createPost(server.url, author);
    await comment(server.url, commenter, post.id, 'first comment');
    const mail = await sink.take((m) => m.to === author.email, 'the first comment email');
    const url = unsubscribeUrl(mail.header('list-unsubscribe'));

    const token = new URL(url).searchParams.get('token') ?? '';
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const otherKind = token.replace('COMMENT_ON_POST', 'NEW_POST_BY_FOLLOWED');
    for (const altered of [flipped, otherKind, `${token}x`, '']) {
      const response = await oneClick(`${base}/unsubscribe?token=${encodeURIComponent(altered)}`);
      expect(response.status, altered).toBe(400);
    }
    const noBody = await fetch(url, { method: 'POST' });
    expect(noBody.status).toBe(400);
    let prefs = await ok(server.url, Preferences, {}, author.token);
    expect(prefs.notificationPreferences).toContainEqual({
      kind: 'COMMENT_ON_POST',
      channel: 'EMAIL',
      enabled: true,
    });

    expect((await oneClick(url)).status).toBe(200);
    expect((await oneClick(url)).status).toBe(200);
    prefs = await ok(server.url, Preferences, {}, author.token);
    expect(prefs.notificationPreferences).toContainEqual({
      kind: 'COMMENT_ON_POST',
      channel: 'EMAIL',
      enabled: false,
    });
    // Only that kind: new posts by people the author follows still email.
    expect(prefs.notificationPreferences).toContainEqual({
      kind: 'NEW_POST_BY_FOLLOWED',
      channel: 'EMAIL',
      enabled: true,
    });

    await comment(server.url, commenter, post.id, 'second comment');
    const [newest] = await deliveriesOf(server.url, author);
    expect(newest?.message).toBe(`${commenter.username} commented on your post.`);
    expect(newest?.deliveries).toEqual([]);
  });

  it('shows a confirmation button on GET instead of unsubscribing', async () => {
    const author = await signUp(server.url, 'getter');
    const commenter = await signUp(server.url, 'poker');
    const post = await createPost(server.url, author);
    await comment(server.url, commenter, post.id, 'hello');
    const mail = await sink.take((m) => m.to === author.email, 'the comment email');
    const response = await fetch(unsubscribeUrl(mail.header('list-unsubscribe')));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('method="post"');
    const prefs = await ok(server.url, Preferences, {}, author.token);
    expect(prefs.notificationPreferences).toContainEqual({
      kind: 'COMMENT_ON_POST',
      channel: 'EMAIL',
      enabled: true,
    });
  });
});

describe('new post digests', () => {
  it('sends one email per window listing every new post, and opens a new window afterwards', async () => {
    const reader = await signUp(server.url, 'reader');
    const authors = await Promise.all([1, 2, 3].map(() => signUp(server.url, 'poster')));
    for (const author of authors) await follow(server.url, reader, author);
    const titles = ['First story here', 'Second story here', 'Third story here'];
    for (const [i, author] of authors.entries()) {
      await createPost(server.url, author, titles[i]);
    }

    const digest = await sink.take((m) => m.to === reader.email, 'the first digest');
    expect(digest.subject).toBe('3 new posts from people you follow');
    for (const author of authors) {
      expect(digest.text).toContain(`${author.username} published a new post.`);
    }
    for (const peek of ['First stor...', 'Second sto...', 'Third stor...']) {
      expect(digest.text).toContain(peek);
    }
    const listed = await settledDeliveries(server.url, reader);
    expect(listed).toHaveLength(3);
    for (const n of listed) {
      expect(n.deliveries).toEqual([
        expect.objectContaining({ channel: 'EMAIL', status: 'SENT', attempts: 1 }),
      ]);
      expect(digest.text).toContain(`${base}/posts/${n.post?.id}`);
    }

    // The window has closed: the next post opens a new one, with a digest of its own.
    await createPost(server.url, authors[0] as (typeof authors)[0], 'Fourth story here');
    const next = await sink.take((m) => m.to === reader.email, 'the second digest');
    expect(next.subject).toBe('1 new post from people you follow');
    expect(next.text).toContain('Fourth sto...');
    expect(next.text).not.toContain('First stor...');
    expect(next.messageId).not.toBe(digest.messageId);
    await settledDeliveries(server.url, reader);
    expect(sink.accepted().filter((m) => m.to === reader.email)).toHaveLength(2);
  });
});
