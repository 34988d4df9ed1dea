// Argument checks shared by every domain: inputs through zod, global ids, pages.
// Each failure is BAD_USER_INPUT naming the offending field, as the contract says.
import { parsePrismaCursor } from '@pothos/plugin-prisma';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { z } from 'zod';
import { badInput } from '../errors.js';

export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw badInput(issue?.path.join('.') || undefined, issue?.message ?? 'Invalid input.');
}

/**
 * A string of `min` to `max` characters, counted as people count them (code
 * points: an emoji is one character, not two UTF-16 units).
 */
export function characters(min: number, max: number, tooShort: string, tooLong: string) {
  return z
    .string()
    .refine((value) => Array.from(value).length >= min, tooShort)
    .refine((value) => Array.from(value).length <= max, tooLong);
}

/** The database id inside a global id of the expected type. */
export function decodeId(globalId: string, typename: string, field: string): number {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw badInput(field, `"${field}" is not a valid ${typename} id.`);
  }
  const id = Number(decoded.id);
  if (decoded.typename !== typename || !/^[1-9]\d{0,9}$/.test(decoded.id) || !isDatabaseId(id)) {
    throw badInput(field, `"${field}" is not a valid ${typename} id.`);
  }
  return id;
}

export const MAX_PAGE = 100;

/** The types a global id may name; anything else names nothing. */
const NODE_TYPES = new Set(['User', 'Post', 'Comment', 'Notification']);

/**
 * Pothos' decoder for `node(id:)` / `nodes(ids:)`, which throws on a malformed id.
 * These fields answer null for an id that names nothing, so a malformed one
 * decodes to a type that does not exist instead.
 */
export function decodeNodeId(globalId: string): { typename: string; id: string } {
  try {
    return decodeGlobalID(globalId);
  } catch {
    return { typename: '', id: '' };
  }
}

/** Whether a decoded global id can name a row: a known type and an `integer` id. */
export const namesNode = (decoded: { typename: string; id: string }) =>
  NODE_TYPES.has(decoded.typename) &&
  /^[1-9]\d{0,9}$/.test(decoded.id) &&
  isDatabaseId(Number(decoded.id));

/** Ids are PostgreSQL `integer` serials: 1 to 2^31 - 1. */
const isDatabaseId = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 2 ** 31 - 1;

/** `first`/`last` within 1–100 and well-formed cursors, before any query runs. */
export function checkPage(args: {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}) {
  for (const field of ['first', 'last'] as const) {
    const size = args[field];
    if (size != null && (size < 1 || size > MAX_PAGE)) {
      throw badInput(field, `"${field}" must be between 1 and ${MAX_PAGE}.`);
    }
  }
  for (const field of ['after', 'before'] as const) {
    const cursor = args[field];
    if (cursor == null) continue;
    let value: unknown;
    try {
      value = parsePrismaCursor(cursor);
    } catch {
      value = undefined;
    }
    if (!isDatabaseId(value)) throw badInput(field, `"${field}" is not a valid cursor.`);
  }
}
