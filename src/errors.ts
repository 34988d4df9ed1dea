// Expected failures, each with the contract's extensions.code. Anything else a
// resolver throws is masked by Yoga as "Unexpected error." and logged.
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED';

function fail(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const unauthenticated = (message = 'You must be signed in.') =>
  fail('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this.') =>
  fail('FORBIDDEN', message);
export const notFound = (what: string) => fail('NOT_FOUND', `${what} not found.`);
export const rateLimited = (message: string) => fail('RATE_LIMITED', message);
export const badInput = (field: string | undefined, message: string) =>
  fail('BAD_USER_INPUT', message, field ? { field } : {});

/**
 * Yoga's maskError hook. Our own GraphQLErrors pass through; Pothos' argument
 * errors (a malformed cursor) become BAD_USER_INPUT; everything else is replaced
 * by the generic message, never with a stack or SQL, whatever NODE_ENV says. Yoga
 * logs each error this masks, once (see yogaLogger).
 */
export function createMaskError() {
  return (error: unknown, message: string): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof PothosValidationError) {
      const field = pothosArgument(original.message);
      return new GraphQLError(original.message, {
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) },
      });
    }
    return yogaMaskError(error, message, false);
  };
}

/**
 * The argument a Pothos connection error is about. Pothos checks `first`/`last`
 * signs and parses cursors before our own checks run (src/schema/args.ts), and
 * says which argument only in its message.
 */
function pothosArgument(message: string): string | undefined {
  const named = /^Argument "(\w+)"/.exec(message);
  if (named) return named[1];
  if (/cursor/i.test(message)) return 'after';
  return undefined;
}
