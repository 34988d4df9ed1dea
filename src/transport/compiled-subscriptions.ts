// Subscriptions start on graphql-js and run each event through graphql-jit.
//
// A live subscription executes its selection once per event: a post's fan-out
// to 10,000 followers is 10,000 executions of the same few documents. graphql-js
// interprets the document every time (building an execution context, collecting
// fields, coercing arguments, allocating several kilobytes per event, measured
// in a fan-out's allocation profile). graphql-jit compiles a document once into a
// function that does only this document's work. The start of a subscription
// (checking its variables, calling the field's `subscribe`) stays graphql-js'
// own `createSourceEventStream`, so its errors are exactly those of before; and
// queries and mutations, executed once each, stay on Yoga's executor.
//
// This replaces Yoga's default subscribe, whose event stream also adds a layer
// for incremental delivery (@defer and @stream, which this schema does not offer)
// to every live subscription: about 1 KiB each, and work on every event.
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';

type Run = (event: unknown) => ExecutionResult | Promise<ExecutionResult>;

export function compiledSubscriptions(): Plugin {
  // By document (Yoga's parser cache hands out one object per query text), then by
  // operation name. `null`: graphql-jit could not compile it, graphql-js runs it.
  const compiled = new WeakMap<DocumentNode, Map<string | undefined, CompiledQuery | null>>();

  const compiledFor = (args: ExecutionArgs) => {
    const name = args.operationName ?? undefined;
    let byName = compiled.get(args.document);
    if (!byName) {
      byName = new Map();
      compiled.set(args.document, byName);
    }
    let query = byName.get(name);
    if (query === undefined) {
      const result = compileQuery(args.schema, args.document, name);
      query = isCompiledQuery(result) ? result : null;
      byName.set(name, query);
    }
    return query;
  };

  const subscribe = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const query = compiledFor(args);
    const run: Run = query
      ? (event) => query.query(event, args.contextValue, args.variableValues ?? {})
      : (event) => execute({ ...args, rootValue: event });
    return mapEvents(stream, run);
  };

  return { onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribe) };
}

/**
 * The source stream with each event executed, as graphql-js' own subscribe maps
 * it (its mapper is internal): `return()` reaches the source at once, even while
 * a `next()` waits, and a failed execution closes the source.
 */
function mapEvents(
  source: AsyncIterable<unknown>,
  run: Run,
): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const step = async (
    result: IteratorResult<unknown>,
  ): Promise<IteratorResult<ExecutionResult>> => {
    if (result.done) return { value: undefined, done: true };
    try {
      return { value: await run(result.value), done: false };
    } catch (error) {
      await iterator.return?.();
      throw error;
    }
  };
  return {
    next: () => iterator.next().then(step),
    return: async () =>
      iterator.return ? step(await iterator.return()) : { value: undefined, done: true },
    throw: async (error: unknown) => {
      if (iterator.throw) return step(await iterator.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
