// Subscriptions start on graphql-js and run each event through graphql-jit
// (src/transport/compiled-subscriptions.ts): the same results and errors as
// graphql-js' own subscribe, and a stream that ends when either side ends it.
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
import { compiledSubscriptions } from '../src/transport/compiled-subscriptions.js';

type Subscribe = (
  args: ExecutionArgs,
) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;

/** The plugin's subscribe function, as Yoga would receive it. */
function pluginSubscribe(): Subscribe {
  let fn: Subscribe | undefined;
  const hook = compiledSubscriptions().onSubscribe as unknown as (payload: {
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
});
