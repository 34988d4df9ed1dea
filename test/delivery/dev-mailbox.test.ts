// SMTP_URL=file: — a developer without a mail server reads the emails as .eml files
// in DATA_DIR/mail. Without SMTP_URL, no email is attempted or recorded.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveriesOf, settledDeliveries } from '../helpers/delivery.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { comment, createPost, signUp } from '../helpers/users.js';

const dir = mkdtempSync(join(tmpdir(), 'notify-mailbox-'));
let server: TestServer;
let plain: TestServer;
// Started before the tests, whose timeout a slow shared machine would otherwise spend here.
beforeAll(async () => {
  server = await startServer({ SMTP_URL: 'file:', DATA_DIR: dir, DELIVERY_POLL_MS: '50' });
  plain = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await plain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the development mailbox', () => {
  it('writes each email as an .eml file named after its Message-ID', async () => {
    const author = await signUp(server.url, 'author');
    const commenter = await signUp(server.url, 'commenter');
    const post = await createPost(server.url, author);
    await comment(server.url, commenter, post.id, 'look in the folder');
    const [notification] = await settledDeliveries(server.url, author);
    expect(notification?.deliveries).toEqual([
      expect.objectContaining({ status: 'SENT', attempts: 1, lastError: null }),
    ]);

    const files = readdirSync(join(dir, 'mail'));
    expect(files).toHaveLength(1);
    const mail = await simpleParser(readFileSync(join(dir, 'mail', files[0] as string)));
    expect(mail.subject).toBe(`${commenter.username} commented on your post.`);
    expect(mail.text).toContain('look in th...');
    expect(files[0]).toBe(`${mail.messageId?.replace(/[<>]/g, '')}.eml`);
  });
});

describe('without SMTP_URL', () => {
  it('records no email delivery', async () => {
    const author = await signUp(plain.url, 'author');
    const commenter = await signUp(plain.url, 'commenter');
    const post = await createPost(plain.url, author);
    await comment(plain.url, commenter, post.id, 'in the app only');
    const list = await deliveriesOf(plain.url, author);
    expect(list).toHaveLength(1);
    expect(list[0]?.deliveries).toEqual([]);
  });
});
