// Notifications: the viewer's list, unread count, mark-as-read, and the live streams.
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { Viewer } from '../auth/viewer.js';
import type { Context } from '../context.js';
import { notFound } from '../errors.js';
import type { Notification as NotificationRow } from '../generated/prisma/client.js';
import { eventCovers } from '../notifications/coverage.js';
import { kinds } from '../notifications/kinds.js';
import { notificationStream, unreadCountStream } from '../notifications/stream.js';
import { checkPage, decodeId } from './args.js';
import { builder, viewerId } from './builder.js';
import { rowFromEvent } from './event-rows.js';

export const NotificationKind = builder.enumType('NotificationKind', {
  values: Object.fromEntries(
    Object.entries(kinds).map(([kind, rule]) => [kind, { description: rule.description }]),
  ) as Record<keyof typeof kinds, { description: string }>,
});

export const Notification = builder.prismaNode('Notification', {
  id: { field: 'id' },
  // `node(id:)` answers null for an id that names nothing (or nothing of the viewer's).
  nullable: true,
  // Loading by global id (the `node` query) only ever finds the viewer's own.
  findUnique: (id, ctx) => ({ id: Number(id), recipientId: ctx.viewer?.id ?? 0 }),
  fields: (t) => ({
    kind: t.expose('kind', { type: NotificationKind }),
    message: t.exposeString('message', {
      description: 'Human-readable line, e.g. "alice commented on your post." ',
    }),
    peek: t.exposeString('peek', {
      description: 'A short preview of the content: its first 10 characters followed by "..." ',
    }),
    read: t.exposeBoolean('read'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    actor: t.relation('actor', { description: 'The user whose action caused the notification.' }),
    post: t.relation('post', {
      nullable: true,
      description: 'The post concerned; null once that post is deleted.',
    }),
    comment: t.relation('comment', {
      nullable: true,
      description: 'The comment concerned (COMMENT_ON_POST only); null once deleted.',
    }),
  }),
});

builder.queryFields((t) => ({
  notifications: t.prismaConnection({
    type: 'Notification',
    cursor: 'id',
    description: "The viewer's notifications, newest first. UNAUTHENTICATED when anonymous.",
    args: { unreadOnly: t.arg.boolean() },
    resolve: (query, _root, args, ctx) => {
      const recipientId = viewerId(ctx);
      checkPage(args);
      return ctx.prisma.notification.findMany({
        ...query,
        where: { recipientId, hidden: false, ...(args.unreadOnly ? { read: false } : {}) },
        orderBy: { id: 'desc' },
      });
    },
  }),
  unreadNotificationCount: t.int({
    description:
      "How many of the viewer's notifications are unread. UNAUTHENTICATED when anonymous.",
    resolve: (_root, _args, ctx) =>
      ctx.prisma.notification.count({
        where: { recipientId: viewerId(ctx), read: false, hidden: false },
      }),
  }),
}));

builder.mutationFields((t) => ({
  markNotificationRead: t.prismaField({
    type: 'Notification',
    description: "Marks one of the viewer's notifications read. NOT_FOUND for anyone else's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const recipientId = viewerId(ctx);
      const id = decodeId(args.id, 'Notification', 'id');
      const { count } = await ctx.prisma.notification.updateMany({
        where: { id, recipientId, read: false },
        data: { read: true },
      });
      const notification = await ctx.prisma.notification.findFirst({
        ...query,
        where: { id, recipientId },
      });
      // Someone else's notification looks exactly like one that does not exist.
      if (!notification) throw notFound('Notification');
      if (count > 0) await ctx.notifier.read(recipientId);
      return notification;
    },
  }),
  markAllNotificationsRead: t.int({
    description: "Marks all of the viewer's notifications read; returns how many changed.",
    resolve: async (_root, _args, ctx) => {
      const recipientId = viewerId(ctx);
      // Hidden ones (IN_APP off) are not the viewer's to count.
      const { count } = await ctx.prisma.notification.updateMany({
        where: { recipientId, read: false, hidden: false },
        data: { read: true },
      });
      if (count > 0) await ctx.notifier.read(recipientId);
      return count;
    },
  }),
}));

/** What a live stream needs; over SSE it also watches the session, as a socket would. */
function streamOptions(ctx: Context) {
  const id = viewerId(ctx);
  const viewer = ctx.viewer as Viewer;
  return {
    prisma: ctx.prisma,
    reads: ctx.reads,
    pubsub: ctx.pubsub,
    metrics: ctx.metrics,
    viewerId: id,
    watchSession: ctx.sessionWatched
      ? undefined
      : (onEnd: Parameters<typeof ctx.sessions.watch>[1]) => ctx.sessions.watch(viewer, onEnd),
  };
}

builder.subscriptionFields((t) => ({
  notificationAdded: t.field({
    type: Notification,
    description:
      "Each new notification of the signed-in viewer, and nobody else's.\nWith `since` (the id of the newest notification the client already has),\nevery later notification of the viewer is delivered first, oldest first,\nthen live ones: no gap and no duplicate across a reconnect.",
    args: { since: t.arg.id() },
    subscribe: (_root, args, ctx, info) =>
      notificationStream<NotificationRow>({
        ...streamOptions(ctx),
        reader: ctx.notificationReader,
        since: args.since == null ? undefined : decodeId(args.since, 'Notification', 'since'),
        // The subscriber's own selection, so each read is one query with its relations.
        selection: queryFromInfo({ context: ctx, info }),
        // Most selections ask only for what an event carries: delivered without a read.
        fromEvent: info.fieldNodes.every((node) => eventCovers(node, info.fragments))
          ? rowFromEvent
          : undefined,
      }),
    resolve: (notification) => notification,
  }),
  unreadNotificationCountChanged: t.int({
    description:
      "The viewer's unread count, sent on subscribe and whenever it changes\n(a notification arrives, one or all are marked read).",
    subscribe: (_root, _args, ctx) => unreadCountStream(streamOptions(ctx)),
    resolve: (count) => count,
  }),
}));
