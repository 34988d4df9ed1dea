// Where emails go: a pooled SMTP connection (SMTP_URL=smtp://… or smtps://…), or,
// for a developer without a mail server, `.eml` files in DATA_DIR/mail
// (SMTP_URL=file:), which any mail program opens. The file transport is refused
// under NODE_ENV=production (config.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';

export type MailTransport = {
  send(message: Mail.Options & { messageId: string }): Promise<void>;
  close(): void;
};

export function createMailTransport(smtpUrl: string, dataDir: string): MailTransport {
  if (smtpUrl.startsWith('file:')) return fileTransport(join(dataDir, 'mail'));
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: 5,
    // Well inside the worker's lease, so a hung server is a retry, not a duplicate.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(message) {
      await transporter.sendMail(message);
    },
    close: () => transporter.close(),
  };
}

function fileTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async send(message) {
      const info = await transporter.sendMail(message);
      await mkdir(dir, { recursive: true });
      // Named after the Message-ID: a retry rewrites the same file.
      const name = message.messageId.replace(/[^\w.@-]/g, '');
      await writeFile(join(dir, `${name}.eml`), info.message as Buffer);
    },
    close: () => transporter.close(),
  };
}
