// The hot statements (a comment or a post with its notifications, see
// notifications/store.ts) go straight to the driver instead of through Prisma's
// raw-query path, whose argument mapping, result conversion and bookkeeping cost
// about 75 µs a comment (profiled at 700 comments/s, 8 % of the server's CPU).
//
// On PostgreSQL each runs as a named prepared statement. PostgreSQL parses and
// plans an unnamed statement every time it receives one; for these CTE statements
// planning cost about as much as running (1.2 ms against 1.5 ms per comment,
// measured with pg_stat_statements). A named statement is parsed once per
// connection, and after five runs PostgreSQL keeps a generic plan for it. A name
// stays prepared on its connection for the connection's whole life, so only these
// few fixed statements get one. A pooler in front of PostgreSQL must support
// protocol-level prepared statements (PgBouncer 1.21+ with max_prepared_statements).
import { createHash } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Prisma } from '../generated/prisma/client.js';

/** Runs one statement built with `Prisma.sql` and returns its rows. */
export type HotStatements = <Row>(statement: Prisma.Sql) => Promise<Row[]>;

// OID of `timestamp` (without time zone), the type of every DateTime column here.
const TIMESTAMP = 1114;
// Prisma writes DateTime columns in UTC; read them back as UTC, not local time.
const utc = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);

// The statements are few and fixed, so their names are kept rather than hashed
// again on every run (a hash of the 3 KB statement cost 40 µs a comment).
const names = new Map<string, string>();

/** The statement's name on every connection: a hash of its text. */
export function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `p_${createHash('sha1').update(text).digest('base64url')}`;
    names.set(text, name);
  }
  return name;
}

export function postgresStatements(pool: pg.Pool): HotStatements {
  const types = {
    getTypeParser: ((oid: number, format: 'text' | 'binary') =>
      oid === TIMESTAMP
        ? utc
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  return async <Row>(statement: Prisma.Sql) => {
    const { text, values } = statement;
    const result = await pool.query({ name: statementName(text), text, values, types });
    return result.rows as Row[];
  };
}

export function pgliteStatements(pglite: PGlite): HotStatements {
  const parsers = { [TIMESTAMP]: utc };
  return async <Row>(statement: Prisma.Sql) => {
    const result = await pglite.query<Row>(statement.text, statement.values, { parsers });
    return result.rows;
  };
}
