// The subscriber side: one viewer's notifications as a stream, first those newer
// than `since` from the database, then live ones, with nothing missed or repeated.
//
// A recipient's notifications are numbered 1, 2, 3… in commit order (store.ts).
// The stream remembers the number it delivered last. An event carrying the next
// number is delivered as it is, without a database read; any other situation reads
// the database from the last number: the start (`since`), a gap (an event lost or
// overtaken), a resync after the transport reconnected, or a selection asking for
// more than events carry. An event at or below the last number is a duplicate and
// is dropped. So a lost, late, repeated or reordered event never produces a gap or
// a duplicate, and the database stays the truth.
import type { SessionEnd } from '../auth/session.js';
import type { BatchedReads } from '../db/batched-reads.js';
import { unauthenticated } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Metrics } from '../metrics.js';
import type { NotificationPayload, PubSub, UserEvent } from '../pubsub/pubsub.js';
import { liveIterator, type Producer } from './live-iterator.js';
import type { NotificationReader, Selection } from './reader.js';

export const PAGE = 100;

// A gap the database cannot fill yet (an event arrived before its commit became
// visible to this instance's connection) is read again after these waits; after
// the last, the database is believed and the early events are dropped.
const RETRY_MS = [5, 20, 50, 100, 250, 500, 1_000];

type Common = {
  prisma: PrismaClient;
  reads: BatchedReads;
  pubsub: PubSub;
  metrics: Metrics;
  viewerId: number;
  /**
   * Watches the viewer's session (auth/session.ts) when nothing else does (SSE);
   * undefined over graphql-ws, whose socket closes itself and so ends its streams.
   */
  watchSession?: (onEnd: (reason: SessionEnd) => void) => Promise<() => void>;
};

export function notificationStream<Row extends { seq: number | null; createdAt: Date }>(
  options: Common & {
    reader: NotificationReader;
    /** Deliver notifications with a larger id; undefined: only those created from now on. */
    since?: number;
    /** The subscriber's own selection, so each read is one query with its relations. */
    selection?: Selection;
    /** The row an event's notification stands for; undefined when the selection needs more. */
    fromEvent?: (notification: NotificationPayload) => Row;
  },
): AsyncIterable<Row> {
  const { prisma, reads, reader, selection, metrics, viewerId, fromEvent } = options;
  return liveIterator<Row>(async (stream) => {
    let last = 0;
    // Events above `last`, by number; undefined for a wake-up without the notification.
    // Made at the first event: most subscriptions wait idle, and an empty Map costs.
    let ahead: Map<number, NotificationPayload | undefined> | undefined;
    let mustRead = options.since !== undefined;
    let retries = 0;
    let retryTimer: NodeJS.Timeout | undefined;
    stream.onStop(() => clearTimeout(retryTimer));

    const delivered = (row: Row) => {
      metrics.notificationsDelivered.inc();
      if (row.createdAt instanceof Date) {
        metrics.deliveryLatency.observe((Date.now() - row.createdAt.getTime()) / 1000);
      }
    };
    const deliver = async (row: Row) => {
      last = row.seq ?? last;
      await stream.push(row);
      delivered(row);
    };

    const pump = rerunning(async () => {
      while (!stream.stopped) {
        if (ahead) for (const seq of ahead.keys()) if (seq <= last) ahead.delete(seq);
        const next = ahead?.get(last + 1);
        if (!mustRead && next && fromEvent) {
          ahead?.delete(last + 1);
          await deliver(fromEvent(next));
          continue;
        }
        if (!mustRead && !ahead?.size) return;
        mustRead = false;
        const before = last;
        let page: Row[];
        do {
          page = await reader.read<Row>(viewerId, last, selection);
          for (const row of page) {
            if (stream.stopped) return;
            if ((row.seq ?? 0) > last) await deliver(row);
          }
        } while (page.length === PAGE && !stream.stopped);
        if (last !== before) retries = 0;
        else if (ahead?.size && !(fromEvent && ahead.get(last + 1))) {
          // Nothing new in the database although events announced more: not visible yet.
          const wait = RETRY_MS[retries++];
          if (wait === undefined) {
            retries = 0;
            ahead.clear();
            return;
          }
          clearTimeout(retryTimer);
          retryTimer = setTimeout(() => {
            mustRead = true;
            void pump.run();
          }, wait);
          return;
        }
      }
    }, stream);

    // Until the starting number is known, events are only kept: the start drops
    // those at or below it.
    let started = false;
    const onEvent = (event: UserEvent) => {
      if (event.type === 'notification') {
        // An event about someone else's notification is never delivered.
        if (event.notification && event.notification.recipientId !== viewerId) return;
        if (started && event.seq <= last) return;
        // The common case (each follower's, in a fan-out): the next number, with
        // its notification, nothing else pending, and the consumer waiting for it.
        // Handed over here and now, without the pump's promises.
        if (
          started &&
          event.seq === last + 1 &&
          event.notification &&
          fromEvent &&
          !mustRead &&
          !ahead?.size &&
          !pump.running &&
          stream.waiting
        ) {
          const row = fromEvent(event.notification);
          last = event.seq;
          void stream.push(row);
          delivered(row);
          return;
        }
        ahead ??= new Map();
        if (ahead.size >= PAGE) {
          // A client that reads slower than its notifications arrive: keep no more of
          // them in memory; the database has them all, and pages through them.
          ahead.clear();
          mustRead = true;
        } else ahead.set(event.seq, event.notification);
      } else if (event.type === 'resync') {
        mustRead = true;
      } else return;
      if (started) void pump.run();
    };

    await listen(options, 'notificationAdded', onEvent, stream);
    last = await startingNumber(prisma, reads, viewerId, options.since);
    started = true;
    await pump.run();
  });
}

/** The number after which to deliver: that of `since`, or the newest one now. */
async function startingNumber(
  prisma: PrismaClient,
  reads: BatchedReads,
  viewerId: number,
  since: number | undefined,
) {
  // The common case, read by every new subscription: batched with the others.
  if (since === undefined) return reads.lastNotificationNumber(viewerId);
  // Ids grow in commit order per recipient too, so the newest notification with an
  // id up to `since` is where the client stands (even if `since` itself is not theirs).
  const newest = await prisma.notification.findFirst({
    where: { recipientId: viewerId, id: { lte: since } },
    orderBy: { id: 'desc' },
    select: { seq: true },
  });
  return newest?.seq ?? 0;
}

/** The viewer's unread count, now and after every change. */
export function unreadCountStream(options: Common): AsyncIterable<number> {
  const { prisma, viewerId } = options;
  return liveIterator<number>(async (stream) => {
    let sent: number | undefined;
    const count = rerunning(async () => {
      const n = await prisma.notification.count({
        where: { recipientId: viewerId, read: false, hidden: false },
      });
      if (n !== sent) {
        sent = n;
        await stream.push(n);
      }
    }, stream);
    const onEvent = (event: UserEvent) => {
      if (event.type !== 'revoked') void count.run();
    };
    await listen(options, 'unreadNotificationCountChanged', onEvent, stream);
    await count.run();
  });
}

/**
 * What both streams share: listen to the viewer's events (before reading anything,
 * so nothing committed meanwhile is missed), count the live subscription, and end
 * with UNAUTHENTICATED when the session ends (SSE; a socket closes itself). Each
 * is undone when the stream stops.
 */
async function listen(
  options: Common,
  field: string,
  onEvent: (event: UserEvent) => void,
  stream: Producer<unknown>,
) {
  const { pubsub, metrics, viewerId } = options;
  stream.onStop(await pubsub.subscribe(viewerId, onEvent));
  if (options.watchSession) {
    stream.onStop(
      await options.watchSession((reason) =>
        stream.stop(
          unauthenticated(
            reason === 'expired'
              ? 'Your token expired; sign in again.'
              : 'Your token was revoked; sign in again.',
          ),
        ),
      ),
    );
  }
  metrics.liveSubscriptions.inc({ field });
  stream.onStop(() => metrics.liveSubscriptions.dec({ field }));
}

/**
 * Wraps a read so that calls during a run ask for exactly one more run after it
 * instead of overlapping: a burst of events costs two reads, not one per event.
 * A failure ends the stream (and so the client's subscription) with the error.
 */
function rerunning(task: () => Promise<void>, stream: Producer<unknown>) {
  let running = false;
  let again = false;
  return {
    get running() {
      return running;
    },
    async run() {
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
        stream.stop(error);
      } finally {
        running = false;
      }
    },
  };
}
