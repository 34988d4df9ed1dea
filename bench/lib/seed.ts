// Bench data written straight into PostgreSQL with generate_series: tens of
// thousands of users in well under a second, where sign-up (argon2) would take
// hours. Convention every system relies on: user N is "userN" and owns post N.
import type pg from 'pg';

export async function resetDatabase(db: pg.Client) {
  await db.query(
    'TRUNCATE "Notification", "Comment", "Follow", "Post", "User" RESTART IDENTITY CASCADE',
  );
}

/** Users 1..n, each with one post of the same id. */
export async function seedUsers(db: pg.Client, n: number) {
  await db.query(
    `INSERT INTO "User" ("id", "email", "emailKey", "username", "usernameKey", "passwordHash")
     SELECT i, 'user' || i || '@bench.test', 'user' || i || '@bench.test', 'user' || i, 'user' || i, 'not-a-hash'
     FROM generate_series(1, $1::int) AS i`,
    [n],
  );
  await db.query(
    `INSERT INTO "Post" ("id", "title", "body", "authorId", "updatedAt")
     SELECT i, 'Post ' || i, 'Bench post', i, now() FROM generate_series(1, $1::int) AS i`,
    [n],
  );
  // A database in use, not a new one: every post has a comment (by the next user)
  // and every user one notification about it. With empty Comment and Notification
  // tables, PostgreSQL plans each connection's foreign-key checks for an empty
  // table (a sequential scan) and keeps that plan until autovacuum next analyzes
  // the table, up to a minute into the run: every comment's insert then scanned
  // the whole, growing Comment table (1.5 ms a comment after about 19,000 of them,
  // measured with auto_explain). That measured PostgreSQL's autovacuum timing on
  // a fresh database, not the systems under test.
  await db.query(
    `INSERT INTO "Comment" ("id", "text", "postId", "authorId")
     SELECT i, 'Bench comment', i, i % $1::int + 1 FROM generate_series(1, $1::int) AS i`,
    [n],
  );
  await db.query(
    `INSERT INTO "Notification"
       ("recipientId", "seq", "kind", "actorId", "postId", "commentId", "message", "peek", "read")
     SELECT i, 1, 'COMMENT_ON_POST', i % $1::int + 1, i, i,
            'user' || (i % $1::int + 1) || ' commented on your post.', 'Bench comm...', true
     FROM generate_series(1, $1::int) AS i`,
    [n],
  );
  await db.query(
    `INSERT INTO "NotificationCounter" ("userId", "seq") SELECT i, 1 FROM generate_series(1, $1::int) AS i`,
    [n],
  );
  // Later inserts (new posts, comments, sign-ups) continue after the seeded ids.
  for (const table of ['User', 'Post', 'Comment']) {
    await db.query(`SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), $1::int)`, [n]);
  }
  await db.query('ANALYZE');
}

/** Users first..last all follow `author`. */
export async function seedFollowers(db: pg.Client, author: number, first: number, last: number) {
  await db.query(
    `INSERT INTO "Follow" ("followerId", "followingId")
     SELECT i, $1::int FROM generate_series($2::int, $3::int) AS i`,
    [author, first, last],
  );
  await db.query('ANALYZE "Follow"');
}
