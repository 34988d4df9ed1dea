// NODE_ENV=production: no GraphiQL, no introspection, no field suggestions, on every transport.
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/clients.js';
import {
  graphqlUnchecked,
  LimitsTestCreatePost,
  LimitsTestIntrospection,
  postRaw,
  serverFor,
  servesAnotherUser,
  ws,
  wsRun,
} from '../helpers/limits.js';
import { signUp } from '../helpers/users.js';

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
