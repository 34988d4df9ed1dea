// A NUL character, which PostgreSQL cannot store in text, is the client's error:
// BAD_USER_INPUT naming the field, through variables or literals, over every
// transport, and nothing unexpected in the server's log.
import { describe, expect, it } from 'vitest';
import { graphql } from '../generated/gql.js';
import { ok, request } from '../helpers/clients.js';
import { graphqlUnchecked, serverFor, servesAnotherUser, ws, wsRun } from '../helpers/limits.js';
import { LogIn } from '../helpers/operations.js';
import { signUp } from '../helpers/users.js';

const StringsTestCreatePost = graphql(/* GraphQL */ `
  mutation StringsTestCreatePost($input: CreatePostInput!) {
    createPost(input: $input) {
      id
    }
  }
`);

const StringsTestCreateComment = graphql(/* GraphQL */ `
  mutation StringsTestCreateComment($input: CreateCommentInput!) {
    createComment(input: $input) {
      id
    }
  }
`);

const nul = (field: string) => ({
  message: `"${field}" cannot contain a NUL character.`,
  extensions: { code: 'BAD_USER_INPUT', field },
});

describe('strings with a NUL character', () => {
  const strings = serverFor({});

  it('answers BAD_USER_INPUT on the field for a NUL in a title, body, comment or email', async () => {
    const { url, wsUrl, logs } = strings();
    const author = await signUp(url, 'nul');
    const post = await ok(
      url,
      StringsTestCreatePost,
      { input: { title: 'fine', body: 'fine' } },
      author.token,
    );
    const before = logs().length;
    expect(
      await request(
        url,
        StringsTestCreatePost,
        { input: { title: 'a\u0000b', body: 'x' } },
        author.token,
      ),
    ).toEqual({ errors: [nul('title')] });
    expect(
      await request(
        url,
        StringsTestCreatePost,
        { input: { title: 't', body: 'x\u0000' } },
        author.token,
      ),
    ).toEqual({ errors: [nul('body')] });
    expect(
      await request(
        url,
        StringsTestCreateComment,
        { input: { postId: post.createPost.id, text: '\u0000' } },
        author.token,
      ),
    ).toEqual({ errors: [nul('text')] });
    expect(
      await request(url, LogIn, { input: { email: 'a\u0000@example.com', password: 'whatever' } }),
    ).toEqual({ errors: [nul('email')] });
    // Written into the document, and over graphql-ws.
    const literal = graphqlUnchecked(
      'mutation StringsTestLiteral { createPost(input: { title: "a\\u0000", body: "b" }) { id } }',
    );
    expect(await request(url, literal, undefined, author.token)).toEqual({
      errors: [nul('title')],
    });
    expect(
      await wsRun(ws(wsUrl, author.token), StringsTestCreatePost, {
        input: { title: 'x', body: '\u0000' },
      }),
    ).toEqual({ kind: 'result', result: { errors: [nul('body')] } });
    // Nothing was logged as unexpected, and the server goes on.
    expect(
      logs()
        .slice(before)
        .filter((line) => line.includes('unexpected error')),
    ).toEqual([]);
    await servesAnotherUser(url);
  });
});
