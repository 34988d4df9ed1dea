// The subscriber side: one viewer's notifications as a stream, first those newer
// than `since` from the database, then live ones, with nothing missed or repeated.
//
// Events only wake the stream up; it then reads every notification of the viewer
// with an id above the last one it delivered. Because a recipient's ids grow in
// commit order (see store.ts), that read is complete, so a late, lost, repeated
// or reordered event cannot produce a gap or a duplicate, and there is no window
// between the replay and the live part: both are the same read.
import { Repeater } from 'graphql-yoga';
import type { SessionEnd } from '../auth/session.js';
import { unauthenticated } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Metrics } from '../metrics.js';
import type { PubSub, UserEvent } from '../pubsub/pubsub.js';
import type { NotificationReader, Selection } from './reader.js';

export const PAGE = 100;

type Common = {
  prisma: PrismaClient;
  pubsub: PubSub;
  metrics: Metrics;
  viewerId: number;
  /**
   * Watches the viewer's session (auth/session.ts) when nothing else does (SSE);
   * undefined over graphql-ws, whose socket closes itself and so ends its streams.
   */
  watchSession?: (onEnd: (reason: SessionEnd) => void) => Promise<() => void>;
};

export function notificationStream<Row extends { id: number; createdAt: Date }>(
  options: Common & {
    reader: NotificationReader;
    /** Deliver notifications with a larger id; undefined: only those created from now on. */
    since?: number;
    /** The subscriber's own selection, so each read is one query with its relations. */
    selection?: Selection;
  },
): AsyncIterable<Row> {
  const { prisma, reader, selection, metrics, viewerId } = options;
  return new Repeater<Row>(async (push, stop) => {
    let last = options.since ?? 0;
    let stopped = false;
    stop.then(() => {
      stopped = true;
    });

    const readNew = rerunning(async () => {
      let page: Row[];
      do {
        page = await reader.read<Row>(viewerId, last, selection);
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

    await guarded(options, 'notificationAdded', onEvent, stop, async () => {
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
    });
  });
}

/** The viewer's unread count, now and after every change. */
export function unreadCountStream(options: Common): AsyncIterable<number> {
  const { prisma, viewerId } = options;
  return new Repeater<number>(async (push, stop) => {
    let sent: number | undefined;
    const count = rerunning(async () => {
      const n = await prisma.notification.count({
        where: { recipientId: viewerId, read: false, hidden: false },
      });
      if (n !== sent) {
        sent = n;
        await push(n);
      }
    }, stop);
    const onEvent = (event: UserEvent) => {
      if (event.type !== 'revoked') void count();
    };
    await guarded(options, 'unreadNotificationCountChanged', onEvent, stop, count);
  });
}

/**
 * What both streams share: listen to the viewer's events (before `start`, so
 * nothing committed meanwhile is missed), count the live subscription, and end
 * with UNAUTHENTICATED when the session ends (SSE; a socket closes itself).
 */
async function guarded(
  options: Common,
  field: string,
  onEvent: (event: UserEvent) => void,
  stop: Promise<unknown> & ((error?: unknown) => void),
  start: () => Promise<void>,
) {
  const { pubsub, metrics, viewerId } = options;
  const unsubscribe = await pubsub.subscribe(viewerId, onEvent);
  const stopWatching = await options.watchSession?.((reason) =>
    stop(
      unauthenticated(
        reason === 'expired'
          ? 'Your token expired; sign in again.'
          : 'Your token was revoked; sign in again.',
      ),
    ),
  );
  metrics.liveSubscriptions.inc({ field });
  try {
    await start();
    await stop;
  } finally {
    stopWatching?.();
    metrics.liveSubscriptions.dec({ field });
    await unsubscribe();
  }
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
