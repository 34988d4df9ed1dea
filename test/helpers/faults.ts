// A failure no client can cause. Every client input the server cannot store is
// BAD_USER_INPUT now, so tests of how unexpected errors are masked and logged make
// the database itself refuse: a CHECK constraint the server does not know about,
// added straight to its PostgreSQL database, refuses posts with this title.
// PostgreSQL only ("postgres" project): PGlite's database belongs to the server.
import pg from 'pg';

export const FAILING_TITLE = 'refused inside the database';

export async function refuseFailingTitle(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `ALTER TABLE "Post" ADD CONSTRAINT "test_unexpected_failure"
         CHECK (position('${FAILING_TITLE}' in "title") = 0)`,
    );
  } finally {
    await client.end();
  }
}
