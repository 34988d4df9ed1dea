// Preferences and mutes: what each switch changes in what reaches the viewer, on
// every channel, for notifications created while it is in force.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { connectWs, ok, request, subscribeSse, type WsConnection } from '../helpers/clients.js';
import {
  deliveriesOf,
  fastDelivery,
  MutePost,
  Preferences,
  setPreference,
  settledDeliveries,
  UnmutePost,
  UpdatePreferences,
} from '../helpers/delivery.js';
import {
  NotificationAdded,
  Notifications,
  UnreadCount,
  UnreadCountChanged,
} from '../helpers/operations.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.js';
import {
  comment,
  createPost,
  follow,
  seedNotification,
  signUp,
  type TestUser,
} from '../helpers/users.js';

const PostMuted = graphql(/* GraphQL */ `
  query PostMuted($id: ID!) {
    post(id: $id) {
      id
      viewerHasMuted
    }
  }
`);

let server: TestServer;
let sink: SmtpSink;
const sockets: WsConnection[] = [];
const closers: Array<() => void> = [];

beforeAll(async () => {
  sink = await startSmtpSink();
  server = await startServer(fastDelivery(sink.url));
});
afterAll(async () => {
  for (const close of closers) close();
  for (const socket of sockets) await socket.dispose();
  await server?.stop();
  await sink?.close();
});

const listed = async (user: TestUser) =>
  (await ok(server.url, Notifications, {}, user.token)).notifications.edges.map((e) => e.node);
const unread = async (user: TestUser) =>
  (await ok(server.url, UnreadCount, {}, user.token)).unreadNotificationCount;

describe('notificationPreferences', () => {
  it('lists every kind × channel pair, all on by default', async () => {
    const user = await signUp(server.url, 'prefs');
    const { notificationPreferences } = await ok(server.url, Preferences, {}, user.token);
    expect(notificationPreferences).toHaveLength(8);
    expect(notificationPreferences.every((p) => p.enabled)).toBe(true);
    const pairs = new Set(notificationPreferences.map((p) => `${p.kind}/${p.channel}`));
    expect(pairs.size).toBe(8);
  });

  it('sets the given pairs, the last one winning, and returns the whole list', async () => {
    const user = await signUp(server.url, 'setter');
    const data = await ok(
      server.url,
      UpdatePreferences,
      {
        input: [
          { kind: 'COMMENT_ON_POST', channel: 'EMAIL', enabled: true },
          { kind: 'NEW_POST_BY_FOLLOWED', channel: 'PUSH', enabled: false },
          { kind: 'COMMENT_ON_POST', channel: 'EMAIL', enabled: false },
        ],
      },
      user.token,
    );
    expect(data.updateNotificationPreferences).toHaveLength(8);
    const off = data.updateNotificationPreferences.filter((p) => !p.enabled);
    expect(off).toEqual([
      { kind: 'COMMENT_ON_POST', channel: 'EMAIL', enabled: false },
      { kind: 'NEW_POST_BY_FOLLOWED', channel: 'PUSH', enabled: false },
    ]);
    const again = await ok(server.url, Preferences, {}, user.token);
    expect(again.notificationPreferences).toEqual(data.updateNotificationPreferences);
  });

  it('is UNAUTHENTICATED when anonymous', async () => {
    const read = await request(server.url, Preferences, {});
    expect(read.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const write = await request(server.url, UpdatePreferences, { input: [] });
    expect(write.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('IN_APP off', () => {
  it('keeps the kind out of the list, the count and both subscriptions, and still emails it', async () => {
    const user = await signUp(server.url, 'quiet');
    const commenter = await signUp(server.url, 'talker');
    const followed = await signUp(server.url, 'followed');
    await follow(server.url, user, followed);
    const since = await seedNotification(server.url, user);
    const before = await unread(user);

    const socket = connectWs(server.wsUrl, user.token);
    sockets.push(socket);
    const added = socket.subscribe(NotificationAdded, { since });
    const counts = socket.subscribe(UnreadCountChanged);
    expect(
      (await counts.results.next('the first count')).data?.unreadNotificationCountChanged,
    ).toBe(before);
    const sse = subscribeSse(server.url, NotificationAdded, { since }, user.token);
    closers.push(() => sse.dispose());

    await setPreference(server.url, user, 'COMMENT_ON_POST', 'IN_APP', false);
    const post = await createPost(server.url, user, 'Quiet post');
    await comment(server.url, commenter, post.id, 'hidden from the app');
    // Another kind, still on, arrives after it: the streams show it and nothing before it.
    await createPost(server.url, followed, 'Visible news');

    for (const stream of [added, sse]) {
      const next = await stream.results.next('the visible notification');
      expect(next.data?.notificationAdded.kind).toBe('NEW_POST_BY_FOLLOWED');
    }
    expect(
      (await counts.results.next('the count after')).data?.unreadNotificationCountChanged,
    ).toBe(before + 1);
    expect(await unread(user)).toBe(before + 1);
    const kinds = (await listed(user)).map((n) => n.peek);
    expect(kinds).toContain('Visible ne...');
    expect(kinds).not.toContain('hidden fro...');

    // The other channels still deliver it.
    const mail = await sink.take(
      (m) => m.to === user.email && m.text.includes('hidden fro...'),
      'the hidden comment email',
    );
    expect(mail.subject).toBe(`${commenter.username} commented on your post.`);
  });

  it('applies to notifications created while it is in force, and only to those', async () => {
    const user = await signUp(server.url, 'switcher');
    const commenter = await signUp(server.url, 'talker');
    const post = await createPost(server.url, user);
    await comment(server.url, commenter, post.id, 'shown before');
    await setPreference(server.url, user, 'COMMENT_ON_POST', 'IN_APP', false);
    await comment(server.url, commenter, post.id, 'hidden while off');
    await setPreference(server.url, user, 'COMMENT_ON_POST', 'IN_APP', true);
    await comment(server.url, commenter, post.id, 'shown after');
    const peeks = (await listed(user)).map((n) => n.peek);
    expect(peeks).toEqual(['shown afte...', 'shown befo...']);
    expect(await unread(user)).toBe(2);
  });
});

describe('EMAIL off', () => {
  it('records and sends no email for the kind, which still appears in the app', async () => {
    const user = await signUp(server.url, 'noemail');
    const commenter = await signUp(server.url, 'talker');
    const followed = await signUp(server.url, 'followed');
    await follow(server.url, user, followed);
    await setPreference(server.url, user, 'COMMENT_ON_POST', 'EMAIL', false);
    await setPreference(server.url, user, 'NEW_POST_BY_FOLLOWED', 'EMAIL', false);
    const post = await createPost(server.url, user);
    await comment(server.url, commenter, post.id, 'app only');
    await createPost(server.url, followed, 'App only news');
    const list = await deliveriesOf(server.url, user);
    expect(list).toHaveLength(2);
    for (const n of list) expect(n.deliveries).toEqual([]);
  });
});

describe('a change of preference', () => {
  it('neither cancels nor hides what was created before it', async () => {
    const user = await signUp(server.url, 'late');
    const followed = await signUp(server.url, 'followed');
    await follow(server.url, user, followed);
    await createPost(server.url, followed, 'Already queued');
    // The digest window is still open when EMAIL goes off: that digest is still sent,
    // and a post made after the change joins no digest.
    await setPreference(server.url, user, 'NEW_POST_BY_FOLLOWED', 'EMAIL', false);
    await setPreference(server.url, user, 'NEW_POST_BY_FOLLOWED', 'IN_APP', false);
    await createPost(server.url, followed, 'After the change');
    const digest = await sink.take((m) => m.to === user.email, 'the digest queued before');
    expect(digest.subject).toBe('1 new post from people you follow');
    expect(digest.text).toContain('Already qu...');
    const peeks = (await listed(user)).map((n) => n.peek);
    expect(peeks).toEqual(['Already qu...']);
    const list = await settledDeliveries(server.url, user);
    expect(list.map((n) => n.deliveries.map((d) => d.status))).toEqual([['SENT']]);
  });
});

describe('muting a post', () => {
  it('stops everything about it on every channel until unmuted', async () => {
    const user = await signUp(server.url, 'muter');
    const commenter = await signUp(server.url, 'talker');
    const post = await createPost(server.url, user);
    const muted = await ok(server.url, MutePost, { postId: post.id }, user.token);
    expect(muted.mutePost).toEqual({ id: post.id, viewerHasMuted: true });
    // Idempotent.
    await ok(server.url, MutePost, { postId: post.id }, user.token);

    await comment(server.url, commenter, post.id, 'into the void');
    expect(await listed(user)).toEqual([]);
    expect(await unread(user)).toBe(0);

    const unmuted = await ok(server.url, UnmutePost, { postId: post.id }, user.token);
    expect(unmuted.unmutePost).toEqual({ id: post.id, viewerHasMuted: false });
    await ok(server.url, UnmutePost, { postId: post.id }, user.token);
    await comment(server.url, commenter, post.id, 'heard again');
    const list = await settledDeliveries(server.url, user);
    expect(list.map((n) => n.message)).toEqual([`${commenter.username} commented on your post.`]);
    expect(list[0]?.deliveries).toEqual([expect.objectContaining({ status: 'SENT' })]);
    const mails = sink.accepted().filter((m) => m.to === user.email);
    expect(mails.map((m) => m.text).join()).not.toContain('into the v');
    expect(mails).toHaveLength(1);
  });

  it('shows viewerHasMuted per viewer, false when anonymous', async () => {
    const user = await signUp(server.url, 'muter');
    const other = await signUp(server.url, 'other');
    const post = await createPost(server.url, other);
    await ok(server.url, MutePost, { postId: post.id }, user.token);
    const mine = await ok(server.url, PostMuted, { id: post.id }, user.token);
    expect(mine.post?.viewerHasMuted).toBe(true);
    const theirs = await ok(server.url, PostMuted, { id: post.id }, other.token);
    expect(theirs.post?.viewerHasMuted).toBe(false);
    const anonymous = await ok(server.url, PostMuted, { id: post.id });
    expect(anonymous.post?.viewerHasMuted).toBe(false);
  });

  it('is NOT_FOUND for a post that does not exist, UNAUTHENTICATED when anonymous', async () => {
    const user = await signUp(server.url, 'muter');
    const missing = encodeGlobalID('Post', 2_000_000_000);
    const send = (mute: boolean, postId: string, token?: string) =>
      mute
        ? request(server.url, MutePost, { postId }, token)
        : request(server.url, UnmutePost, { postId }, token);
    for (const mute of [true, false]) {
      const result = await send(mute, missing, user.token);
      expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const anonymous = await send(mute, missing);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const malformed = await send(mute, 'nope', user.token);
      expect(malformed.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'postId',
      });
    }
  });
});
