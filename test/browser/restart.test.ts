// A server restart in the middle of a session: the page says the connection was lost,
// comes back by itself, and shows what was created meanwhile once each.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { GENEROUS_LIMITS, TEST_SECRET } from '../helpers/server.js';
import { comment, createPost, signUp } from '../helpers/users.js';
import { hasChromium, launchBrowser, logIn, notificationsLink } from './helpers.js';

describe.skipIf(!hasChromium)('the web inbox across a server restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'notify-restart-'));
  let app: App;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext | undefined;

  /** The same server again: same port, same data, same key. */
  async function start(port: number) {
    const config = loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      JWT_SECRET: TEST_SECRET,
      DATA_DIR: dataDir,
      ...GENEROUS_LIMITS,
    });
    app = await createApp(config, { logDestination: { write: () => {} } });
    return app.start();
  }

  beforeAll(async () => {
    [origin, browser] = await Promise.all([start(0), launchBrowser()]);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reconnects by itself and shows what was created meanwhile, once each', async () => {
    const url = `${origin}/graphql`;
    const [alice, bob] = await Promise.all([signUp(url, 'alice'), signUp(url, 'bob')]);
    const post = await createPost(url, alice, 'Restarts happen');
    context = await browser.newContext({ baseURL: origin });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await logIn(page, alice);
    await page.goto('/notifications');
    await comment(url, bob, post.id, 'Before restart');
    await page.getByText('Before res...', { exact: true }).waitFor();

    await app.stop();
    await page.getByRole('status').getByText('Connection lost').waitFor();
    await start(Number(new URL(origin).port));
    // Made before the page is back: only the resume can bring them.
    await comment(url, bob, post.id, 'After one');
    await comment(url, bob, post.id, 'After two');

    await page.getByText('After two...', { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByRole('status').getByText('Connection lost').waitFor({ state: 'detached' });
    await notificationsLink(page, 3).waitFor();
    const peeks = await page.getByRole('main').locator('.peek').allTextContents();
    expect(peeks).toEqual(['After two...', 'After one...', 'Before res...']);
  });
});
