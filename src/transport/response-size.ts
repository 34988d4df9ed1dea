// MAX_RESPONSE_BYTES: a result that would serialise to more is replaced by a coded
// error before anyone serialises it. A few kilobytes of query can otherwise name
// the same large row thousands of times: the result object stays small (one
// string, many references) while its JSON runs to hundreds of megabytes.
//
// This plugin checks query and mutation results; a subscription's events are
// checked where they are executed (compiled-subscriptions.ts), with the same two
// functions below.
import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { QUERY_TOO_COMPLEX } from './query-limits.js';

export function responseSize(maxBytes: number): Plugin {
  const guard = ({
    result,
    setResult,
  }: {
    result: ExecutionResult;
    setResult(result: ExecutionResult): void;
  }) => {
    // Errors are few and small, and hold AST nodes that are no part of the JSON.
    if (exceeds(result.data, maxBytes)) setResult(tooLarge(maxBytes));
  };
  return {
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (Symbol.asyncIterator in result) return { onNext: guard };
        guard({ result, setResult });
        return undefined;
      },
    }),
  };
}

/** What replaces a result larger than `maxBytes`. */
export function tooLarge(maxBytes: number): ExecutionResult {
  return {
    errors: [
      new GraphQLError(`The response would be larger than ${maxBytes} bytes; ask for less.`, {
        extensions: { code: QUERY_TOO_COMPLEX },
      }),
    ],
  };
}

/**
 * Whether the value's JSON would be longer than `budget` characters, found by
 * walking it (and stopping as soon as it is), never by building the string.
 */
export function exceeds(value: unknown, budget: number): boolean {
  let left = budget;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') left -= item.length + 2;
    else if (item === null || typeof item !== 'object') left -= 8;
    else if (Array.isArray(item)) {
      left -= item.length + 2;
      for (const element of item) stack.push(element);
    } else {
      // for…in, not Object.entries: no array of pairs per object, for every live event.
      for (const key in item) {
        left -= key.length + 4;
        stack.push((item as Record<string, unknown>)[key]);
      }
    }
    if (left < 0) return true;
  }
  return false;
}
