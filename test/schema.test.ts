// The committed schema.graphql is the printed schema, and it keeps the contract.
import { readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

describe('schema.graphql', () => {
  it('is what the code prints (run `npm run schema:print` when this fails)', () => {
    expect(read('../schema.graphql')).toBe(`${printSchema(schema)}\n`);
  });

  it('breaks nothing in the public contract (docs/api/contract.graphql)', () => {
    const contract = buildSchema(read('../docs/api/contract.graphql'));
    const changes = findBreakingChanges(contract, schema).map((c) => c.description);
    expect(changes).toEqual([]);
  });
});
