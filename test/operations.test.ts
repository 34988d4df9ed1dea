// Running the server: health and readiness, GraphiQL and GET queries on /graphql,
// data that survives a restart on the same data directory, and a graceful stop.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { graphql } from './generated/gql.js';
import { connectWs, ok, request } from './helpers/clients.js';
import { CreatePost, LogIn, UnreadCountChanged } from './helpers/operations.js';
import { startServer, type TestServer } from './helpers/server.js';
import { createPost, signUp } from './helpers/users.js';

const OpsTestPost = graphql(/* GraphQL */ `
  query OpsTestPost($id: ID!) {
    post(id: $id) {
      id
      title
      author {
        id
        username
      }
    }
  }
`);

const OpsTestMe = graphql(/* GraphQL */ `
  query OpsTestMe {
    me {
      id
      username
      email
    }
  }
`);

// The PostgreSQL run gives each server a fresh database, so a restart there is a new one.
const onPostgres = Boolean(inject('postgresUrl') || process.env.TEST_DATABASE_URL);

/** The server's base URL (without /graphql). */
const base = (server: TestServer) => server.url.replace(/\/graphql$/, '');

describe('HTTP endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers GET /health with 200', async () => {
    const response = await fetch(`${base(server)}/health`);
    expect(response.status).toBe(200);
  });

  it('answers GET /ready with 200 when the database is reachable', async () => {
    const response = await fetch(`${base(server)}/ready`);
    expect(response.status).toBe(200);
  });

  it('serves GraphiQL as HTML on GET /graphql to a browser', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/<html/i);
    expect(html).toMatch(/graphiql/i);
  });

  /** GET /graphql?query=…, with the given headers; the JSON body it answers. */
  async function get(query: string, headers: Record<string, string>) {
    const response = await fetch(`${server.url}?query=${encodeURIComponent(query)}`, { headers });
    const text = await response.text();
    return { response, body: JSON.parse(text) as { data?: PostsPage; errors?: unknown } };
  }
  type PostsPage = { posts: { edges: Array<{ cursor: string; node: { id: string } }> } };

  it('runs a query sent with GET, as Apollo Client sends it (content-type: application/json)', async () => {
    const author = await signUp(server.url, 'getter');
    const post = await createPost(server.url, author, 'Readable by GET');
    const { response, body } = await get('{posts(first:1){edges{cursor node{id}}}}', {
      accept: 'application/json',
      'content-type': 'application/json',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/json/);
    expect(body.errors).toBeUndefined();
    expect(body.data?.posts.edges).toHaveLength(1);
    expect(body.data?.posts.edges[0]?.node.id).toBe(post.id);
    expect(typeof body.data?.posts.edges[0]?.cursor).toBe('string');
  });

  it('runs a query sent as a bare GET with only an Accept header', async () => {
    const { response, body } = await get('{posts(first:1){edges{cursor}}}', {
      accept: 'application/graphql-response+json, application/json',
    });
    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(Array.isArray(body.data?.posts.edges)).toBe(true);
  });

  it('refuses a mutation sent with GET (405)', async () => {
    const mutation = `mutation { createPost(input: { title: "nope", body: "" }) { id } }`;
    const { response } = await get(mutation, {
      accept: 'application/json',
      'content-type': 'application/json',
    });
    expect(response.status).toBe(405);
  });
});

describe('restarting', () => {
  it.skipIf(onPostgres)('keeps users and posts in the same data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-restart-'));
    try {
      const first = await startServer({ DATA_DIR: dir });
      let user: Awaited<ReturnType<typeof signUp>>;
      let postId: string;
      try {
        user = await signUp(first.url, 'durable');
        postId = (await createPost(first.url, user, 'Still here after restart')).id;
      } finally {
        await first.stop();
      }

      const second = await startServer({ DATA_DIR: dir });
      try {
        const login = await ok(second.url, LogIn, {
          input: { email: user.email, password: 'correct horse' },
        });
        expect(login.logIn.user.id).toBe(user.id);
        const me = await ok(second.url, OpsTestMe, {}, login.logIn.token);
        expect(me.me).toEqual({ id: user.id, username: user.username, email: user.email });

        const { post } = await ok(second.url, OpsTestPost, { id: postId });
        expect(post).toEqual({
          id: postId,
          title: 'Still here after restart',
          author: { id: user.id, username: user.username },
        });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('graceful stop', () => {
  it('closes graphql-ws sockets with 1001 and completes an in-flight mutation', async () => {
    const server = await startServer();
    let stopped: Promise<void> | undefined;
    try {
      const user = await signUp(server.url, 'stopper');
      const connection = connectWs(server.wsUrl, user.token);
      const counts = connection.subscribe(UnreadCountChanged, {});
      // A first value means the socket is connected and its subscription running.
      expect(
        (await counts.results.next('initial count')).data?.unreadNotificationCountChanged,
      ).toBe(0);

      // The mutation is in flight at the server (headers parsed, `100 Continue` sent)
      // before stop() is called; its body follows only once stop() has closed the
      // sockets, so the server is well into stopping while it runs.
      const inFlight = postWithContinue(
        server.url,
        {
          query: print(CreatePost),
          variables: { input: { title: 'Written while stopping', body: 'Body' } },
        },
        user.token,
      );
      await inFlight.continued;
      stopped = server.stop();
      expect(await connection.closed).toBe(1001);
      inFlight.sendBody();

      const response = await inFlight.response;
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body) as {
        data?: { createPost: { title: string; author: { id: string } } };
        errors?: unknown;
      };
      expect(body.errors).toBeUndefined();
      expect(body.data?.createPost).toMatchObject({
        title: 'Written while stopping',
        author: { id: user.id },
      });

      await stopped;
      await connection.dispose();

      // Stopped means stopped: nothing answers any more.
      await expect(request(server.url, OpsTestMe, {})).rejects.toThrow();
    } finally {
      if (!stopped) await server.stop();
    }
  });
});

/**
 * A POST sent in two steps: headers with `Expect: 100-continue` first; once the
 * server has answered `100 Continue` (it is handling the request), the body.
 */
function postWithContinue(url: string, payload: unknown, token: string) {
  const body = JSON.stringify(payload);
  const req = httpRequest(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${token}`,
      expect: '100-continue',
    },
  });
  const continued = new Promise<void>((resolve, reject) => {
    req.once('continue', resolve);
    req.once('error', reject);
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.once('error', reject);
    });
  });
  req.flushHeaders();
  return { continued, response, sendBody: () => req.end(body) };
}
