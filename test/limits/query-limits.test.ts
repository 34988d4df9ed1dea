// Query shape limits and HTTP hardening, each attacked over HTTP, SSE and graphql-ws;
// every test checks the exact refusal, then that another user is served normally.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ok, request, subscribeSse } from '../helpers/clients.js';
import {
  LimitsTestAliases,
  LimitsTestCostly,
  LimitsTestCostlyVariables,
  LimitsTestCreatePost,
  LimitsTestDeepFragments,
  LimitsTestDirectives,
  LimitsTestHugePage,
  LimitsTestMarkAllRead,
  LimitsTestMe,
  LimitsTestMyPosts,
  LimitsTestNamedSchemaFragment,
  LimitsTestNamedTypename,
  LimitsTestSchemaAlias,
  LimitsTestTokens,
  LimitsTestTooDeep,
  postRaw,
  QUERY_LIMITS,
  serverFor,
  servesAnotherUser,
  stillOpen,
  ws,
  wsRun,
} from '../helpers/limits.js';
import { signUp } from '../helpers/users.js';

// ---------------------------------------------------------------------------------

type Transport = 'http' | 'sse' | 'ws';
type Attack = {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: any operation of this file.
  document: TypedDocumentNode<any, any>;
  variables?: Record<string, unknown>;
  message: string;
};

// graphql-armor's refusals, each with the code QUERY_TOO_COMPLEX (src/transport/query-limits.ts).
const attacks: Attack[] = [
  {
    name: 'too deep',
    document: LimitsTestTooDeep,
    message: 'Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too deep through nested fragment spreads',
    document: LimitsTestDeepFragments,
    message: 'Query depth limit of 5 exceeded, found 8.',
  },
  {
    name: 'too deep in an operation named `__typename`',
    document: LimitsTestNamedTypename,
    message: 'Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too deep in a fragment named `__schema`',
    document: LimitsTestNamedSchemaFragment,
    message: 'Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too deep under a field aliased `__schema`',
    document: LimitsTestSchemaAlias,
    message: 'Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too many aliases',
    document: LimitsTestAliases,
    message: 'Aliases limit of 3 exceeded, found 4.',
  },
  {
    name: 'too many directives',
    document: LimitsTestDirectives,
    message: 'Directives limit of 2 exceeded, found 3.',
  },
  {
    name: 'too many tokens',
    document: LimitsTestTokens,
    message: 'Token limit of 100 exceeded.',
  },
  {
    name: 'too costly',
    document: LimitsTestCostly,
    message: 'Query Cost limit of 1000 exceeded, found 1625.',
  },
];

const refusal = (attack: Attack) => ({
  message: attack.message,
  extensions: { code: 'QUERY_TOO_COMPLEX' },
});

describe('query limits and HTTP', () => {
  const limits = serverFor(QUERY_LIMITS);

  describe('query limits (graphql-armor)', () => {
    for (const transport of ['http', 'sse', 'ws'] as Transport[]) {
      describe(`over ${transport}`, () => {
        for (const attack of attacks) {
          it(`refuses a query ${attack.name}`, async () => {
            const { url, wsUrl } = limits();
            const user = await signUp(url, 'attacker');
            if (transport === 'http') {
              const result = await request(url, attack.document, attack.variables, user.token);
              expect(result).toEqual({ errors: [refusal(attack)] });
            } else if (transport === 'sse') {
              const sub = subscribeSse(url, attack.document, attack.variables, user.token);
              const result = await sub.results.next('SSE result');
              sub.dispose();
              expect(result).toEqual({ errors: [refusal(attack)] });
            } else {
              const connection = ws(wsUrl, user.token);
              const outcome = await wsRun(connection, attack.document, attack.variables);
              expect(outcome).toMatchObject({
                kind: 'error',
                errors: [refusal(attack)],
              });
              // Only that operation is refused: the socket stays and serves the next one.
              expect(await stillOpen(connection)).toBe(true);
              expect(await wsRun(connection, LimitsTestMe)).toMatchObject({
                kind: 'result',
                result: { data: { me: { id: user.id } } },
              });
            }
            // Another user, over the same transport, is served normally.
            const other = await signUp(url, 'bystander');
            const me = { me: { id: other.id, username: other.username } };
            if (transport === 'http') {
              expect(await request(url, LimitsTestMe, {}, other.token)).toEqual({ data: me });
            } else if (transport === 'sse') {
              const sub = subscribeSse(url, LimitsTestMe, {}, other.token);
              expect(await sub.results.next('SSE me')).toEqual({ data: me });
              sub.dispose();
            } else {
              const outcome = await wsRun(ws(wsUrl, other.token), LimitsTestMe);
              expect(outcome).toEqual({ kind: 'result', result: { data: me } });
            }
          });
        }
      });
    }

    it('answers a page size out of range with BAD_USER_INPUT on `first`, whatever the cost', async () => {
      const { url, wsUrl } = limits();
      const user = await signUp(url, 'pager');
      // 1,000 posts would also cost more than MAX_COST: the contract's rule wins.
      const expected = {
        message: '"first" must be between 1 and 100.',
        extensions: { code: 'BAD_USER_INPUT', field: 'first' },
      };
      const http = await request(url, LimitsTestHugePage, {}, user.token);
      expect(http.errors).toMatchObject([expected]);
      const sse = subscribeSse(url, LimitsTestHugePage, {}, user.token);
      const overSse = await sse.results.next('SSE result');
      sse.dispose();
      expect(overSse.errors).toMatchObject([expected]);
      const overWs = await wsRun(ws(wsUrl, user.token), LimitsTestHugePage);
      expect(overWs).toMatchObject({ kind: 'error', errors: [expected] });
      await servesAnotherUser(url);
    });

    // graphql-armor's rule only sees literal sizes; src/transport/operation-cost.ts
    // counts the same query the same when its size comes in a variable.
    it('counts the cost of a page size passed as a variable, over every transport', async () => {
      const { url, wsUrl } = limits();
      const expected = {
        errors: [
          {
            message: 'Query Cost limit of 1000 exceeded, found 1625.',
            extensions: { code: 'QUERY_TOO_COMPLEX' },
          },
        ],
      };
      expect(await request(url, LimitsTestCostlyVariables, { first: 100 })).toEqual(expected);
      const sse = subscribeSse(url, LimitsTestCostlyVariables, { first: 100 });
      expect(await sse.results.next('SSE result')).toEqual(expected);
      sse.dispose();
      expect(await wsRun(ws(wsUrl), LimitsTestCostlyVariables, { first: 100 })).toEqual({
        kind: 'result',
        result: expected,
      });
      // Within the cost, the same query runs; out of range, `first` is BAD_USER_INPUT.
      expect(await request(url, LimitsTestCostlyVariables, { first: 10 })).toMatchObject({
        data: { posts: { edges: expect.any(Array) } },
      });
      expect((await request(url, LimitsTestCostlyVariables, { first: 1000 })).errors).toEqual([
        {
          message: '"first" must be between 1 and 100.',
          extensions: { code: 'BAD_USER_INPUT', field: 'first' },
        },
      ]);
      await servesAnotherUser(url);
    });
  });

  describe('HTTP', () => {
    const getUrl = (url: string, query: string) => `${url}?query=${encodeURIComponent(query)}`;

    it('refuses a mutation sent with GET (405, allow: POST) and does not run it', async () => {
      const { url } = limits();
      const user = await signUp(url, 'getter');
      const mutation = print(LimitsTestCreatePost);
      const variables = JSON.stringify({ input: { title: 'via GET', body: 'x' } });
      const response = await fetch(
        `${getUrl(url, mutation)}&variables=${encodeURIComponent(variables)}`,
        { headers: { authorization: `Bearer ${user.token}` } },
      );
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toEqual({
        errors: [
          {
            message: 'Can only perform a mutation operation from a POST request.',
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
      const posts = await ok(url, LimitsTestMyPosts, {}, user.token);
      expect(posts.me?.posts.edges).toEqual([]);
      await servesAnotherUser(url);
    });

    // CSRF prevention covers the requests a browser sends cross-site without a CORS
    // preflight that could change something: form posts. Plain GET queries are
    // promised by the contract and left alone (commit 43083d8): GET never runs a
    // mutation (above), and with bearer-only auth a forged GET acts as nobody.
    it('refuses a form-like POST without a CSRF header (403); plain GET queries work', async () => {
      const { url } = limits();
      const user = await signUp(url, 'csrf');
      const body = JSON.stringify({ query: print(LimitsTestMarkAllRead) });
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const form = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        });
        expect(form.status).toBe(403);
        expect(await form.json()).toEqual({
          errors: [{ message: 'Required CSRF header(s) not present' }],
        });
      }

      const query = getUrl(url, print(LimitsTestMe));
      const plain = await fetch(query);
      expect(plain.status).toBe(200);
      expect(await plain.json()).toEqual({ data: { me: null } });
      const withHeader = await fetch(query, { headers: { 'x-graphql-yoga-csrf': '1' } });
      expect(withHeader.status).toBe(200);
      expect(await withHeader.json()).toEqual({ data: { me: null } });
      const withToken = await fetch(query, { headers: { authorization: `Bearer ${user.token}` } });
      expect(withToken.status).toBe(200);
      expect(await withToken.json()).toEqual({
        data: { me: { id: user.id, username: user.username } },
      });
      await servesAnotherUser(url);
    });

    it('refuses a body over MAX_BODY_BYTES with 413, a chunked one with 411', async () => {
      const { url } = limits();
      const big = await postRaw(url, {
        query: print(LimitsTestMe),
        variables: { padding: 'x'.repeat(5_000) },
      });
      expect(big.status).toBe(413);
      expect(big.json).toEqual({
        errors: [{ message: 'The request body is larger than 5000 bytes.' }],
      });

      const chunks = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: '{ me { id } }' })));
          controller.close();
        },
      });
      const chunked = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chunks,
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(411);
      expect(await chunked.json()).toEqual({
        errors: [{ message: 'A Content-Length header is required.' }],
      });
      await servesAnotherUser(url);
    });

    it('closes a WebSocket that sends a message over MAX_BODY_BYTES with 1009', async () => {
      const { url, wsUrl } = limits();
      const user = await signUp(url, 'bigframe');
      const connection = ws(wsUrl, user.token);
      const outcome = await wsRun(connection, LimitsTestCreatePost, {
        input: { title: 'big', body: 'x'.repeat(6_000) },
      });
      expect(outcome).toMatchObject({ kind: 'closed', code: 1009 });
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), LimitsTestMe)).toMatchObject({
        kind: 'result',
        result: { data: { me: { id: other.id } } },
      });
    });

    it('serves GraphiQL outside production', async () => {
      const response = await fetch(limits().url, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect((await response.text()).toLowerCase()).toContain('graphiql');
    });
  });
});
