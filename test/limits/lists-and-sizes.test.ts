// Lists an operation receives and results it asks for are bounded: `nodes(ids:)`
// takes at most MAX_NODE_IDS, lists count in the cost, and a result larger than
// MAX_RESPONSE_BYTES is refused before it is built. Bad global ids name nothing.
import { describe, expect, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { ok, request, subscribeSse } from '../helpers/clients.js';
import { graphqlUnchecked, serverFor, servesAnotherUser, ws, wsRun } from '../helpers/limits.js';
import { signUp } from '../helpers/users.js';

const ListsTestPostBodies = graphql(/* GraphQL */ `
  query ListsTestPostBodies($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Post {
        body
      }
    }
  }
`);

const ListsTestNode = graphql(/* GraphQL */ `
  query ListsTestNode($id: ID!) {
    node(id: $id) {
      id
    }
  }
`);

const ListsTestNodes = graphql(/* GraphQL */ `
  query ListsTestNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

const ListsTestCreatePost = graphql(/* GraphQL */ `
  mutation ListsTestCreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
    }
  }
`);

const ListsTestManyPages = graphql(/* GraphQL */ `
  query ListsTestManyPages($n: Int) {
    a: posts(first: $n) {
      edges {
        node {
          body
        }
      }
    }
    b: posts(first: $n) {
      edges {
        node {
          body
        }
      }
    }
    c: posts(first: $n) {
      edges {
        node {
          body
        }
      }
    }
    d: posts(first: $n) {
      edges {
        node {
          body
        }
      }
    }
    e: posts(first: $n) {
      edges {
        node {
          body
        }
      }
    }
  }
`);

const globalId = (typename: string, id: string) =>
  Buffer.from(`${typename}:${id}`).toString('base64');

const tooManyIds = {
  message: '"ids" may name at most 100 nodes.',
  extensions: { code: 'BAD_USER_INPUT', field: 'ids' },
};

describe('lists and result sizes', () => {
  const limits = serverFor({ MAX_RESPONSE_BYTES: '100000' });

  it('MAX_NODE_IDS: nodes(ids:) with 6,000 ids in the variables is BAD_USER_INPUT on `ids`', async () => {
    const { url, wsUrl } = limits();
    const author = await signUp(url, 'author');
    const post = await ok(
      url,
      ListsTestCreatePost,
      { input: { title: 'big', body: 'x'.repeat(20_000) } },
      author.token,
    );
    const ids = Array.from({ length: 6_000 }, () => post.createPost.id);
    // Forty at once, as the outside test sent them (each answered 120 MB before).
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => request(url, ListsTestPostBodies, { ids })),
    );
    for (const answer of answers) expect(answer).toEqual({ errors: [tooManyIds] });
    const sse = subscribeSse(url, ListsTestPostBodies, { ids });
    expect(await sse.results.next('SSE result')).toEqual({ errors: [tooManyIds] });
    sse.dispose();
    expect(await wsRun(ws(wsUrl), ListsTestPostBodies, { ids })).toEqual({
      kind: 'result',
      result: { errors: [tooManyIds] },
    });
    // 101 ids written into the document are refused the same way.
    const literal = graphqlUnchecked(
      `query ListsTestLiteralIds { nodes(ids: [${ids
        .slice(0, 101)
        .map((id) => JSON.stringify(id))
        .join(',')}]) { id } }`,
    );
    expect(await request(url, literal)).toEqual({ errors: [tooManyIds] });
    // 100 are answered.
    const hundred = await ok(url, ListsTestNodes, { ids: ids.slice(0, 100) });
    expect(hundred.nodes).toHaveLength(100);
    await servesAnotherUser(url);
  });

  it('MAX_RESPONSE_BYTES: a result that would be larger is QUERY_TOO_COMPLEX, a smaller one is served', async () => {
    const { url } = limits();
    const author = await signUp(url, 'writer');
    const post = await ok(
      url,
      ListsTestCreatePost,
      { input: { title: 'long', body: 'y'.repeat(20_000) } },
      author.token,
    );
    // Ten copies of a 20,000-character body: 200 KB against a 100 KB limit.
    const ids = Array.from({ length: 10 }, () => post.createPost.id);
    expect(await request(url, ListsTestPostBodies, { ids })).toEqual({
      errors: [
        {
          message: 'The response would be larger than 100000 bytes; ask for less.',
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        },
      ],
    });
    const two = await ok(url, ListsTestPostBodies, { ids: ids.slice(0, 2) });
    expect(two.nodes).toEqual([{ body: 'y'.repeat(20_000) }, { body: 'y'.repeat(20_000) }]);
    await servesAnotherUser(url);
  });

  it('MAX_COST: pages of large fields weigh what they can hold, so aliased pages of bodies are refused before they are read', async () => {
    const { url } = limits();
    // Five pages of 100 bodies (up to 10 MB): 5 × 100 × (2 + 1.5 × (2 + 1.5 × (2 + 1.5 × 20))).
    expect(await request(url, ListsTestManyPages, { n: 100 })).toEqual({
      errors: [
        {
          message: 'Query Cost limit of 30000 exceeded, found 38500.',
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        },
      ],
    });
    // Smaller pages are within the cost (this server's 20,000-character posts may
    // still make the result too large to answer, which is the other limit).
    const smaller = await request(url, ListsTestManyPages, { n: 10 });
    expect(smaller.errors?.[0]?.message ?? '').not.toMatch(/^Query Cost/);
    await servesAnotherUser(url);
  });

  it('node(id:) answers null for a well-formed id that names nothing, never an error', async () => {
    const { url } = limits();
    const user = await signUp(url, 'someone');
    for (const id of [
      globalId('User', 'abc'),
      globalId('User', '2147483648'),
      globalId('User', '-1'),
      globalId('User', '1.5'),
      globalId('Nope', '1'),
      'not a global id',
    ]) {
      expect(await request(url, ListsTestNode, { id })).toEqual({ data: { node: null } });
    }
    expect(await request(url, ListsTestNode, { id: user.id })).toEqual({
      data: { node: { id: user.id } },
    });
    // In nodes(ids:), each bad id is a null in its place.
    const mixed = await request(url, ListsTestNodes, {
      ids: [globalId('User', 'abc'), user.id, globalId('Nope', '1')],
    });
    expect(mixed).toEqual({ data: { nodes: [null, { id: user.id }, null] } });
    await servesAnotherUser(url);
  });
});
