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
  // Later inserts (new posts, sign-ups) continue after the seeded ids.
  await db.query(`SELECT setval(pg_get_serial_sequence('"User"', 'id'), $1::int)`, [n]);
  await db.query(`SELECT setval(pg_get_serial_sequence('"Post"', 'id'), $1::int)`, [n]);
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
