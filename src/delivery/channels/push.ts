// The Web Push channel: who gets pushes (recipients with PUSH on for the kind, one
// delivery per registered browser), one attempt (an RFC 8291 aes128gcm message
// with RFC 8292 VAPID authorization, built by `web-push`, sent by our own pinned
// POST), and what is final: 404 or 410 from the push service means the browser
// unsubscribed, so its subscription is removed and the delivery FAILED.
import { encodeGlobalID } from '@pothos/plugin-relay';
import webPush from 'web-push';
import type { NotificationKind, PrismaClient } from '../../generated/prisma/client.js';
import type { Channel, Failure } from '../channel.js';
import { describeHttpError, HttpStatusError, postTo } from '../http-post.js';
import { notificationLink } from '../links.js';
import type { VapidKeys } from '../push/vapid.js';
import { perTargetCtes } from '../queue.js';
import type { UrlPolicy } from '../safe-url.js';

/** A day: a notification older than that is not worth waking a phone for. */
const TTL_SECONDS = 86_400;
/** RFC 8030 Urgency: a comment on your post matters more than a followed author's post. */
const URGENCY: Record<NotificationKind, webPush.Urgency> = {
  COMMENT_ON_POST: 'normal',
  NEW_POST_BY_FOLLOWED: 'low',
};

export type PushOptions = {
  prisma: PrismaClient;
  vapid: VapidKeys;
  timeoutMs: number;
  policy: UrlPolicy;
  /** Known once the server listens (PUBLIC_URL defaults to its own address). */
  publicUrl(): string;
};

/** The browser is gone (404/410), or its subscription was removed meanwhile. */
class SubscriptionGoneError extends Error {}

export function createPushChannel(options: PushOptions): Channel {
  const { prisma, vapid } = options;
  return {
    channel: 'PUSH',
    record: (kind) =>
      perTargetCtes('PUSH', kind, {
        table: 'PushSubscription',
        column: 'pushSubscriptionId',
      }),
    async attempt(claimed) {
      const delivery = await prisma.delivery.findUniqueOrThrow({
        where: { id: claimed.id },
        select: {
          pushSubscription: { select: { id: true, endpoint: true, p256dh: true, auth: true } },
          items: {
            select: {
              notification: {
                select: {
                  id: true,
                  kind: true,
                  message: true,
                  peek: true,
                  post: { select: { id: true } },
                },
              },
            },
          },
        },
      });
      const subscription = delivery.pushSubscription;
      const n = delivery.items[0]?.notification;
      if (!subscription || !n) throw new SubscriptionGoneError('subscription removed');
      const payload = JSON.stringify({
        id: encodeGlobalID('Notification', n.id),
        kind: n.kind,
        message: n.message,
        peek: n.peek,
        url: notificationLink(options.publicUrl(), n.post?.id ?? null),
      });
      // Encrypts for this browser's keys (a fresh salt and key each time) and signs
      // the VAPID JWT for the push service's origin.
      const request = webPush.generateRequestDetails(
        {
          endpoint: subscription.endpoint,
          keys: { p256dh: subscription.p256dh, auth: subscription.auth },
        },
        payload,
        {
          vapidDetails: vapid,
          TTL: TTL_SECONDS,
          urgency: URGENCY[claimed.kind],
          contentEncoding: 'aes128gcm',
        },
      );
      const response = await postTo(subscription.endpoint, {
        headers: request.headers as Record<string, string | number>,
        body: request.body as Buffer,
        timeoutMs: options.timeoutMs,
        policy: options.policy,
      });
      if (response.status === 404 || response.status === 410) {
        // Only this row: the browser may have registered again meanwhile with new keys.
        await prisma.pushSubscription.deleteMany({
          where: {
            id: subscription.id,
            endpoint: subscription.endpoint,
            p256dh: subscription.p256dh,
          },
        });
        throw new SubscriptionGoneError(`HTTP ${response.status}`);
      }
      if (response.status < 200 || response.status > 299) {
        throw new HttpStatusError(response.status);
      }
    },
    classify,
    async close() {},
  };
}

export function classify(error: unknown): Failure {
  if (error instanceof SubscriptionGoneError) return { reason: error.message, permanent: true };
  return { reason: describeHttpError(error), permanent: false };
}
