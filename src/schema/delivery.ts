// Delivery beyond the open app, as the viewer sees it: preferences per kind and
// channel, muting a post, and each notification's deliveries.

import { notFound } from '../errors.js';
import {
  NotificationChannel as Channels,
  NotificationKind as Kinds,
  type NotificationChannel,
  type NotificationKind,
} from '../generated/prisma/client.js';
import { decodeId } from './args.js';
import { builder, viewerId } from './builder.js';
import { Notification, NotificationKind as NotificationKindEnum } from './notification.js';
import { Post } from './post.js';

const NotificationChannelEnum = builder.enumType('NotificationChannel', {
  description: 'Where a notification reaches its recipient.',
  values: {
    IN_APP: { description: 'The stored list, the unread count and the live subscriptions.' },
    EMAIL: {
      description: "An email to the recipient's address (when the server has a mail transport).",
    },
    PUSH: { description: 'A Web Push message to every browser the recipient registered.' },
    WEBHOOK: {
      description: 'A signed HTTP POST to every webhook endpoint the recipient registered.',
    },
  } as const,
});

const DeliveryStatus = builder.enumType('DeliveryStatus', {
  values: {
    PENDING: { description: 'Queued, or waiting for its next attempt.' },
    SENT: { description: 'Accepted by the mail server, the push service or the webhook endpoint.' },
    FAILED: {
      description: 'Given up after the last attempt, or refused for good (e.g. 410 Gone).',
    },
  } as const,
});

type Preference = { kind: NotificationKind; channel: NotificationChannel; enabled: boolean };

const NotificationPreference = builder.objectRef<Preference>('NotificationPreference').implement({
  description: 'Whether one kind of notification reaches the viewer on one channel.',
  fields: (t) => ({
    kind: t.expose('kind', { type: NotificationKindEnum }),
    channel: t.expose('channel', { type: NotificationChannelEnum }),
    enabled: t.exposeBoolean('enabled'),
  }),
});

const NotificationPreferenceInput = builder.inputType('NotificationPreferenceInput', {
  fields: (t) => ({
    kind: t.field({ type: NotificationKindEnum, required: true }),
    channel: t.field({ type: NotificationChannelEnum, required: true }),
    enabled: t.boolean({ required: true }),
  }),
});

type DeliveryRecord = {
  channel: NotificationChannel;
  status: 'PENDING' | 'SENT' | 'FAILED';
  attempts: number;
  lastError: string | null;
  updatedAt: Date;
};

const NotificationDelivery = builder.objectRef<DeliveryRecord>('NotificationDelivery').implement({
  description:
    "One channel's delivery of one notification (IN_APP is not listed: it is the notification).",
  fields: (t) => ({
    channel: t.expose('channel', { type: NotificationChannelEnum }),
    status: t.expose('status', { type: DeliveryStatus }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made so far.' }),
    lastError: t.exposeString('lastError', {
      nullable: true,
      description:
        'A short reason for the last failure, e.g. "SMTP 451" or "HTTP 500"; never a stack trace.',
    }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField(Notification, 'deliveries', (t) =>
  t.field({
    type: [NotificationDelivery],
    description: 'How this notification went out on the other channels; [] when none applied.',
    // Part of the notification's own query: no query per notification.
    select: {
      deliveryItems: {
        orderBy: { deliveryId: 'asc' },
        select: {
          delivery: {
            select: {
              channel: true,
              status: true,
              attempts: true,
              lastError: true,
              updatedAt: true,
            },
          },
        },
      },
    },
    resolve: (notification) => notification.deliveryItems.map((item) => item.delivery),
  }),
);

builder.prismaObjectField(Post, 'viewerHasMuted', (t) =>
  t.boolean({
    description:
      'Whether the viewer muted this post: no notification about it reaches them, on any channel.',
    select: (_args, ctx) => ({
      mutes: { where: { userId: ctx.viewer?.id ?? 0 }, select: { userId: true } },
    }),
    resolve: (post) => post.mutes.length > 0,
  }),
);

/** Every kind × channel pair, in the enums' order, with the viewer's choices over the defaults. */
async function preferencesOf(prisma: Parameters<typeof viewerId>[0]['prisma'], userId: number) {
  const rows = await prisma.notificationPreference.findMany({ where: { userId } });
  const chosen = new Map(rows.map((r) => [`${r.kind}/${r.channel}`, r.enabled]));
  return Object.values(Kinds).flatMap((kind) =>
    Object.values(Channels).map((channel) => ({
      kind,
      channel,
      // Every pair is on until the viewer turns it off.
      enabled: chosen.get(`${kind}/${channel}`) ?? true,
    })),
  );
}

builder.queryFields((t) => ({
  notificationPreferences: t.field({
    type: [NotificationPreference],
    description:
      'Every kind × channel pair for the viewer, defaults filled in. UNAUTHENTICATED when anonymous.',
    resolve: (_root, _args, ctx) => preferencesOf(ctx.prisma, viewerId(ctx)),
  }),
}));

builder.mutationFields((t) => ({
  updateNotificationPreferences: t.field({
    type: [NotificationPreference],
    description: 'Sets the given pairs; returns every pair, as notificationPreferences does.',
    args: { input: t.arg({ type: [NotificationPreferenceInput], required: true }) },
    resolve: async (_root, args, ctx) => {
      const userId = viewerId(ctx);
      // The last one wins when a pair repeats.
      const pairs = new Map<string, Preference>();
      for (const p of args.input) pairs.set(`${p.kind}/${p.channel}`, p);
      const list = [...pairs.values()];
      if (list.length > 0) {
        await ctx.prisma.$executeRaw`
          INSERT INTO "NotificationPreference" ("userId", "kind", "channel", "enabled")
          SELECT ${userId}::int, k::"NotificationKind", c::"NotificationChannel", e
          FROM unnest(${list.map((p) => p.kind)}::text[], ${list.map((p) => p.channel)}::text[],
                      ${list.map((p) => p.enabled)}::boolean[]) AS x(k, c, e)
          ON CONFLICT ("userId", "kind", "channel") DO UPDATE SET "enabled" = EXCLUDED."enabled"`;
      }
      return preferencesOf(ctx.prisma, userId);
    },
  }),
  mutePost: t.prismaField({
    type: 'Post',
    description: 'Nothing about this post reaches the viewer while it is muted. Idempotent.',
    args: { postId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const userId = viewerId(ctx);
      const postId = decodeId(args.postId, 'Post', 'postId');
      // INSERT … SELECT: a post that does not exist inserts nothing (and is NOT_FOUND below).
      await ctx.prisma.$executeRaw`
        INSERT INTO "PostMute" ("userId", "postId")
        SELECT ${userId}::int, "id" FROM "Post" WHERE "id" = ${postId}::int
        ON CONFLICT DO NOTHING`;
      const post = await ctx.prisma.post.findUnique({ ...query, where: { id: postId } });
      if (!post) throw notFound('Post');
      return post;
    },
  }),
  unmutePost: t.prismaField({
    type: 'Post',
    description: 'Undoes mutePost. Idempotent.',
    args: { postId: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const userId = viewerId(ctx);
      const postId = decodeId(args.postId, 'Post', 'postId');
      await ctx.prisma.postMute.deleteMany({ where: { userId, postId } });
      const post = await ctx.prisma.post.findUnique({ ...query, where: { id: postId } });
      if (!post) throw notFound('Post');
      return post;
    },
  }),
}));
