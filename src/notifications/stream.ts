// The subscriber side: one viewer's notifications as a stream, first those newer
// than `since` from the database, then live ones, with nothing missed or repeated.
//
// Events only wake the stream up; it then reads every notification of the viewer
// with an id above the last one it delivered. Because a recipient's ids grow in
// commit order (see store.ts), that read is complete, so a late, lost, repeated
// or reordered event cannot produce a gap or a duplicate, and there is no window
// between the replay and the live part: both are the same read.
import { Repeater } from 'graphql-yoga';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { Metrics } from '../metrics.js';
import type { PubSub, UserEvent } from '../pubsub/pubsub.js';

const PAGE = 100;

type Selection = Omit<Prisma.NotificationFindManyArgs, 'where' | 'orderBy' | 'take'>;

export function notificationStream<Row extends { id: number; createdAt: Date }>(options: {
  prisma: PrismaClient;
  pubsub: PubSub;
  metrics: Metrics;
  viewerId: number;
  /** Deliver notifications with a larger id; undefined: only those created from now on. */
  since?: number;
  /** The subscriber's own selection, so each read is one query with its relations. */
  selection?: Selection;
}): AsyncIterable<Row> {
  const { prisma, pubsub, viewerId, selection, metrics } = options;
  return new Repeater<Row>(async (push, stop) => {
    let last = options.since ?? 0;
    let stopped = false;
    stop.then(() => {
      stopped = true;
    });

    const readNew = rerunning(async () => {
      let page: Row[];
      do {
        page = (await prisma.notification.findMany({
          ...selection,
          where: { recipientId: viewerId, id: { gt: last } },
          orderBy: { id: 'asc' },
          take: PAGE,
        })) as unknown as Row[];
        for (const row of page) {
          if (stopped) return;
          last = row.id;
          await push(row);
          metrics.notificationsDelivered.inc();
          if (row.createdAt instanceof Date) {
            metrics.deliveryLatency.observe((Date.now() - row.createdAt.getTime()) / 1000);
          }
        }
      } while (page.length === PAGE && !stopped);
    }, stop);

    // Until the starting point is known, events are ignored: the first read, which
    // starts after it, fetches whatever they announced.
    let started = false;
    const onEvent = (event: UserEvent) => {
      if (!started || event.type === 'read' || event.type === 'revoked') return;
      if (event.type === 'notification' && event.id <= last) return;
      void readNew();
    };

    // Listen before reading the starting point, so nothing committed in between is missed.
    const unsubscribe = await pubsub.subscribe(viewerId, onEvent);
    metrics.liveSubscriptions.inc({ field: 'notificationAdded' });
    try {
      if (options.since === undefined) {
        const newest = await prisma.notification.findFirst({
          where: { recipientId: viewerId },
          orderBy: { id: 'desc' },
          select: { id: true },
        });
        last = newest?.id ?? 0;
      }
      started = true;
      await readNew();
      await stop;
    } finally {
      metrics.liveSubscriptions.dec({ field: 'notificationAdded' });
      await unsubscribe();
    }
  });
}

/** The viewer's unread count, now and after every change. */
export function unreadCountStream(options: {
  prisma: PrismaClient;
  pubsub: PubSub;
  metrics: Metrics;
  viewerId: number;
}): AsyncIterable<number> {
  const { prisma, pubsub, viewerId, metrics } = options;
  return new Repeater<number>(async (push, stop) => {
    let sent: number | undefined;
    const count = rerunning(async () => {
      const n = await prisma.notification.count({ where: { recipientId: viewerId, read: false } });
      if (n !== sent) {
        sent = n;
        await push(n);
      }
    }, stop);
    const unsubscribe = await pubsub.subscribe(viewerId, (event) => {
      if (event.type !== 'revoked') void count();
    });
    metrics.liveSubscriptions.inc({ field: 'unreadNotificationCountChanged' });
    try {
      await count();
      await stop;
    } finally {
      metrics.liveSubscriptions.dec({ field: 'unreadNotificationCountChanged' });
      await unsubscribe();
    }
  });
}

/**
 * Wraps a read so that calls during a run ask for exactly one more run after it
 * instead of overlapping: a burst of events costs two reads, not one per event.
 * A failure ends the stream (and so the client's subscription) with the error.
 */
function rerunning(task: () => Promise<void>, fail: (error: unknown) => void) {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } catch (error) {
      fail(error);
    } finally {
      running = false;
    }
  };
}
