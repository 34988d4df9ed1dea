// Every page of the web inbox, used with the keyboard alone, checked with axe, and
// photographed at desktop and phone width.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../helpers/clients.js';
import { LogIn } from '../helpers/operations.js';
import { createPost, signUp, type TestUser } from '../helpers/users.js';
import {
  expectAccessible,
  hasChromium,
  launchBrowser,
  logIn,
  newContext,
  notificationsLink,
  screenshots,
  startWebServer,
  tabTo,
  type WebServer,
} from './helpers.js';

describe.skipIf(!hasChromium)('the web inbox, page by page', () => {
  let server: WebServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  });
  // Anything the Content-Security-Policy blocked: the app must need nothing it forbids.
  const blocked: string[] = [];
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(blocked.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function newPage(): Promise<Page> {
    const context = await newContext(browser, server);
    contexts.push(context);
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    return context.newPage();
  }

  it('signs up with the keyboard alone, showing an API error next to its field', async () => {
    const taken = await signUp(server.url, 'taken');
    const page = await newPage();
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Sign up' }).waitFor();
    await expectAccessible(page);
    await screenshots(page, 'sign-up');

    const username = page.getByRole('textbox', { name: 'Username' });
    await tabTo(page, page.getByRole('textbox', { name: 'Email' }));
    await page.keyboard.type('someone.new@example.com');
    await tabTo(page, username);
    await page.keyboard.type(taken.username);
    await tabTo(page, page.getByLabel('Password'));
    await page.keyboard.type('correct horse');
    await page.keyboard.press('Enter');

    await page.getByText('This username is taken.').waitFor();
    expect(await username.getAttribute('aria-invalid')).toBe('true');
    const describedBy = await username.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBe(
      'This username is taken.',
    );
    await expectAccessible(page);

    await tabTo(page, username, { back: true });
    await page.keyboard.press('Control+A');
    await page.keyboard.type(`fresh_${Date.now() % 1_000_000}`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });

  it('logs in, says when the password is wrong, and logs out', async () => {
    const user = await signUp(server.url, 'returning');
    const page = await newPage();
    await page.goto('/');
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await expectAccessible(page);
    await screenshots(page, 'log-in');

    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('Wrong email or password.').waitFor();

    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Log in' }).click();
    await tabTo(page, page.getByRole('button', { name: 'Log out' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    await page.getByText('You are logged out.').waitFor();
    expect(await page.getByRole('link', { name: 'Sign up' }).getAttribute('href')).toBe('/');
  });

  it('publishes a post and comments on it with the keyboard alone', async () => {
    const author = await signUp(server.url, 'author');
    const page = await newPage();
    await logIn(page, author);
    await createPost(server.url, await signUp(server.url, 'other'), 'Somebody else’s post');
    await page.reload();
    await page.getByRole('link', { name: 'Somebody else’s post' }).waitFor();
    await expectAccessible(page);
    await screenshots(page, 'home');

    await tabTo(page, page.getByRole('textbox', { name: 'Title' }));
    await page.keyboard.type('Keyboards are enough');
    await tabTo(page, page.getByRole('textbox', { name: 'Body' }));
    await page.keyboard.type('Every part of this app works without a mouse.');
    await tabTo(page, page.getByRole('button', { name: 'Publish' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Keyboards are enough' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/posts\/[^/]+$/);

    await tabTo(page, page.getByRole('textbox', { name: 'Comment' }));
    await page.keyboard.type('And a comment, too.');
    await tabTo(page, page.getByRole('button', { name: 'Add comment' }));
    await page.keyboard.press('Enter');
    await page.getByRole('main').getByRole('listitem').getByText('And a comment, too.').waitFor();
    await page.getByRole('link', { name: author.username }).first().waitFor();
    await expectAccessible(page);
    await screenshots(page, 'post');

    // A reload shows the same page: the path is the state.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Keyboards are enough' }).waitFor();
  });

  it('follows a user, whose next post then arrives as a notification', async () => {
    const [reader, writer] = await Promise.all([
      signUp(server.url, 'reader'),
      signUp(server.url, 'writer'),
    ]);
    await createPost(server.url, writer, 'An older post');
    const page = await newPage();
    await logIn(page, reader);
    await page.goto(`/users/${encodeURIComponent(writer.id)}`);
    await page.getByRole('heading', { level: 1, name: writer.username }).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Follow' }));
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Unfollow' }).waitFor();
    await page.getByText('1 follower').waitFor();
    await expectAccessible(page);
    await screenshots(page, 'user');

    await createPost(server.url, writer, 'Fresh from the writer');
    await notificationsLink(page, 1).waitFor();
    await tabTo(page, notificationsLink(page, 1));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
    const item = page.getByRole('main').getByRole('listitem').first();
    await item.getByText(`${writer.username} published a new post.`).waitFor();
    await item.getByText('Fresh from...').waitFor();
    await expectAccessible(page);
    await screenshots(page, 'notifications');

    await tabTo(page, page.getByRole('button', { name: 'Mark all as read' }));
    await page.keyboard.press('Enter');
    await notificationsLink(page).waitFor();
    expect(await item.textContent()).not.toMatch(/unread/i);

    // Unfollowing is the same button.
    await page.goto(`/users/${encodeURIComponent(writer.id)}`);
    await page.getByRole('button', { name: 'Unfollow' }).click();
    await page.getByRole('button', { name: 'Follow' }).waitFor();
  });

  it('has a settings page and a not-found page that pass axe', async () => {
    const user = await signUp(server.url, 'settler');
    const page = await newPage();
    await logIn(page, user);
    await page.goto('/settings/notifications');
    await page.getByRole('heading', { level: 1, name: 'Notification settings' }).waitFor();
    await page
      .getByRole('main')
      .getByText(/preferences|reaches you/)
      .first()
      .waitFor();
    await expectAccessible(page);
    await screenshots(page, 'settings');

    await page.goto('/no/such/page');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    await expectAccessible(page);

    // The dark colour scheme keeps its contrast.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await expectAccessible(page);
  });

  it('sends a signed-out visitor of the notifications to the log-in page', async () => {
    const page = await newPage();
    await page.goto('/notifications');
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('returns to the log-in page, saying why, when the session is ended elsewhere (close 4403)', async () => {
    const user = await signUp(server.url, 'elsewhere');
    const page = await newPage();
    await logIn(page, user);
    const secondTab = await page.context().newPage();
    await secondTab.goto('/notifications');
    await notificationsLink(secondTab).waitFor();

    // Another device logs out: the server revokes every token and closes the sockets.
    const device = await ok(server.url, LogIn, {
      input: { email: user.email, password: 'correct horse' },
    });
    await logOutEverywhere(server, device.logIn.token);
    for (const tab of [page, secondTab]) {
      await tab.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
      await tab.getByText('You were logged out').waitFor();
    }
  });

  it('logs out every tab when one tab logs out', async () => {
    const user: TestUser = await signUp(server.url, 'tabs');
    const page = await newPage();
    await logIn(page, user);
    const secondTab = await page.context().newPage();
    await secondTab.goto('/');
    await secondTab.getByRole('button', { name: 'Log out' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await secondTab.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    expect(await secondTab.getByRole('button', { name: 'Log out' }).count()).toBe(0);
  });
});

async function logOutEverywhere(server: WebServer, token: string) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { logOut }' }),
  });
  expect(await response.json()).toEqual({ data: { logOut: true } });
}
