// What the browser tests share: Debian's Chromium driven by playwright-core, the real
// server serving the built app, logging in through the form, axe, and screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { expect } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import type { TestUser } from '../helpers/users.js';

const CHROMIUM = '/usr/bin/chromium';

/** Like the Redis tests: a developer without Chromium is told and skips; CI must have it. */
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) {
  throw new Error(
    `CI needs Chromium at ${CHROMIUM} for the browser tests (apt-get install chromium)`,
  );
}
if (!hasChromium) console.warn(`Chromium not found at ${CHROMIUM}: skipping the browser tests.`);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type WebServer = TestServer & { origin: string };

/** The real server on a free port; it serves web/dist, built by test/browser/setup.ts. */
export async function startWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  const server = await startServer(env);
  return { ...server, origin: new URL(server.url).origin };
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function newContext(browser: Browser, server: WebServer): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: server.origin, viewport: DESKTOP });
  // Fail with Playwright's own message (what it waited for) before the test's timeout.
  context.setDefaultTimeout(10_000);
  return context;
}

/** Logs in through the form, as a person would, and waits for the signed-in home page. */
export async function logIn(page: Page, user: TestUser) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill('correct horse');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/**
 * Presses Tab (Shift+Tab with `back`) until `target` has the focus, which shows it can
 * be reached with the keyboard alone; fails when it cannot.
 */
export async function tabTo(page: Page, target: Locator, options: { back?: boolean } = {}) {
  for (let presses = 0; presses < 40; presses++) {
    if (await target.evaluate((element) => element === element.ownerDocument.activeElement)) return;
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`${target} cannot be reached with the Tab key`);
}

/** The header link, found by its exact accessible name. */
export const notificationsLink = (page: Page, unread = 0) =>
  page.getByRole('link', {
    name: unread ? `Notifications, ${unread} unread` : 'Notifications',
    exact: true,
  });

/** No serious or critical axe violation on the page as it is now. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${page.url()}`).toEqual([]);
}

const SCREENSHOTS = join(import.meta.dirname, '..', 'results', 'screenshots');

/** Saves the page at desktop and at phone width (test/results/ is git-ignored). */
export async function screenshots(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const size = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(size);
}

/** Whether the server has the planned delivery API (shared/contract/next/delivery.graphql). */
export async function serverHasDelivery(graphqlUrl: string): Promise<boolean> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __type(name: "Query") { fields { name } } }' }),
  });
  const body = (await response.json()) as {
    data?: { __type?: { fields?: Array<{ name: string }> } };
  };
  return !!body.data?.__type?.fields?.some((f) => f.name === 'notificationPreferences');
}
