// The web inbox's use of the planned delivery API (shared/contract/next/delivery.graphql):
// the preferences page, muting a post, and Web Push for this browser. These run as soon
// as the server has that API, found by asking the running server.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { comment, createPost, signUp, type TestUser } from '../helpers/users.js';
import {
  expectAccessible,
  hasChromium,
  launchBrowser,
  logIn,
  newContext,
  notificationsLink,
  screenshots,
  serverHasDelivery,
  startWebServer,
  tabTo,
  type WebServer,
} from './helpers.js';

const server: WebServer | undefined = hasChromium ? await startWebServer() : undefined;
const hasDelivery = server ? await serverHasDelivery(server.url) : false;
if (server && !hasDelivery) {
  console.warn(
    'The server has no delivery API yet: skipping the preferences, mute and push tests.',
  );
}

const KINDS = ['Comments on my posts', 'New posts from people I follow'];
const CHANNELS = ['In app', 'Email', 'Push', 'Webhook'];

describe.skipIf(!hasChromium || !hasDelivery)('the web inbox with the delivery API', () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const api = server as WebServer;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function signedIn(user: TestUser): Promise<Page> {
    const context = await newContext(browser, api);
    contexts.push(context);
    const page = await context.newPage();
    await logIn(page, user);
    return page;
  }

  it('saves each preference at once, and shows it again after a reload', async () => {
    const user = await signUp(api.url, 'prefs');
    const page = await signedIn(user);
    await page.goto('/settings/notifications');
    for (const kind of KINDS) {
      for (const channel of CHANNELS) {
        const box = page.getByRole('checkbox', { name: `${kind}: ${channel}`, exact: true });
        expect(await box.isChecked(), `${kind}: ${channel}`).toBe(true);
      }
    }
    await expectAccessible(page);
    await screenshots(page, 'settings-delivery');

    const email = page.getByRole('checkbox', { name: 'Comments on my posts: Email', exact: true });
    await tabTo(page, email);
    await page.keyboard.press('Space');
    await page.getByRole('status').getByText('Saved.').waitFor();
    await page.reload();
    await page
      .getByRole('checkbox', { name: 'Comments on my posts: In app', exact: true })
      .waitFor();
    expect(await email.isChecked()).toBe(false);
    const stored = await preferences(api, user.token);
    expect(stored).toContainEqual({ kind: 'COMMENT_ON_POST', channel: 'EMAIL', enabled: false });
    expect(stored.filter((p) => p.enabled)).toHaveLength(7);
  });

  it('mutes a post, so its comments no longer notify, and unmutes it', async () => {
    const [author, commenter] = await Promise.all([
      signUp(api.url, 'muter'),
      signUp(api.url, 'chatty'),
    ]);
    const post = await createPost(api.url, author, 'Too many comments');
    const page = await signedIn(author);
    await page.goto(`/posts/${encodeURIComponent(post.id)}`);
    await page.getByRole('button', { name: 'Mute notifications' }).click();
    await page.getByRole('button', { name: 'Unmute notifications' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Unmute notifications' }).waitFor();

    await comment(api.url, commenter, post.id, 'Muted, so unheard');
    await page.waitForTimeout(1_000);
    expect(await notificationsLink(page).count()).toBe(1);

    await page.getByRole('button', { name: 'Unmute notifications' }).click();
    await page.getByRole('button', { name: 'Mute notifications' }).waitFor();
    await comment(api.url, commenter, post.id, 'Heard again');
    await notificationsLink(page, 1).waitFor({ timeout: 2_000 });
  });

  it('offers Web Push for this browser when the server has a key, and says how it went', async () => {
    const user = await signUp(api.url, 'pusher');
    const page = await signedIn(user);
    await page.context().grantPermissions(['notifications']);
    await page.goto('/settings/notifications');
    const key = await webPushPublicKey(api);
    const button = page.getByRole('button', { name: 'Turn on push notifications in this browser' });
    if (!key) {
      await page.getByText('Web Push is off on this server.').waitFor();
      return;
    }
    await button.click();
    // Headless Chromium here has no route to a push service: either outcome is told.
    await page
      .getByRole('status')
      .getByText('Push notifications are on in this browser.')
      .or(page.getByRole('alert').getByText('Push notifications could not be turned on'))
      .waitFor({ timeout: 20_000 });
  });
});

afterAll(async () => {
  await server?.stop();
});

async function preferences(server: WebServer, token: string) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ notificationPreferences { kind channel enabled } }' }),
  });
  const body = (await response.json()) as {
    data: { notificationPreferences: Array<{ kind: string; channel: string; enabled: boolean }> };
  };
  return body.data.notificationPreferences;
}

async function webPushPublicKey(server: WebServer): Promise<string | null> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ webPushPublicKey }' }),
  });
  return ((await response.json()) as { data: { webPushPublicKey: string | null } }).data
    .webPushPublicKey;
}
