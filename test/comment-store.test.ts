// Comments written in groups (src/notifications/comment-store.ts), on the real
// database: what one statement for many comments stores must be what one
// statement per comment would have stored, numbers included.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { createOutbox } from '../src/delivery/outbox.js';
import { type CommentStore, createCommentStore } from '../src/notifications/comment-store.js';
import { createDatabase } from './helpers/server.js';
import { insertUser } from './helpers/users.js';

let db: Database;
let store: CommentStore;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  const adminUrl = inject('postgresUrl');
  const databaseUrl = adminUrl ? await createDatabase(adminUrl, cleanups) : undefined;
  db = await openDatabase(databaseUrl ? { databaseUrl, dataDir: '' } : { dataDir: 'memory://' });
  await applyMigrations(db.adapter);
  store = createCommentStore(db.hot, createOutbox([]));
});

afterAll(async () => {
  await db?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const user = () => insertUser(db.prisma, `u${randomUUID().slice(0, 8)}`);
const postBy = (authorId: number) =>
  db.prisma.post.create({ data: { title: 'A post', body: 'Body', authorId } });

describe('comment store', () => {
  it('numbers the notifications of comments written together without a gap or a repeat', async () => {
    const author = await user();
    const post = await postBy(author.id);
    const commenters = await Promise.all(Array.from({ length: 12 }, user));
    // All asked at once: the first leaves alone, the rest wait and share statements.
    const written = await Promise.all(
      commenters.map((c, i) =>
        store.write({ postId: post.id, authorId: c.id, text: `comment ${i}` }),
      ),
    );

    const notifications = written.map((w) => w?.stored.notifications[0]);
    // In commit order: the first two went alone, side by side, and either may commit first.
    const seqs = notifications.map((n) => n?.seq ?? 0);
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(written.map((w) => w?.comment.text)).toEqual(commenters.map((_, i) => `comment ${i}`));
    for (const [i, n] of notifications.entries()) {
      expect(n).toMatchObject({
        recipientId: author.id,
        actorId: commenters[i]?.id,
        actor: { username: commenters[i]?.username },
        commentId: written[i]?.comment.id,
        message: `${commenters[i]?.username} commented on your post.`,
        peek: `${`comment ${i}`.slice(0, 10)}...`,
        hidden: false,
      });
    }
    // Ids grow with the numbers, and the database holds exactly these.
    const stored = await db.prisma.notification.findMany({
      where: { recipientId: author.id },
      orderBy: { seq: 'asc' },
    });
    const bySeq = [...notifications].sort((x, y) => (x?.seq ?? 0) - (y?.seq ?? 0));
    expect(stored.map((n) => [n.id, n.seq])).toEqual(bySeq.map((n) => [n?.id, n?.seq]));
    expect(stored.map((n) => n.id)).toEqual([...stored.map((n) => n.id)].sort((a, b) => a - b));
    const counter = await db.prisma.notificationCounter.findUnique({
      where: { userId: author.id },
    });
    expect(counter?.seq).toBe(12);
  });

  it('answers a comment on a missing post with nothing, and stores the others of its group', async () => {
    const author = await user();
    const post = await postBy(author.id);
    const [a, b] = await Promise.all([user(), user()]);
    const written = await Promise.all([
      store.write({ postId: post.id, authorId: a.id, text: 'first' }),
      store.write({ postId: post.id, authorId: a.id, text: 'kept' }),
      store.write({ postId: 2_000_000_000, authorId: b.id, text: 'nowhere' }),
      store.write({ postId: post.id, authorId: b.id, text: 'also kept' }),
    ]);
    expect(written[2]).toBeUndefined();
    const seqs = written.map((w) => w?.stored.notifications[0]?.seq ?? 0).filter(Boolean);
    expect(seqs.sort()).toEqual([1, 2, 3]);
    expect(await db.prisma.comment.count({ where: { postId: post.id } })).toBe(3);
  });

  it('fails only the comment the database refuses, and stores the rest of its group', async () => {
    const author = await user();
    const post = await postBy(author.id);
    const commenter = await user();
    const results = await Promise.allSettled([
      store.write({ postId: post.id, authorId: commenter.id, text: 'first' }),
      store.write({ postId: post.id, authorId: commenter.id, text: 'before' }),
      // No such user: the foreign key refuses it, and with it the whole group.
      store.write({ postId: post.id, authorId: 2_000_000_000, text: 'refused' }),
      store.write({ postId: post.id, authorId: commenter.id, text: 'after' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const texts = await db.prisma.comment.findMany({
      where: { postId: post.id },
      select: { text: true },
    });
    expect(texts.map((t) => t.text).sort()).toEqual(['after', 'before', 'first']);
    const seqs = await db.prisma.notification.findMany({
      where: { recipientId: author.id },
      select: { seq: true },
      orderBy: { seq: 'asc' },
    });
    // Numbered without a gap, the failed attempt having written nothing.
    expect(seqs.map((n) => n.seq)).toEqual([1, 2, 3]);
  });

  it('tells nobody of a self-comment or a muted post, and hides one whose in-app kind is off', async () => {
    const [author, reader, quiet, commenter] = await Promise.all([user(), user(), user(), user()]);
    const [own, muted, hidden] = await Promise.all([
      postBy(author.id),
      postBy(reader.id),
      postBy(quiet.id),
    ]);
    await db.prisma.postMute.create({ data: { userId: reader.id, postId: muted.id } });
    await db.prisma.notificationPreference.create({
      data: { userId: quiet.id, kind: 'COMMENT_ON_POST', channel: 'IN_APP', enabled: false },
    });
    const [self, onMuted, onHidden] = await Promise.all([
      store.write({ postId: own.id, authorId: author.id, text: 'my own' }),
      store.write({ postId: muted.id, authorId: commenter.id, text: 'unheard' }),
      store.write({ postId: hidden.id, authorId: commenter.id, text: 'kept for email' }),
    ]);
    expect(self?.stored.notifications).toEqual([]);
    expect(onMuted?.stored.notifications).toEqual([]);
    expect(onHidden?.stored.notifications).toMatchObject([{ recipientId: quiet.id, hidden: true }]);
    expect(
      await db.prisma.comment.count({ where: { authorId: { in: [author.id, commenter.id] } } }),
    ).toBe(3);
  });
});
