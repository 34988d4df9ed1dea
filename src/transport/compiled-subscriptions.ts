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
//
// What must happen to every event happens here too, in the same synchronous
// step: the response-size check (response-size.ts) and Yoga's error masking.
// graphql-ws takes this stream as it is (eventsFor, socket.ts): envelop would
// otherwise wrap it in a layer that runs the plugins' per-event hooks through
// promise helpers, about 6.7 KB of allocations per event in a fan-out's heap
// profile, for the two checks done here. Over SSE, Yoga still wraps the stream
// (its SSE caps need the end, sse-limits.ts), and its masking finds nothing left
// to mask. So a plugin's per-event hook (onNext) never runs over graphql-ws: work
// that every live event needs belongs in EventResults below.
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
  type GraphQLError,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { Plugin } from 'graphql-yoga';
import { exceeds, tooLarge } from './response-size.js';

/** What every event's result goes through after its execution. */
export type EventChecks = {
  /** MAX_RESPONSE_BYTES: a larger result is replaced by QUERY_TOO_COMPLEX. */
  maxResponseBytes: number;
  /** Yoga's masking (and logging) of an error, for each error of a result or thrown. */
  maskError(error: unknown): Error;
};

/** Each operation's event stream, by its context (one per operation), until its transport takes it. */
const streams = new WeakMap<object, EventResults>();

/**
 * The event stream this plugin made for the operation with this context, with
 * nothing around it; undefined when it made none (the subscription failed to
 * start). Taken once.
 */
export function eventsFor(
  contextValue: unknown,
): AsyncIterableIterator<ExecutionResult> | undefined {
  if (typeof contextValue !== 'object' || contextValue === null) return undefined;
  const events = streams.get(contextValue);
  streams.delete(contextValue);
  return events;
}

export function compiledSubscriptions(checks: EventChecks): Plugin {
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
    const events = new EventResults(
      stream[Symbol.asyncIterator](),
      args,
      compiledFor(args),
      checks,
    );
    if (typeof args.contextValue === 'object' && args.contextValue !== null) {
      streams.set(args.contextValue, events);
    }
    return events;
  };

  return { onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribe) };
}

/**
 * The source stream with each event executed, as graphql-js' own subscribe maps
 * it (its mapper is internal): `return()` reaches the source at once, even while
 * a `next()` waits, and a failed execution closes the source. Each result is
 * checked for size and masked; so is an error the source throws, which graphql-ws
 * would otherwise send its client as it is.
 *
 * A class rather than an object of closures: one lives as long as its
 * subscription, and closures (with their names, such as "[Symbol.asyncIterator]")
 * would be made again for each of tens of thousands of them.
 */
class EventResults implements AsyncIterableIterator<ExecutionResult> {
  readonly #source: AsyncIterator<unknown>;
  readonly #args: ExecutionArgs;
  /** null: graphql-jit could not compile the document, and graphql-js executes it. */
  readonly #query: CompiledQuery | null;
  readonly #checks: EventChecks;
  /** `#step` and `#masker` bound once: a `next()` per event would otherwise make closures each time. */
  readonly #stepper = (result: IteratorResult<unknown>) => this.#step(result);
  readonly #masker = (error: unknown): never => {
    throw this.#checks.maskError(error);
  };

  constructor(
    source: AsyncIterator<unknown>,
    args: ExecutionArgs,
    query: CompiledQuery | null,
    checks: EventChecks,
  ) {
    this.#source = source;
    this.#args = args;
    this.#query = query;
    this.#checks = checks;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    return this.#source.next().then(this.#stepper, this.#masker);
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    if (!this.#source.return) return { value: undefined, done: true };
    return this.#step(await this.#source.return());
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    if (!this.#source.throw) throw error;
    return this.#step(await this.#source.throw(error));
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  /**
   * The event executed. Synchronous when the execution is (graphql-jit's usually
   * is: an event carries what it needs), so an event makes no promise here beyond
   * the one `next()` returns; a fan-out makes one per follower.
   */
  #step(
    result: IteratorResult<unknown>,
  ): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> {
    if (result.done) return { value: undefined, done: true };
    const args = this.#args;
    try {
      const value = this.#query
        ? this.#query.query(result.value, args.contextValue, args.variableValues ?? {})
        : execute({ ...args, rootValue: result.value });
      if (!(value instanceof Promise)) return { value: this.#checked(value), done: false };
      return value.then(
        (executed) => ({ value: this.#checked(executed), done: false }),
        (error: unknown) => this.#fail(error),
      );
    } catch (error) {
      return this.#fail(error);
    }
  }

  /** The result as its client may see it: within MAX_RESPONSE_BYTES, its errors masked. */
  #checked(result: ExecutionResult): ExecutionResult {
    const { maxResponseBytes, maskError } = this.#checks;
    if (exceeds(result.data, maxResponseBytes)) return tooLarge(maxResponseBytes);
    if (!result.errors) return result;
    // Masked errors are GraphQLErrors in shape (Yoga's are Errors with that name and a toJSON).
    return { ...result, errors: result.errors.map((error) => maskError(error) as GraphQLError) };
  }

  /** A failed execution closes the source, then fails the `next()` it answers. */
  async #fail(error: unknown): Promise<never> {
    await this.#source.return?.();
    throw this.#checks.maskError(error);
  }
}
