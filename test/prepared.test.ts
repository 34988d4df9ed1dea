// Which statements run as named prepared statements (src/db/prepared.ts): only
// those marked, each under a name that changes whenever its text does.
import { describe, expect, it } from 'vitest';
import { prepared, statementName } from '../src/db/prepared.js';
import { Prisma } from '../src/generated/prisma/client.js';

const text = (sql: Prisma.Sql) => ({ sql: sql.sql });

describe('prepared statements', () => {
  it('names a marked statement after its text, and leaves others unnamed', () => {
    const a = prepared(Prisma.sql`SELECT ${1}::int AS "a"`);
    const b = prepared(Prisma.sql`SELECT ${1}::int AS "b"`);
    expect(statementName(text(a))).toMatch(/^p_[\w-]{27}$/);
    expect(statementName(text(a))).toBe(
      statementName(text(prepared(Prisma.sql`SELECT ${2}::int AS "a"`))),
    );
    expect(statementName(text(a))).not.toBe(statementName(text(b)));
    expect(statementName(text(Prisma.sql`SELECT ${1}::int AS "a"`))).toBeUndefined();
  });
});
