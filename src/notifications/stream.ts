// The subscriber side: one viewer's notifications as a stream, first those newer
// than `since` from the database, then live ones, with nothing missed or repeated.
//
// Events only wake the stream up; it then reads every notification of the viewer
// with an id above the last one it delivered. Because a recipient's ids grow in
// commit order (see store.ts), that read is complete, so a late, lost, repeated
// or reordered event cannot produce a gap or a duplicate, and there is no window
// between the replay and the live part: both are the same read.
import { Repeater } from 'graphql-yoga';
import { unauthenticated } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Metrics } from '../metrics.js';
import type { PubSub, UserEvent } from '../pubsub/pubsub.js';
import type { NotificationReader, Selection } from './reader.js';

export const PAGE = 100;

/** Who listens, and what their token allows: streams end when it expires or is revoked. */
export type Session = {
  viewerId: number;
  expiresAt: Date;
  /** Whether the token was revoked since (log-out, new password). */
  revoked(): Promise<boolean>;
};

type Common = { prisma: PrismaClient; pubsub: PubSub; metrics: Metrics; session: Session };

export function notificationStream<Row extends { id: number; createdAt: Date }>(
  options: Common & {
    reader: NotificationReader;
    /** Deliver notifications with a larger id; undefined: only those created from now on. */
    since?: number;
    /** The subscriber's own selection, so each read is one query with its relations. */
    selection?: Selection;
  },
): AsyncIterable<Row> {
  const { prisma, reader, selection, metrics, session } = options;
  const viewerId = session.viewerId;
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
  const { prisma, session } = options;
  return new Repeater<number>(async (push, stop) => {
    let sent: number | undefined;
    const count = rerunning(async () => {
      const n = await prisma.notification.count({
        where: { recipientId: session.viewerId, read: false },
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

// setTimeout cannot wait longer than this (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What both streams share: listen to the viewer's events (before `start`, so
 * nothing committed meanwhile is missed), count the live subscription, and end
 * with UNAUTHENTICATED when the token expires or is revoked. Sockets are closed
 * with 4403 for the same reasons (socket.ts); this also covers SSE.
 */
async function guarded(
  options: Common,
  field: string,
  onEvent: (event: UserEvent) => void,
  stop: Promise<unknown> & ((error?: unknown) => void),
  start: () => Promise<void>,
) {
  const { pubsub, metrics, session } = options;
  const end = (message: string) => stop(unauthenticated(message));
  const unsubscribe = await pubsub.subscribe(session.viewerId, (event) => {
    if (event.type === 'revoked') {
      session.revoked().then(
        (revoked) => revoked && end('Your token was revoked; sign in again.'),
        (error) => stop(error),
      );
    }
    onEvent(event);
  });
  const wait = Math.min(session.expiresAt.getTime() - Date.now(), MAX_TIMER_MS);
  const expiry = setTimeout(() => end('Your token expired; sign in again.'), Math.max(wait, 0));
  metrics.liveSubscriptions.inc({ field });
  try {
    await start();
    await stop;
  } finally {
    clearTimeout(expiry);
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
