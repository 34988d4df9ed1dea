// The hardening limits (src/guards.ts, src/rate-limits.ts, src/app.ts, src/socket.ts),
// each attacked through real clients. Every test checks the exact refusal, then that
// the server still serves another user normally.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphql } from './generated/gql.js';
import {
  connectWs,
  ok,
  type Result,
  request,
  subscribeSse,
  type WsConnection,
} from './helpers/clients.js';
import { LogIn, SignUp, UnreadCountChanged } from './helpers/operations.js';
import { startServer, type TestServer } from './helpers/server.js';
import { sleep } from './helpers/services.js';
import { signUp, type TestUser } from './helpers/users.js';

const LimitsTestMe = graphql(/* GraphQL */ `
  query LimitsTestMe {
    me {
      id
      username
    }
  }
`);

const LimitsTestMarkAllRead = graphql(/* GraphQL */ `
  mutation LimitsTestMarkAllRead {
    markAllNotificationsRead
  }
`);

const LimitsTestMyPosts = graphql(/* GraphQL */ `
  query LimitsTestMyPosts {
    me {
      posts(first: 10) {
        edges {
          node {
            title
          }
        }
      }
    }
  }
`);

const LimitsTestCreatePost = graphql(/* GraphQL */ `
  mutation LimitsTestCreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
    }
  }
`);

const LimitsTestIntrospection = graphql(/* GraphQL */ `
  query LimitsTestIntrospection {
    __schema {
      queryType {
        name
      }
    }
  }
`);

// Depth 9 (posts → edges → node → author → posts → edges → node → author → id).
const LimitsTestTooDeep = graphql(/* GraphQL */ `
  query LimitsTestTooDeep {
    posts {
      edges {
        node {
          author {
            posts {
              edges {
                node {
                  author {
                    id
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

// Depth 8, hidden in three nested fragment spreads.
const LimitsTestPostsPage = graphql(/* GraphQL */ `
  fragment LimitsTestPostsPage on QueryPostsConnection {
    edges {
      node {
        ...LimitsTestAuthorPosts
      }
    }
  }
`);
const LimitsTestAuthorPosts = graphql(/* GraphQL */ `
  fragment LimitsTestAuthorPosts on Post {
    author {
      posts {
        ...LimitsTestPostIds
      }
    }
  }
`);
const LimitsTestPostIds = graphql(/* GraphQL */ `
  fragment LimitsTestPostIds on UserPostsConnection {
    edges {
      node {
        id
      }
    }
  }
`);
const LimitsTestDeepFragments = graphql(/* GraphQL */ `
  query LimitsTestDeepFragments {
    posts {
      ...LimitsTestPostsPage
    }
  }
`);

// Depth 9 again, in an operation named like an introspection field.
const LimitsTestNamedTypename = graphql(/* GraphQL */ `
  query __typename {
    posts {
      edges {
        node {
          author {
            posts {
              edges {
                node {
                  author {
                    id
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

// Depth 9 again, in a fragment named `__schema`.
const LimitsTestSchemaFragment = graphql(/* GraphQL */ `
  fragment __schema on Post {
    author {
      posts {
        edges {
          node {
            author {
              id
            }
          }
        }
      }
    }
  }
`);
const LimitsTestNamedSchemaFragment = graphql(/* GraphQL */ `
  query LimitsTestNamedSchemaFragment {
    posts {
      edges {
        node {
          ...__schema
        }
      }
    }
  }
`);

// Depth 9 again, under a field aliased `__schema`.
const LimitsTestSchemaAlias = graphql(/* GraphQL */ `
  query LimitsTestSchemaAlias {
    __schema: posts {
      edges {
        node {
          author {
            posts {
              edges {
                node {
                  author {
                    id
                  }
                }
              }
            }
          }
        }
      }
    }
  }
`);

const LimitsTestAliases = graphql(/* GraphQL */ `
  query LimitsTestAliases {
    a: me {
      id
    }
    b: me {
      id
    }
    c: me {
      id
    }
    d: me {
      id
    }
  }
`);

const LimitsTestDirectives = graphql(/* GraphQL */ `
  query LimitsTestDirectives {
    me @include(if: true) @skip(if: false) {
      id @include(if: true)
    }
  }
`);

// 10 × 10 tokens plus the operation's own: over 100.
const LimitsTestTokens = graphql(/* GraphQL */ `
  query LimitsTestTokens {
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
    me { id username email createdAt followerCount followingCount viewerIsFollowing }
  }
`);

// Cost (2 + 1.5 × (2 + 1.5 × (2 + 1.5 × 2))) × 100 = 1625.
const LimitsTestCostly = graphql(/* GraphQL */ `
  query LimitsTestCostly {
    posts(first: 100) {
      edges {
        node {
          id
          title
        }
      }
    }
  }
`);

// The same page size through a variable.
const LimitsTestCostlyVariables = graphql(/* GraphQL */ `
  query LimitsTestCostlyVariables($first: Int) {
    posts(first: $first) {
      edges {
        node {
          id
          title
        }
      }
    }
  }
`);

// Fragments are used by name inside the documents above; referenced here for the linter.
void [LimitsTestPostsPage, LimitsTestAuthorPosts, LimitsTestPostIds, LimitsTestSchemaFragment];

// ---------------------------------------------------------------------------------
// Servers: rate-limit counters live in each process, so each limit gets its own.

const QUERY_LIMITS = {
  MAX_DEPTH: '5',
  MAX_ALIASES: '3',
  MAX_DIRECTIVES: '2',
  MAX_TOKENS: '100',
  MAX_COST: '1000',
  MAX_BODY_BYTES: '5000',
};

/** A server of the enclosing describe block, started before its tests and stopped after. */
function serverFor(env: Record<string, string>): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(env);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('the server did not start');
    return server;
  };
}

const sockets: WsConnection[] = [];
afterAll(async () => {
  for (const socket of sockets) await socket.dispose().catch(() => {});
});

// ---------------------------------------------------------------------------------
// Clients beyond the shared helpers.

/** Another loopback address: a different client IP for per-IP limits. */
const OTHER_IP = '127.0.0.2';
/** The attacker's address where a test must not share 127.0.0.1's budget. */
const ATTACKER_IP = '127.0.0.3';

const ws = (url: string, token?: string) => {
  const connection = connectWs(url, token);
  sockets.push(connection);
  return connection;
};

/** Like connectWs, but the socket starts from another local IP address. */
function wsFrom(ip: string, url: string, token?: string): WsConnection {
  class FromIp extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { localAddress: ip });
    }
  }
  let onClosed: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    onClosed = resolve;
  });
  const client = createClient({
    url,
    webSocketImpl: FromIp,
    lazy: false,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    on: { closed: (event) => onClosed((event as { code: number }).code) },
    onNonLazyError: () => {},
  });
  const connection: WsConnection = {
    client,
    closed,
    subscribe: () => {
      throw new Error('use wsRun');
    },
    dispose: async () => {
      await client.dispose();
    },
  };
  sockets.push(connection);
  return connection;
}

/** What one operation over graphql-ws ended with. */
type WsOutcome<T> =
  | { kind: 'result'; result: Result<T> }
  | { kind: 'error'; errors: Array<{ message: string; extensions?: Record<string, unknown> }> }
  | { kind: 'closed'; code: number; reason: string };

/** Starts an operation over graphql-ws; `first` is its first result, error or close. */
function wsStart<T, V>(
  connection: WsConnection,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): { first: Promise<WsOutcome<T>>; stop(): void } {
  let stop: () => void = () => {};
  const first = new Promise<WsOutcome<T>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('graphql-ws operation timed out')), 5_000);
    const settle = (outcome: WsOutcome<T>) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    stop = connection.client.subscribe(
      { query: print(document), variables: variables as Record<string, unknown> | undefined },
      {
        next: (value) => settle({ kind: 'result', result: value as Result<T> }),
        error: (error) => {
          if (Array.isArray(error)) settle({ kind: 'error', errors: error });
          else if (error && typeof error === 'object' && 'code' in error) {
            const { code, reason } = error as { code: number; reason?: string };
            settle({ kind: 'closed', code, reason: reason ?? '' });
          } else settle({ kind: 'closed', code: -1, reason: String(error) });
        },
        complete: () =>
          settle({ kind: 'error', errors: [{ message: 'completed without result' }] }),
      },
    );
  });
  return { first, stop: () => stop() };
}

/** Runs one query (or the first event of a subscription, then ends it) over graphql-ws. */
async function wsRun<T, V>(
  connection: WsConnection,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): Promise<WsOutcome<T>> {
  const operation = wsStart(connection, document, variables);
  const outcome = await operation.first;
  operation.stop();
  return outcome;
}

/** Whether the socket is still open a moment from now. */
const stillOpen = async (connection: WsConnection) =>
  (await Promise.race([connection.closed, sleep(100).then(() => 'open')])) === 'open';

/** POSTs a raw body to the endpoint; answers status, headers and parsed JSON. */
async function postRaw(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: JSON.parse(text) as Result<never>,
  };
}

/** Like `request`, but from another local IP address. */
function requestFrom<T, V>(
  ip: string,
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  token?: string,
): Promise<Result<T>> {
  const body = JSON.stringify({ query: print(document), variables });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        localAddress: ip,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(JSON.parse(text) as Result<T>));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Like the signUp helper, but from another local IP address. */
async function signUpFrom(ip: string, url: string, prefix: string): Promise<TestUser> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const email = `${username}@example.com`;
  const result = await requestFrom(ip, url, SignUp, {
    input: { email, username, password: 'correct horse' },
  });
  if (!result.data) throw new Error(`sign-up failed: ${JSON.stringify(result.errors)}`);
  return { id: result.data.signUp.user.id, username, email, token: result.data.signUp.token };
}

const rateLimited = (message: string) => [
  expect.objectContaining({ message, extensions: { code: 'RATE_LIMITED' } }),
];

/** The server still answers a fresh user over HTTP. */
async function servesAnotherUser(url: string): Promise<TestUser> {
  const user = await signUp(url, 'bystander');
  const data = await ok(url, LimitsTestMe, {}, user.token);
  expect(data.me).toEqual({ id: user.id, username: user.username });
  return user;
}

// ---------------------------------------------------------------------------------

type Transport = 'http' | 'sse' | 'ws';
type Attack = {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: any operation of this file.
  document: TypedDocumentNode<any, any>;
  variables?: Record<string, unknown>;
  message: string;
  /** Only the token limit has one: its error is thrown by the parser, which Yoga labels. */
  extensions?: { code: string };
};

// graphql-armor's refusals: a GraphQLError thrown from a validation rule, without
// locations or extensions.code; the token limit's is thrown by the parser instead,
// and Yoga gives it extensions.code GRAPHQL_PARSE_FAILED.
const attacks: Attack[] = [
  {
    name: 'too deep',
    document: LimitsTestTooDeep,
    message: 'Syntax Error: Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too deep through nested fragment spreads',
    document: LimitsTestDeepFragments,
    message: 'Syntax Error: Query depth limit of 5 exceeded, found 8.',
  },
  {
    name: 'too deep in an operation named `__typename`',
    document: LimitsTestNamedTypename,
    message: 'Syntax Error: Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too deep in a fragment named `__schema`',
    document: LimitsTestNamedSchemaFragment,
    message: 'Syntax Error: Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too deep under a field aliased `__schema`',
    document: LimitsTestSchemaAlias,
    message: 'Syntax Error: Query depth limit of 5 exceeded, found 9.',
  },
  {
    name: 'too many aliases',
    document: LimitsTestAliases,
    message: 'Syntax Error: Aliases limit of 3 exceeded, found 4.',
  },
  {
    name: 'too many directives',
    document: LimitsTestDirectives,
    message: 'Syntax Error: Directives limit of 2 exceeded, found 3.',
  },
  {
    name: 'too many tokens',
    document: LimitsTestTokens,
    message: 'Syntax Error: Token limit of 100 exceeded.',
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  },
  {
    name: 'too costly',
    document: LimitsTestCostly,
    message: 'Syntax Error: Query Cost limit of 1000 exceeded, found 1625.',
  },
];

const refusal = (attack: Attack) => ({
  message: attack.message,
  ...(attack.extensions ? { extensions: attack.extensions } : {}),
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

    // BUG (see report): graphql-armor's cost rule only multiplies by literal `first`/`last`.
    it.fails('counts the cost of a page size passed as a variable', async () => {
      const { url } = limits();
      const result = await request(url, LimitsTestCostlyVariables, { first: 100 });
      expect(result.errors?.[0]?.message).toMatch(
        /^Syntax Error: Query Cost limit of 500 exceeded/,
      );
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

describe('NODE_ENV=production', () => {
  const production = serverFor({ NODE_ENV: 'production' });
  const productionTools = serverFor({
    NODE_ENV: 'production',
    GRAPHIQL: 'true',
    INTROSPECTION: 'true',
  });
  it('does not serve GraphiQL', async () => {
    const { url } = production();
    const response = await fetch(url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(406);
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect((await response.text()).toLowerCase()).not.toContain('graphiql');
    await servesAnotherUser(url);
  });

  const introspectionRefused =
    'GraphQL introspection has been disabled, but the requested query contained the field "__schema".';

  it('refuses introspection over HTTP', async () => {
    const { url } = production();
    const result = await request(url, LimitsTestIntrospection);
    expect(result.data).toBeUndefined();
    expect(result.errors?.[0]).toEqual({
      message: introspectionRefused,
      locations: [{ line: 2, column: 3 }],
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    const typeQuery = await postRaw(url, { query: '{ __type(name: "User") { name } }' });
    expect(typeQuery.json.errors?.[0]?.message).toBe(
      'GraphQL introspection has been disabled, but the requested query contained the field "__type".',
    );
    await servesAnotherUser(url);
  });

  it('refuses introspection over graphql-ws', async () => {
    const { url, wsUrl } = production();
    const outcome = await wsRun(ws(wsUrl), LimitsTestIntrospection);
    // One refusal per introspection field the document selects.
    expect(outcome.kind).toBe('error');
    const errors = outcome.kind === 'error' ? outcome.errors : [];
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
      expect(error.message).toMatch(/introspection/i);
    }
    await servesAnotherUser(url);
  });

  it('hides field suggestions in validation errors', async () => {
    const { url, wsUrl } = production();
    const typo = await postRaw(url, { query: '{ mee { id } }' });
    expect(typo.json).toEqual({
      errors: [
        {
          message: 'Cannot query field "mee" on type "Query". [Suggestion hidden]',
          locations: [{ line: 1, column: 3 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    });
    const argument = await postRaw(url, { query: '{ posts(firs: 3) { edges { cursor } } }' });
    expect(JSON.stringify(argument.json)).not.toContain('Did you mean');
    expect(argument.json.errors?.[0]?.message).toBe(
      'Unknown argument "firs" on field "Query.posts". [Suggestion hidden]',
    );
    const overWs = await wsRun(
      ws(wsUrl),
      graphqlUnchecked<unknown, Record<string, never>>('{ mee { id } }'),
    );
    expect(overWs).toMatchObject({
      kind: 'error',
      errors: [{ message: 'Cannot query field "mee" on type "Query". [Suggestion hidden]' }],
    });
    await servesAnotherUser(url);
  });

  it('hides field suggestions in variable errors', async () => {
    const { url } = production();
    const user = await signUp(url, 'typo');
    const result = await postRaw(
      url,
      { query: print(LimitsTestCreatePost), variables: { input: { titl: 'x', body: 'y' } } },
      { authorization: `Bearer ${user.token}` },
    );
    expect(result.status).toBe(400);
    expect(result.json.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(result.json)).not.toContain('Did you mean');
    await servesAnotherUser(url);
  });

  it('GRAPHIQL=true and INTROSPECTION=true turn GraphiQL, introspection and suggestions back on', async () => {
    const { url } = productionTools();
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await page.text()).toLowerCase()).toContain('graphiql');
    expect(await request(url, LimitsTestIntrospection)).toEqual({
      data: { __schema: { queryType: { name: 'Query' } } },
    });
    const typo = await postRaw(url, { query: '{ mee { id } }' });
    expect(typo.json.errors?.[0]?.message).toBe(
      'Cannot query field "mee" on type "Query". Did you mean "me"?',
    );
    await servesAnotherUser(url);
  });
});

describe('rate limits', () => {
  describe('mutations', () => {
    const mutations = serverFor({ RATE_MUTATIONS_PER_MINUTE: '3' });

    it('RATE_MUTATIONS_PER_MINUTE: the 4th mutation of a user is RATE_LIMITED, another user goes on', async () => {
      const { url } = mutations();
      // Signed up from another address, so that 127.0.0.1's anonymous budget stays whole.
      const user = await signUpFrom(ATTACKER_IP, url, 'busy');
      const other = await signUpFrom(ATTACKER_IP, url, 'calm');
      for (let i = 0; i < 3; i++) {
        expect(await request(url, LimitsTestMarkAllRead, {}, user.token)).toEqual({
          data: { markAllNotificationsRead: 0 },
        });
      }
      const refused = await request(url, LimitsTestMarkAllRead, {}, user.token);
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual(rateLimited('Too many requests; try again shortly.'));
      // A refused mutation does nothing, and queries are not counted.
      const post = await request(
        url,
        LimitsTestCreatePost,
        { input: { title: 't', body: 'b' } },
        user.token,
      );
      expect(post.errors).toEqual(rateLimited('Too many requests; try again shortly.'));
      expect((await ok(url, LimitsTestMyPosts, {}, user.token)).me?.posts.edges).toEqual([]);

      expect(await request(url, LimitsTestMarkAllRead, {}, other.token)).toEqual({
        data: { markAllNotificationsRead: 0 },
      });
    });

    it('RATE_MUTATIONS_PER_MINUTE: anonymous mutations (signUp) are counted per IP', async () => {
      const { url } = mutations();
      const earlier = await signUp(url, 'early');
      await signUp(url, 'second');
      await signUp(url, 'third');
      const refused = await request(url, SignUp, {
        input: { email: 'fourth@example.com', username: 'fourth_user', password: 'correct horse' },
      });
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual(rateLimited('Too many requests; try again shortly.'));
      // Signed-in users count against their own budget, not their IP's.
      expect(await request(url, LimitsTestMarkAllRead, {}, earlier.token)).toEqual({
        data: { markAllNotificationsRead: 0 },
      });
      // Someone at another address still signs up.
      const elsewhere = await requestFrom(OTHER_IP, url, SignUp, {
        input: { email: 'fourth@example.com', username: 'fourth_user', password: 'correct horse' },
      });
      expect(elsewhere.errors).toBeUndefined();
      expect(elsewhere.data?.signUp.user.username).toBe('fourth_user');
    });
  });

  describe('log-in attempts', () => {
    const logins = serverFor({
      RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: '3',
      RATE_LOGIN_PER_IP_PER_15_MINUTES: '6',
    });

    it('counts only failed log-ins: an owner who knows the password is never locked out', async () => {
      const { url } = logins();
      const owner = await signUp(url, 'owner');
      for (let i = 0; i < 5; i++) {
        const data = await ok(url, LogIn, {
          input: { email: owner.email, password: 'correct horse' },
        });
        expect(data.logIn.user.id).toBe(owner.id);
      }
    });

    it('RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: after 3 failures, a log-in to that account is RATE_LIMITED', async () => {
      const { url } = logins();
      const victim = await signUp(url, 'victim');
      const other = await signUp(url, 'other');
      const wrong = { input: { email: victim.email, password: 'wrong password' } };
      for (const email of [victim.email, victim.email, ` ${victim.email.toUpperCase()} `]) {
        const result = await request(url, LogIn, { input: { ...wrong.input, email } });
        expect(result.errors).toEqual([
          expect.objectContaining({
            message: 'Wrong email or password.',
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        ]);
      }
      // Even the right password is refused now.
      const refused = await request(url, LogIn, {
        input: { email: victim.email, password: 'correct horse' },
      });
      expect(refused.data).toBeNull();
      expect(refused.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
      // The victim's existing token still works, and another account logs in.
      expect((await ok(url, LimitsTestMe, {}, victim.token)).me?.id).toBe(victim.id);
      const data = await ok(url, LogIn, {
        input: { email: other.email, password: 'correct horse' },
      });
      expect(data.logIn.user.id).toBe(other.id);
    });

    it('RATE_LOGIN_PER_IP_PER_15_MINUTES: after 6 failures from one IP, its log-ins are RATE_LIMITED', async () => {
      const { url } = logins();
      const users = [];
      for (let i = 0; i < 7; i++) users.push(await signUp(url, `ip${i}`));
      const logIn = (user: TestUser, password = 'correct horse') => ({
        input: { email: user.email, password },
      });
      // From an address of its own, one wrong guess at each of six accounts.
      for (const user of users.slice(0, 6)) {
        const result = await requestFrom(ATTACKER_IP, url, LogIn, logIn(user, 'a wrong guess'));
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      const last = users[6] as TestUser;
      const refused = await requestFrom(ATTACKER_IP, url, LogIn, logIn(last));
      expect(refused.data).toBeNull();
      expect(refused.errors).toEqual(rateLimited('Too many failed log-ins; try again later.'));
      // From another address the same account logs in.
      const elsewhere = await requestFrom(OTHER_IP, url, LogIn, logIn(last));
      expect(elsewhere.errors).toBeUndefined();
      expect(elsewhere.data?.logIn.user.id).toBe(last.id);
      expect((await ok(url, LimitsTestMe, {}, last.token)).me?.id).toBe(last.id);
    });
  });

  describe('WebSocket connections', () => {
    const connections = serverFor({ RATE_CONNECTIONS_PER_IP_PER_MINUTE: '2' });

    it('RATE_CONNECTIONS_PER_IP_PER_MINUTE: the third WebSocket upgrade from an IP gets 429', async () => {
      const { url, wsUrl } = connections();
      const user = await signUp(url, 'sockets');
      const first = ws(wsUrl, user.token);
      const second = ws(wsUrl, user.token);
      for (const connection of [first, second]) {
        expect(await wsRun(connection, LimitsTestMe)).toMatchObject({
          kind: 'result',
          result: { data: { me: { id: user.id } } },
        });
      }
      // graphql-ws sees the refused upgrade as an abnormal close (1006), no reason.
      const third = ws(wsUrl, user.token);
      expect(await third.closed).toBe(1006);
      // At the HTTP level it is a 429 answer to the upgrade.
      const status = await new Promise<number>((resolve, reject) => {
        const raw = new WebSocket(wsUrl, 'graphql-transport-ws');
        raw.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          raw.terminate();
        });
        raw.on('open', () => reject(new Error('the upgrade was accepted')));
        raw.on('error', () => {});
      });
      expect(status).toBe(429);
      // Open sockets carry on, HTTP carries on, and another IP connects.
      expect(await stillOpen(first)).toBe(true);
      expect(await wsRun(first, LimitsTestMe)).toMatchObject({ kind: 'result' });
      const other = await servesAnotherUser(url);
      const elsewhere = wsFrom(OTHER_IP, wsUrl, other.token);
      expect(await wsRun(elsewhere, LimitsTestMe)).toMatchObject({
        kind: 'result',
        result: { data: { me: { id: other.id } } },
      });
    });
  });

  describe('subscribe messages', () => {
    const subscribes = serverFor({ RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: '3' });

    it('RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: the 4th subscribe message on a socket is RATE_LIMITED', async () => {
      const { url, wsUrl } = subscribes();
      const user = await signUp(url, 'chatty');
      const connection = ws(wsUrl, user.token);
      for (let i = 0; i < 3; i++) {
        expect(await wsRun(connection, LimitsTestMe)).toMatchObject({ kind: 'result' });
      }
      expect(await wsRun(connection, LimitsTestMe)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscribe messages; slow down.'),
      });
      expect(await stillOpen(connection)).toBe(true);
      // The budget is per connection: a new one of the same user works, and so does another user.
      expect(await wsRun(ws(wsUrl, user.token), LimitsTestMe)).toMatchObject({ kind: 'result' });
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), LimitsTestMe)).toMatchObject({
        kind: 'result',
        result: { data: { me: { id: other.id } } },
      });
    });
  });

  describe('subscription caps', () => {
    const caps = serverFor({
      MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      MAX_SUBSCRIPTIONS_PER_USER: '3',
    });

    it('MAX_SUBSCRIPTIONS_PER_CONNECTION: a third live subscription on a socket is refused until one completes', async () => {
      const { url, wsUrl } = caps();
      const user = await signUp(url, 'many');
      const connection = ws(wsUrl, user.token);
      const subs = [
        connection.subscribe(UnreadCountChanged),
        connection.subscribe(UnreadCountChanged),
      ];
      for (const sub of subs) {
        expect((await sub.results.next('first count')).data?.unreadNotificationCountChanged).toBe(
          0,
        );
      }
      expect(await wsRun(connection, UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscriptions on this connection.'),
      });
      subs[0]?.stop();
      const again = await wsRun(connection, UnreadCountChanged);
      expect(again).toEqual({
        kind: 'result',
        result: { data: { unreadNotificationCountChanged: 0 } },
      });
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), UnreadCountChanged)).toMatchObject({
        kind: 'result',
      });
    });

    it('MAX_SUBSCRIPTIONS_PER_USER: a 4th live subscription of a user is refused until one ends', async () => {
      const { url, wsUrl } = caps();
      const user = await signUp(url, 'everywhere');
      const connections = [1, 2, 3].map(() => ws(wsUrl, user.token));
      const subs = connections.map((connection) => connection.subscribe(UnreadCountChanged));
      for (const sub of subs) await sub.results.next('first count');
      const fourth = ws(wsUrl, user.token);
      expect(await wsRun(fourth, UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscriptions for this user.'),
      });
      // Another user is not affected.
      const other = await servesAnotherUser(url);
      expect(await wsRun(ws(wsUrl, other.token), UnreadCountChanged)).toMatchObject({
        kind: 'result',
      });

      // Completing a subscription frees its slot (once the server has processed it)...
      subs[0]?.stop();
      const freed = await eventually(() => wsStart(fourth, UnreadCountChanged));
      expect(await freed.first).toEqual({
        kind: 'result',
        result: { data: { unreadNotificationCountChanged: 0 } },
      });
      expect(await wsRun(fourth, UnreadCountChanged)).toEqual({
        kind: 'error',
        errors: rateLimited('Too many subscriptions for this user.'),
      });
      // ...and so does closing a socket.
      await connections[1]?.dispose();
      const afterClose = await eventually(() => wsStart(ws(wsUrl, user.token), UnreadCountChanged));
      expect(await afterClose.first).toMatchObject({ kind: 'result' });
    });
  });
});

/** Retries `attempt` while it is refused with RATE_LIMITED, for up to 3 seconds. */
async function eventually<T>(attempt: () => { first: Promise<WsOutcome<T>>; stop(): void }) {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const operation = attempt();
    const outcome = await operation.first;
    const limited =
      outcome.kind === 'error' && outcome.errors[0]?.extensions?.code === 'RATE_LIMITED';
    if (!limited || Date.now() > deadline) return operation;
    await sleep(50);
  }
}

/** A document the schema does not validate (a typo), which codegen could not type. */
function graphqlUnchecked<T, V>(source: string): TypedDocumentNode<T, V> {
  return parse(source) as TypedDocumentNode<T, V>;
}
