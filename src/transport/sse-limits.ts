// Subscriptions over SSE meet the same caps as over graphql-ws: the per-user
// count of live subscriptions (shared with socket.ts through one budget) and a
// subscribe rate. SSE has no connection to count per, so the rate is per user
// (per IP when anonymous). graphql-ws operations are counted in socket.ts.
import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { rateLimited } from '../errors.js';

export function sseLimits(): Plugin {
  return {
    async onSubscribe({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as Context;
      if (ctx.sessionWatched) return undefined;
      const refuse = (limit: string, message: string) => {
        ctx.metrics.rateLimited.inc({ limit });
        setResultAndStopExecution({ errors: [rateLimited(message)] });
      };
      const key = ctx.viewer ? `user:${ctx.viewer.id}` : `ip:${ctx.clientIp}`;
      if (!(await ctx.limits.sseSubscribe(key))) {
        refuse('subscribe', 'Too many subscribe messages; slow down.');
        return undefined;
      }
      if (!ctx.viewer) return undefined;
      const release = ctx.subscriptions.take(ctx.viewer.id);
      if (!release) {
        refuse('per-user', 'Too many subscriptions for this user.');
        return undefined;
      }
      return {
        onSubscribeResult: ({ result, setResult }) => {
          if (Symbol.asyncIterator in result) setResult(finally_(result, release));
          else release();
        },
      };
    },
  };
}

/**
 * The stream, calling `done` once when it ends by any way: completed, failed, or
 * cancelled by the client (return() is passed straight on, even while a next()
 * waits, which an async generator could not do).
 */
function finally_(
  source: AsyncIterable<ExecutionResult>,
  done: () => void,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      try {
        const step = await iterator.next();
        if (step.done) done();
        return step;
      } catch (error) {
        done();
        throw error;
      }
    },
    async return(value?: unknown) {
      done();
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      done();
      if (iterator.throw) return iterator.throw(error);
      throw error instanceof GraphQLError ? error : new Error(String(error));
    },
  };
}
