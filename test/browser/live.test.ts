// The live parts of the web inbox, in real browsers: the unread count in every tab, the
// notifications page filling in live, read state, and resuming after going offline.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/clients.js';
import { Notifications } from '../helpers/operations.js';
import { comment, createPost, signUp, type TestUser } from '../helpers/users.js';
import {
  hasChromium,
  launchBrowser,
  logIn,
  newContext,
  notificationsLink,
  startWebServer,
  type WebServer,
} from './helpers.js';

describe.skipIf(!hasChromium)('the web inbox, live', () => {
  let server: WebServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function signedIn(user: TestUser): Promise<Page> {
    const context = await newContext(browser, server);
    contexts.push(context);
    const page = await context.newPage();
    await logIn(page, user);
    return page;
  }

  const items = (page: Page) => page.getByRole('main').getByRole('listitem');

  it('updates the author’s link within a second of a comment, in every tab, without a reload', async () => {
    const [alice, bob] = await Promise.all([
      signUp(server.url, 'alice'),
      signUp(server.url, 'bob'),
    ]);
    const post = await createPost(server.url, alice, 'Hello from Alice');
    const aliceTab = await signedIn(alice);
    const aliceSecondTab = await aliceTab.context().newPage();
    await aliceSecondTab.goto('/notifications');
    await notificationsLink(aliceSecondTab).waitFor();
    const bobTab = await signedIn(bob);

    // Bob comments through the page, as a person would.
    await bobTab.goto(`/posts/${encodeURIComponent(post.id)}`);
    await bobTab.getByRole('heading', { level: 1, name: 'Hello from Alice' }).waitFor();
    await bobTab.getByLabel('Comment').fill('Welcome aboard, Alice!');
    const created = bobTab.waitForResponse(
      (r) => r.url().endsWith('/graphql') && !!r.request().postData()?.includes('CreateComment'),
    );
    await bobTab.getByRole('button', { name: 'Add comment' }).click();
    await created;

    await Promise.all([
      notificationsLink(aliceTab, 1).waitFor({ timeout: 1_000 }),
      notificationsLink(aliceSecondTab, 1).waitFor({ timeout: 1_000 }),
    ]);
    // The second tab was on the notifications page: the item arrived there too.
    await items(aliceSecondTab).filter({ hasText: 'commented on your post.' }).waitFor();
    await bobTab.getByText('Welcome aboard, Alice!').waitFor();
    // Bob's own comment tells Bob nothing.
    expect(await notificationsLink(bobTab).count()).toBe(1);
  });

  it('lists notifications newest first, adds new ones at the top, and marks all as read in every tab', async () => {
    const [alice, bob] = await Promise.all([
      signUp(server.url, 'alice'),
      signUp(server.url, 'bob'),
    ]);
    const post = await createPost(server.url, alice, 'Read state');
    await comment(server.url, bob, post.id, 'First one here');
    const page = await signedIn(alice);
    const otherTab = await page.context().newPage();
    await otherTab.goto('/notifications');
    await notificationsLink(otherTab, 1).waitFor();

    await notificationsLink(page, 1).click();
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    await items(page).first().getByText('First one ...').waitFor();
    expect(await items(page).first().textContent()).toContain('Unread');

    await comment(server.url, bob, post.id, 'Second one here');
    await items(page).first().getByText('Second one...').waitFor({ timeout: 1_000 });
    expect(await items(page).count()).toBe(2);
    await notificationsLink(page, 2).waitFor({ timeout: 1_000 });

    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await Promise.all([
      notificationsLink(page).waitFor({ timeout: 1_000 }),
      notificationsLink(otherTab).waitFor({ timeout: 1_000 }),
    ]);
    for (const text of await items(page).allTextContents()) expect(text).not.toMatch(/unread/i);
    // The other tab's list shows them read too.
    await items(otherTab).filter({ hasText: 'Unread' }).first().waitFor({ state: 'detached' });
    expect(await items(otherTab).count()).toBe(2);
  });

  it('marks an item read when its link is followed, and opens its post', async () => {
    const [alice, bob] = await Promise.all([
      signUp(server.url, 'alice'),
      signUp(server.url, 'bob'),
    ]);
    const post = await createPost(server.url, alice, 'Follow the link');
    await comment(server.url, bob, post.id, 'Open me please');
    const page = await signedIn(alice);
    await page.goto('/notifications');
    await items(page).first().getByText('Open me pl...').waitFor();

    await items(page)
      .first()
      .getByRole('link', { name: `${bob.username} commented on your post.` })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Follow the link' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/posts/${encodeURIComponent(post.id)}`);
    await notificationsLink(page).waitFor({ timeout: 1_000 });
    await page.goBack();
    await items(page).first().getByText('Open me pl...').waitFor();
    expect(await items(page).first().textContent()).not.toMatch(/unread/i);
  });

  it('shows what was created while it was offline exactly once, when it is back online', async () => {
    const [alice, bob] = await Promise.all([
      signUp(server.url, 'alice'),
      signUp(server.url, 'bob'),
    ]);
    const post = await createPost(server.url, alice, 'Offline gap');
    // One notification in the loaded list, so the page subscribes from it (since): an
    // empty list subscribes from "now", and a comment made before the server has that
    // subscription in place reaches the page only by reading the list again.
    await comment(server.url, bob, post.id, 'Loaded first');
    const page = await signedIn(alice);
    await page.goto('/notifications');
    await items(page).getByText('Loaded fir...').waitFor();
    // Then one live: the page moves its `since` to it.
    await comment(server.url, bob, post.id, 'Before the gap');
    await items(page).getByText('Before the...').waitFor();
    const listed = await ok(server.url, Notifications, { first: 1 }, alice.token);
    const newest = listed.notifications.edges[0]?.node.id;
    // What the page asks for when it subscribes again.
    const resumedFrom: unknown[] = [];
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload));
        if (message.type === 'subscribe' && message.payload.operationName === 'NotificationAdded') {
          resumedFrom.push(message.payload.variables.since);
        }
      }),
    );

    await page.context().setOffline(true);
    await page.getByRole('status').filter({ hasText: 'You are offline' }).waitFor();
    await comment(server.url, bob, post.id, 'Gap first!');
    await comment(server.url, bob, post.id, 'Gap second');
    // Offline means offline: nothing arrives until the connection is back.
    await page.waitForTimeout(500);
    expect(await items(page).count()).toBe(2);

    await page.context().setOffline(false);
    await items(page).getByText('Gap second...').waitFor({ timeout: 5_000 });
    await items(page).getByText('Gap first!...').waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: 'You are offline' })
      .waitFor({ state: 'detached' });
    // Late duplicates would show up here.
    await page.waitForTimeout(500);
    const peeks = await items(page).locator('.peek').allTextContents();
    expect(peeks).toEqual(['Gap second...', 'Gap first!...', 'Before the...', 'Loaded fir...']);
    await notificationsLink(page, 4).waitFor();
    // It resumed from the newest notification it had, on a new socket.
    expect(resumedFrom).toEqual([newest]);
  });
});
