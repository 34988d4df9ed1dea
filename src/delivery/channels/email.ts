// The email channel: who gets email (recipients with EMAIL on for the kind, when
// SMTP_URL is set), one attempt (render the kind's template, send it), and which
// SMTP answers are final (5xx for the recipient or the message).
import { createHmac } from 'node:crypto';
import type { NotificationKind, PrismaClient } from '../../generated/prisma/client.js';
import type { Channel, Failure } from '../channel.js';
import { renderHtml, renderText } from '../email/render.js';
import { templates } from '../email/templates.js';
import type { MailTransport } from '../email/transport.js';
import { digestCtes, eachCtes } from '../queue.js';
import type { UnsubscribeTokens } from '../unsubscribe.js';

/** Kinds sent as a digest at the end of a window instead of one email each. */
const DIGESTED = new Set<NotificationKind>(['NEW_POST_BY_FOLLOWED']);

export type EmailOptions = {
  prisma: PrismaClient;
  transport: MailTransport;
  unsubscribe: UnsubscribeTokens;
  /** Signs Message-IDs so that two deployments' ids never collide. */
  secret: string;
  from: string;
  digestSeconds: number;
  /** Known once the server listens (PUBLIC_URL defaults to its own address). */
  publicUrl(): string;
};

export function createEmailChannel(options: EmailOptions): Channel {
  const { prisma, transport } = options;
  const domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'localhost';
  // The same delivery always gets the same Message-ID, however often it is retried.
  const messageId = (deliveryId: number) => {
    const tag = createHmac('sha256', options.secret).update(`message-id:${deliveryId}`);
    return `<delivery-${deliveryId}.${tag.digest('base64url').slice(0, 16)}@${domain}>`;
  };

  return {
    channel: 'EMAIL',
    record: (kind) =>
      DIGESTED.has(kind)
        ? digestCtes('EMAIL', kind, options.digestSeconds)
        : eachCtes('EMAIL', kind),
    async attempt(claimed) {
      const delivery = await prisma.delivery.findUniqueOrThrow({
        where: { id: claimed.id },
        select: {
          recipient: { select: { email: true } },
          items: {
            orderBy: { notificationId: 'asc' },
            select: {
              notification: {
                select: {
                  message: true,
                  peek: true,
                  postId: true,
                  post: { select: { title: true } },
                },
              },
            },
          },
        },
      });
      const items = delivery.items.map(({ notification: n }) => ({
        message: n.message,
        peek: n.peek,
        postId: n.post ? n.postId : null,
        postTitle: n.post?.title ?? null,
      }));
      const base = options.publicUrl().replace(/\/+$/, '');
      const content = templates[claimed.kind](items, base);
      const unsubscribe = `${base}/unsubscribe?token=${options.unsubscribe.sign(claimed.recipientId, claimed.kind)}`;
      const text = `${renderText(content.blocks)}\nStop emails like this one: ${unsubscribe}\n`;
      await transport.send({
        from: options.from,
        to: delivery.recipient.email,
        subject: content.subject,
        text,
        html: renderHtml(content.subject, content.blocks),
        messageId: messageId(claimed.id),
        headers: {
          'List-Unsubscribe': `<${unsubscribe}>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        },
      });
    },
    classify,
    async close() {
      transport.close();
    },
  };
}

/** SMTP commands whose 5xx answer concerns this recipient or this message. */
const FINAL_COMMANDS = new Set(['RCPT TO', 'DATA']);

/** nodemailer's errors, reduced to a short reason that names no address. */
export function classify(error: unknown): Failure {
  const e = (error ?? {}) as {
    responseCode?: unknown;
    code?: unknown;
    command?: unknown;
    message?: unknown;
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (typeof e.responseCode === 'number') {
    const permanent =
      e.responseCode >= 500 &&
      e.responseCode < 600 &&
      (code === 'EENVELOPE' || code === 'EMESSAGE' || FINAL_COMMANDS.has(String(e.command)));
    return { reason: `SMTP ${e.responseCode}`, permanent };
  }
  const message = typeof e.message === 'string' ? e.message : '';
  if (/ECONNREFUSED/.test(message) || code === 'ECONNREFUSED') {
    return { reason: 'connection refused', permanent: false };
  }
  if (code === 'ETIMEDOUT' || /timeout/i.test(message))
    return { reason: 'timeout', permanent: false };
  return { reason: code ? `SMTP ${code}` : 'error', permanent: false };
}
