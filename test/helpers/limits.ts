// Shared by the limit tests (test/limits/): their servers, operations and clients that
// connect from other loopback addresses. Importing it registers an afterAll that
// closes the sockets those tests opened.
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, print } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, expect } from 'vitest';
import WebSocket from 'ws';
import { graphql } from '../generated/gql.js';
import { connectWs, ok, type Result, type WsConnection } from './clients.js';
import { SignUp } from './operations.js';
import { startServer, type TestServer } from './server.js';
import { sleep } from './services.js';
import { signUp, type TestUser } from './users.js';

export const LimitsTestMe = graphql(/* GraphQL */ `
  query LimitsTestMe {
    me {
      id
      username
    }
  }
`);

export const LimitsTestMarkAllRead = graphql(/* GraphQL */ `
  mutation LimitsTestMarkAllRead {
    markAllNotificationsRead
  }
`);

export const LimitsTestMyPosts = graphql(/* GraphQL */ `
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

export const LimitsTestCreatePost = graphql(/* GraphQL */ `
  mutation LimitsTestCreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
    }
  }
`);

export const LimitsTestIntrospection = graphql(/* GraphQL */ `
  query LimitsTestIntrospection {
    __schema {
      queryType {
        name
      }
    }
  }
`);

// Depth 9 (posts → edges → node → author → posts → edges → node → author → id).
export const LimitsTestTooDeep = graphql(/* GraphQL */ `
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
export const LimitsTestPostsPage = graphql(/* GraphQL */ `
  fragment LimitsTestPostsPage on QueryPostsConnection {
    edges {
      node {
        ...LimitsTestAuthorPosts
      }
    }
  }
`);
export const LimitsTestAuthorPosts = graphql(/* GraphQL */ `
  fragment LimitsTestAuthorPosts on Post {
    author {
      posts {
        ...LimitsTestPostIds
      }
    }
  }
`);
export const LimitsTestPostIds = graphql(/* GraphQL */ `
  fragment LimitsTestPostIds on UserPostsConnection {
    edges {
      node {
        id
      }
    }
  }
`);
export const LimitsTestDeepFragments = graphql(/* GraphQL */ `
  query LimitsTestDeepFragments {
    posts {
      ...LimitsTestPostsPage
    }
  }
`);

// Depth 9 again, in an operation named like an introspection field.
export const LimitsTestNamedTypename = graphql(/* GraphQL */ `
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
export const LimitsTestSchemaFragment = graphql(/* GraphQL */ `
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
export const LimitsTestNamedSchemaFragment = graphql(/* GraphQL */ `
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
export const LimitsTestSchemaAlias = graphql(/* GraphQL */ `
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

export const LimitsTestAliases = graphql(/* GraphQL */ `
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

export const LimitsTestDirectives = graphql(/* GraphQL */ `
  query LimitsTestDirectives {
    me @include(if: true) @skip(if: false) {
      id @include(if: true)
    }
  }
`);

// 10 × 10 tokens plus the operation's own: over 100.
export const LimitsTestTokens = graphql(/* GraphQL */ `
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
export const LimitsTestCostly = graphql(/* GraphQL */ `
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

// A page beyond the contract's 100, whose cost is also beyond MAX_COST.
export const LimitsTestHugePage = graphql(/* GraphQL */ `
  query LimitsTestHugePage {
    posts(first: 1000) {
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
export const LimitsTestCostlyVariables = graphql(/* GraphQL */ `
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

export const QUERY_LIMITS = {
  MAX_DEPTH: '5',
  MAX_ALIASES: '3',
  MAX_DIRECTIVES: '2',
  MAX_TOKENS: '100',
  MAX_COST: '1000',
  MAX_BODY_BYTES: '5000',
};

/** A server of the enclosing describe block, started before its tests and stopped after. */
export function serverFor(env: Record<string, string>): () => TestServer {
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

export const sockets: WsConnection[] = [];
afterAll(async () => {
  for (const socket of sockets) await socket.dispose().catch(() => {});
});

// ---------------------------------------------------------------------------------
// Clients beyond the shared helpers.

/** Another loopback address: a different client IP for per-IP limits. */
export const OTHER_IP = '127.0.0.2';
/** The attacker's address where a test must not share 127.0.0.1's budget. */
export const ATTACKER_IP = '127.0.0.3';

export const ws = (url: string, token?: string) => {
  const connection = connectWs(url, token);
  sockets.push(connection);
  return connection;
};

/** Like connectWs, but the socket starts from another local IP address. */
export function wsFrom(ip: string, url: string, token?: string): WsConnection {
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
export type WsOutcome<T> =
  | { kind: 'result'; result: Result<T> }
  | { kind: 'error'; errors: Array<{ message: string; extensions?: Record<string, unknown> }> }
  | { kind: 'closed'; code: number; reason: string };

/** Starts an operation over graphql-ws; `first` is its first result, error or close. */
export function wsStart<T, V>(
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
export async function wsRun<T, V>(
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
export const stillOpen = async (connection: WsConnection) =>
  (await Promise.race([connection.closed, sleep(100).then(() => 'open')])) === 'open';

/** POSTs a raw body to the endpoint; answers status, headers and parsed JSON. */
export async function postRaw(url: string, body: unknown, headers: Record<string, string> = {}) {
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

/** Like `request`, but from another local IP address (and with extra headers). */
export function requestFrom<T, V>(
  ip: string,
  url: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  token?: string,
  headers: Record<string, string> = {},
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
          ...headers,
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

/**
 * What the server answers a WebSocket upgrade from this local address with these
 * headers: 'open' when it accepts (closed again at once), else the HTTP status.
 */
export function upgradeFrom(
  ip: string,
  wsUrl: string,
  headers: Record<string, string> = {},
): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws', { localAddress: ip, headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

/** Like the signUp helper, but from another local IP address. */
export async function signUpFrom(ip: string, url: string, prefix: string): Promise<TestUser> {
  const username = `${prefix}_${randomBytes(4).toString('hex')}`;
  const email = `${username}@example.com`;
  const result = await requestFrom(ip, url, SignUp, {
    input: { email, username, password: 'correct horse' },
  });
  if (!result.data) throw new Error(`sign-up failed: ${JSON.stringify(result.errors)}`);
  return { id: result.data.signUp.user.id, username, email, token: result.data.signUp.token };
}

export const rateLimited = (message: string) => [
  expect.objectContaining({ message, extensions: { code: 'RATE_LIMITED' } }),
];

/** The server still answers a fresh user over HTTP. */
export async function servesAnotherUser(url: string): Promise<TestUser> {
  const user = await signUp(url, 'bystander');
  const data = await ok(url, LimitsTestMe, {}, user.token);
  expect(data.me).toEqual({ id: user.id, username: user.username });
  return user;
}

/** Retries `attempt` while it is refused with RATE_LIMITED, for up to 3 seconds. */
export async function eventually<T>(attempt: () => { first: Promise<WsOutcome<T>>; stop(): void }) {
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
export function graphqlUnchecked<T, V>(source: string): TypedDocumentNode<T, V> {
  return parse(source) as TypedDocumentNode<T, V>;
}
