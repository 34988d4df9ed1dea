// The webhook channel: who gets webhooks (recipients with WEBHOOK on for the kind,
// one delivery per endpoint of theirs), one attempt (a JSON POST signed the
// Standard Webhooks way), and what is final (the endpoint was deleted). Any
// answer but a 2xx within the deadline is retried by the shared worker.
import { createHmac } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { Webhook } from 'standardwebhooks';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Channel, Failure } from '../channel.js';
import { describeHttpError, HttpStatusError, postTo } from '../http-post.js';
import { perTargetCtes } from '../queue.js';
import type { UrlPolicy } from '../safe-url.js';

export type WebhookOptions = {
  prisma: PrismaClient;
  /** Makes webhook ids unique to this deployment. */
  secret: string;
  timeoutMs: number;
  policy: UrlPolicy;
};

/** The delivery's target is gone (deleted by its owner): nothing to retry. */
class EndpointGoneError extends Error {
  constructor() {
    super('endpoint deleted');
  }
}

export function createWebhookChannel(options: WebhookOptions): Channel {
  const { prisma } = options;
  // Standard Webhooks' idempotency key: the same on every retry of one delivery,
  // so a receiver can drop a repeat it already processed.
  const webhookId = (deliveryId: number) => {
    const tag = createHmac('sha256', options.secret).update(`webhook-id:${deliveryId}`);
    return `msg_${deliveryId}_${tag.digest('base64url').slice(0, 16)}`;
  };

  return {
    channel: 'WEBHOOK',
    record: (kind) =>
      perTargetCtes('WEBHOOK', kind, {
        table: 'WebhookEndpoint',
        column: 'webhookEndpointId',
      }),
    async attempt(claimed) {
      const delivery = await prisma.delivery.findUniqueOrThrow({
        where: { id: claimed.id },
        select: {
          webhookEndpoint: { select: { url: true, secret: true } },
          items: { select: { notification: { select: notificationFields } } },
        },
      });
      const endpoint = delivery.webhookEndpoint;
      const notification = delivery.items[0]?.notification;
      if (!endpoint || !notification) throw new EndpointGoneError();
      const body = JSON.stringify(webhookBody(notification));
      const id = webhookId(claimed.id);
      // Whole seconds: the header carries Unix seconds, and the signature covers them.
      const now = Math.floor(Date.now() / 1000);
      const response = await postTo(endpoint.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'notify-graphql-webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': String(now),
          'webhook-signature': new Webhook(endpoint.secret).sign(id, new Date(now * 1000), body),
        },
        body,
        timeoutMs: options.timeoutMs,
        policy: options.policy,
      });
      if (response.status < 200 || response.status > 299) {
        throw new HttpStatusError(response.status);
      }
    },
    classify,
    async close() {},
  };
}

export function classify(error: unknown): Failure {
  if (error instanceof EndpointGoneError) return { reason: error.message, permanent: true };
  return { reason: describeHttpError(error), permanent: false };
}

const notificationFields = {
  id: true,
  kind: true,
  message: true,
  peek: true,
  createdAt: true,
  actor: { select: { id: true, username: true } },
  post: { select: { id: true, title: true } },
  comment: { select: { id: true, text: true } },
} as const;

type NotificationRow = {
  id: number;
  kind: string;
  message: string;
  peek: string;
  createdAt: Date;
  actor: { id: number; username: string };
  post: { id: number; title: string } | null;
  comment: { id: number; text: string } | null;
};

/**
 * The contract's body, with the API's global ids. `timestamp` is when the event
 * happened, so every retry carries the same body (the signature's timestamp is
 * the attempt's own).
 */
function webhookBody(n: NotificationRow) {
  return {
    type: 'notification.created',
    timestamp: n.createdAt.toISOString(),
    data: {
      id: encodeGlobalID('Notification', n.id),
      kind: n.kind,
      message: n.message,
      peek: n.peek,
      createdAt: n.createdAt.toISOString(),
      actor: { id: encodeGlobalID('User', n.actor.id), username: n.actor.username },
      post: n.post ? { id: encodeGlobalID('Post', n.post.id), title: n.post.title } : null,
      comment: n.comment
        ? { id: encodeGlobalID('Comment', n.comment.id), text: n.comment.text }
        : null,
    },
  };
}
