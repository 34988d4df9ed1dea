// How the server serves the web app and GraphiQL: page paths, caching, the
// Content-Security-Policy, the API paths left alone, and GraphiQL with no internet.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comment, createPost, signUp } from '../helpers/users.js';
import {
  hasChromium,
  launchBrowser,
  newContext,
  startWebServer,
  type WebServer,
} from './helpers.js';

const PAGE_PATHS = [
  '/',
  '/login',
  '/notifications',
  '/settings/notifications',
  '/posts/UG9zdDox',
  '/users/VXNlcjox',
];

describe('the web app over HTTP', () => {
  let server: WebServer;
  let browser: Browser | undefined;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startWebServer(),
      hasChromium ? launchBrowser() : undefined,
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('answers every page path with index.html, revalidated on every use', async () => {
    const bodies = new Set<string>();
    for (const path of PAGE_PATHS) {
      const response = await fetch(`${server.origin}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      bodies.add(await response.text());
    }
    expect(bodies.size).toBe(1);
    const [index] = bodies;
    expect(index).toContain('<div id="root">');

    const again = await fetch(`${server.origin}/`, {
      headers: { 'if-none-match': (await fetch(`${server.origin}/`)).headers.get('etag') ?? '' },
    });
    expect(again.status).toBe(304);
  });

  it('allows only this origin, WebSockets included, and no inline script', async () => {
    const response = await fetch(`${server.origin}/login`);
    const host = new URL(server.origin).host;
    const policy = Object.fromEntries(
      (response.headers.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['style-src']).toEqual(["'self'"]);
    expect(policy['connect-src']).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('serves hashed assets as immutable, and a missing one as a 404 rather than the app', async () => {
    const index = await (await fetch(`${server.origin}/`)).text();
    const assets = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const response = await fetch(`${server.origin}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      // fetch asks for gzip, and unpacks it.
      expect(response.headers.get('content-encoding')).toBe('gzip');
    }
    expect((await fetch(`${server.origin}/assets/missing-0000.js`)).status).toBe(404);
    const unknown = await fetch(`${server.origin}/no/such/page`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('<div id="root">');
  });

  it('leaves /graphql, /health, /ready and /metrics to the API', async () => {
    expect((await fetch(`${server.origin}/health`)).status).toBe(200);
    expect((await fetch(`${server.origin}/ready`)).status).toBe(200);
    const metrics = await fetch(`${server.origin}/metrics`);
    expect(await metrics.text()).toContain('# HELP');
    const api = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
    const graphiql = await fetch(server.url, { headers: { accept: 'text/html' } });
    const html = await graphiql.text();
    expect(html).toContain('/graphiql/');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it.skipIf(!hasChromium)(
    'runs a query and a live subscription in GraphiQL with every other host unreachable',
    async () => {
      const context = await newContext(browser as Browser, server);
      const elsewhere: string[] = [];
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        if (url.origin === server.origin) return route.continue();
        elsewhere.push(url.href);
        return route.abort('internetdisconnected');
      });
      const page = await context.newPage();
      await page.goto('/graphql');
      const query = page.locator('.graphiql-query-editor .monaco-editor').first();
      const response = page.locator('.graphiql-response');
      // insertText: typed braces would be doubled by the editor's auto-closing.
      const write = async (text: string) => {
        await page.keyboard.press('Control+A');
        await page.keyboard.press('Delete');
        await page.keyboard.insertText(text);
      };
      await query.click();
      await write('{ posts(first: 1) { pageInfo { hasNextPage } } }');
      await page.getByRole('button', { name: /Execute query/ }).click();
      await response.getByText('"hasNextPage"').waitFor();

      const [author, commenter] = await Promise.all([
        signUp(server.url, 'graphiql'),
        signUp(server.url, 'commenter'),
      ]);
      await query.click();
      await write('subscription { unreadNotificationCountChanged }');
      await page.getByRole('button', { name: 'Headers' }).click();
      await page.locator('.graphiql-editor-tool .monaco-editor').last().click();
      await write(JSON.stringify({ Authorization: `Bearer ${author.token}` }));
      await page.getByRole('button', { name: /Execute query/ }).click();
      await response.getByText('"unreadNotificationCountChanged": 0').waitFor();
      const post = await createPost(server.url, author, 'Seen in GraphiQL');
      await comment(server.url, commenter, post.id, 'Live in GraphiQL');
      await response.getByText('"unreadNotificationCountChanged": 1').waitFor();

      expect(elsewhere).toEqual([]);
      await context.close();
    },
  );
});
