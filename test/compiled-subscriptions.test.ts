// Subscriptions start on graphql-js and run each event through graphql-jit
// (src/transport/compiled-subscriptions.ts): the same results and errors as
// graphql-js' own subscribe, a stream that ends when either side ends it, and
// each result checked for size and masked before any transport sees it.
// The whole server's subscriptions run through it in every integration test;
// these pin down its edges on a schema of their own.
import {
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  subscribe as graphqlJsSubscribe,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  compiledSubscriptions,
  type EventChecks,
  eventsFor,
} from '../src/transport/compiled-subscriptions.js';

type Subscribe = (
  args: ExecutionArgs,
) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;

/** Checks that let every result through as it is, errors included. */
const unchecked: EventChecks = {
  maxResponseBytes: Number.POSITIVE_INFINITY,
  maskError: (e) => e as Error,
};

/** The plugin's subscribe function, as Yoga would receive it. */
function pluginSubscribe(checks = unchecked): Subscribe {
  let fn: Subscribe | undefined;
  const hook = compiledSubscriptions(checks).onSubscribe as unknown as (payload: {
    setSubscribeFn(f: Subscribe): void;
  }) => void;
  hook({ setSubscribeFn: (f) => (fn = f) });
  if (!fn) throw new Error('the plugin set no subscribe function');
  return fn;
}

/** A source the test feeds by hand, which records whether it was closed. */
function source() {
  const waiting: ((result: IteratorResult<number>) => void)[] = [];
  const state = { closed: false };
  const iterator: AsyncIterableIterator<number> = {
    next: () => new Promise((resolve) => waiting.push(resolve)),
    return: async () => {
      state.closed = true;
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return {
    iterator,
    state,
    push: (value: number) => waiting.shift()?.({ value, done: false }),
  };
}

/** A source whose next() fails, as a live stream does when its database read fails. */
function failingSource(): AsyncIterableIterator<number> {
  return {
    next: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function schemaWith(events: () => AsyncIterableIterator<number>) {
  const Tick = new GraphQLObjectType({
    name: 'Tick',
    fields: {
      n: { type: new GraphQLNonNull(GraphQLInt) },
      label: {
        type: GraphQLString,
        args: { prefix: { type: new GraphQLNonNull(GraphQLString) } },
        resolve: (tick: { n: number }, args: { prefix: string }) => {
          if (tick.n < 0) throw new Error('negative tick');
          return `${args.prefix}${tick.n}`;
        },
      },
    },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        tick: {
          type: new GraphQLNonNull(Tick),
          subscribe: events,
          resolve: (n: number) => ({ n }),
        },
      },
    }),
  });
}

const QUERY = parse('subscription ($p: String!) { tick { n label(prefix: $p) } }');

describe('compiled subscriptions', () => {
  it('gives each event the result graphql-js gives it, errors included', async () => {
    const ours = source();
    const theirs = source();
    const args = { document: QUERY, variableValues: { p: '#' } };
    const compiled = await pluginSubscribe()({ schema: schemaWith(() => ours.iterator), ...args });
    const reference = await graphqlJsSubscribe({
      schema: schemaWith(() => theirs.iterator),
      ...args,
    });
    if (!(Symbol.asyncIterator in compiled) || !(Symbol.asyncIterator in reference)) {
      throw new Error('expected streams');
    }
    for (const n of [1, 2, -3]) {
      const [a, b] = [compiled.next(), reference.next()];
      ours.push(n);
      theirs.push(n);
      expect(JSON.parse(JSON.stringify(await a))).toEqual(JSON.parse(JSON.stringify(await b)));
    }
    const first = compiled.next();
    ours.push(4);
    expect((await first).value).toEqual({ data: { tick: { n: 4, label: '#4' } } });
  });

  it('refuses bad variables before subscribing, with graphql-js’ errors', async () => {
    let subscribed = false;
    const schema = schemaWith(() => {
      subscribed = true;
      return source().iterator;
    });
    const result = await pluginSubscribe()({ schema, document: QUERY, variableValues: {} });
    expect(subscribed).toBe(false);
    expect(Symbol.asyncIterator in result).toBe(false);
    expect((result as ExecutionResult).errors?.map((e) => e.message)).toEqual([
      'Variable "$p" of required type "String!" was not provided.',
    ]);
  });

  it('closes the source at return(), even while a next() waits', async () => {
    const feed = source();
    const stream = await pluginSubscribe()({
      schema: schemaWith(() => feed.iterator),
      document: QUERY,
      variableValues: { p: '' },
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream');
    const waiting = stream.next();
    await stream.return?.();
    expect(feed.state.closed).toBe(true);
    expect(await waiting).toEqual({ value: undefined, done: true });
  });

  it('masks each error of an event, and an error its source throws', async () => {
    const masked: unknown[] = [];
    const checks: EventChecks = {
      maxResponseBytes: Number.POSITIVE_INFINITY,
      maskError: (error) => {
        masked.push(error);
        return new Error('Unexpected error.');
      },
    };
    const feed = source();
    const stream = await pluginSubscribe(checks)({
      schema: schemaWith(() => feed.iterator),
      document: QUERY,
      variableValues: { p: '#' },
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream');
    const first = stream.next();
    feed.push(-1);
    const value = (await first).value as ExecutionResult;
    expect(value.data).toEqual({ tick: { n: -1, label: null } });
    expect(value.errors?.map((e) => e.message)).toEqual(['Unexpected error.']);
    expect(masked.map((e) => (e as Error).message)).toEqual(['negative tick']);

    const failing = await pluginSubscribe(checks)({
      schema: schemaWith(failingSource),
      document: QUERY,
      variableValues: { p: '#' },
    });
    if (!(Symbol.asyncIterator in failing)) throw new Error('expected a stream');
    await expect(failing.next()).rejects.toThrow(/^Unexpected error\.$/);
    expect((masked[1] as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('replaces an event larger than maxResponseBytes with QUERY_TOO_COMPLEX', async () => {
    const feed = source();
    const stream = await pluginSubscribe({ ...unchecked, maxResponseBytes: 80 })({
      schema: schemaWith(() => feed.iterator),
      document: QUERY,
      variableValues: { p: 'x'.repeat(40) },
    });
    if (!(Symbol.asyncIterator in stream)) throw new Error('expected a stream');
    const small = stream.next();
    feed.push(1);
    expect((await small).value).toEqual({ data: { tick: { n: 1, label: `${'x'.repeat(40)}1` } } });
    const large = stream.next();
    feed.push(2_000_000_000);
    expect(
      ((await large).value as ExecutionResult).errors?.map((e) => [e.message, e.extensions]),
    ).toEqual([
      ['The response would be larger than 80 bytes; ask for less.', { code: 'QUERY_TOO_COMPLEX' }],
    ]);
  });

  it("hands an operation's stream, once, to the transport holding its context", async () => {
    const contextValue = {};
    const stream = await pluginSubscribe()({
      schema: schemaWith(() => source().iterator),
      document: QUERY,
      variableValues: { p: '' },
      contextValue,
    });
    expect(eventsFor(contextValue)).toBe(stream);
    expect(eventsFor(contextValue)).toBeUndefined();
    expect(eventsFor({})).toBeUndefined();
  });
});
