// A token cannot be renewed without the password (the API has no refresh mutation), so
// at its expiry every tab returns to the log-in page and says why.
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/users.js';
import {
  hasChromium,
  launchBrowser,
  logIn,
  newContext,
  startWebServer,
  type WebServer,
} from './helpers.js';

describe.skipIf(!hasChromium)('the web inbox when the token expires', () => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    // Six-second tokens.
    [server, browser] = await Promise.all([
      startWebServer({ TOKEN_TTL_MINUTES: '0.1' }),
      launchBrowser(),
    ]);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('returns every tab to the log-in page with a clear message', async () => {
    const user = await signUp(server.url, 'brief');
    context = await newContext(browser, server);
    const page = await context.newPage();
    await logIn(page, user);
    const loggedInAt = Date.now();
    const secondTab = await context.newPage();
    await secondTab.goto('/notifications');
    await secondTab.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();

    for (const tab of [page, secondTab]) {
      await tab.getByRole('heading', { level: 1, name: 'Log in' }).waitFor({ timeout: 15_000 });
      await tab.getByRole('status').getByText('Your session has expired.').waitFor();
      expect(new URL(tab.url()).pathname).toBe('/login');
    }
    // Not before its time.
    expect(Date.now() - loggedInAt).toBeGreaterThan(4_000);

    // Logging in again works, and starts a new session.
    await logIn(page, user);
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  });
});
