// Sends due deliveries, in the server process, after the commits that recorded them.
//
// Why not graphile-worker or pg-boss: both need a pg.Pool of real connections
// (graphile-worker also a LISTEN connection of its own), and the embedded default
// is PGlite, one in-process connection behind Prisma's adapter. Both also keep
// their own job table, while the Delivery rows must exist anyway (they are what
// `Notification.deliveries` shows) and must be written by the same set-based
// statements as the notifications (10,000 followers: one INSERT … SELECT, with
// the digest attach as INSERT … ON CONFLICT). So the queue is those rows, claimed
// with `FOR UPDATE SKIP LOCKED` and a lease (queue.ts); this loop is all that is left.
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { retryDelayMs } from './backoff.js';
import type { Channel, Claimed, Failure } from './channel.js';
import { claim, finish, type Outcome } from './queue.js';

/**
 * Attempts in flight in one process. Each holds a slot until it finishes or hits
 * its deadline; a freed slot is refilled at once (no batch waits for its slowest
 * member, so one hanging endpoint delays nobody else's deliveries).
 */
const CONCURRENCY = 32;
/** In flight per recipient and channel, across instances (see claim in queue.ts). */
const PER_RECIPIENT = 4;
/** How long stop() waits for attempts in flight; unfinished ones are retaken after their lease. */
const STOP_GRACE_MS = 5_000;

export type WorkerOptions = {
  prisma: PrismaClient;
  channels: readonly Channel[];
  logger: Logger;
  metrics: Metrics;
  pollMs: number;
  leaseMs: number;
  retryBaseMs: number;
  maxAttempts: number;
};

export type Worker = {
  start(): void;
  /** After a commit: look for due work now rather than at the next poll. */
  wake(): void;
  /** Stops claiming and waits for the attempts in flight to be recorded. */
  stop(): Promise<void>;
};

export function createWorker(options: WorkerOptions): Worker {
  const { prisma, logger, metrics } = options;
  const byChannel = new Map(options.channels.map((c) => [c.channel, c]));
  const channels = [...byChannel.keys()];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;

  async function attempt(token: string, delivery: Claimed) {
    // Only this instance's channels are claimed, so it is there.
    const channel = byChannel.get(delivery.channel as Channel['channel']) as Channel;
    const labels = { channel: delivery.channel };
    let outcome: Outcome;
    if (delivery.attempts > options.maxAttempts) {
      // Its last attempt was claimed by a process that died before recording it.
      outcome = { status: 'FAILED', error: 'interrupted' };
    } else {
      metrics.deliveriesAttempted.inc(labels);
      outcome = await withDeadline(channel.attempt(delivery), options.leaseMs * 0.8).then(
        () => ({ status: 'SENT' }) as const,
        (error) =>
          failed(
            delivery,
            error instanceof DeadlineError
              ? { reason: 'timeout', permanent: false }
              : channel.classify(error),
          ),
      );
    }
    if (outcome.status === 'SENT') metrics.deliveriesSent.inc(labels);
    else {
      if (outcome.status === 'FAILED') metrics.deliveriesFailed.inc(labels);
      // The recipient's id, never their address; the reason is a short fixed line.
      logger.warn(
        {
          deliveryId: delivery.id,
          channel: delivery.channel,
          recipientId: delivery.recipientId,
          attempts: delivery.attempts,
          reason: outcome.error,
          final: outcome.status === 'FAILED',
        },
        'delivery attempt failed',
      );
    }
    await finish(prisma, delivery.id, token, outcome);
  }

  function failed(delivery: Claimed, failure: Failure): Outcome {
    const error = failure.reason.slice(0, 200);
    if (failure.permanent || delivery.attempts >= options.maxAttempts) {
      return { status: 'FAILED', error };
    }
    return {
      status: 'RETRY',
      error,
      delayMs: retryDelayMs(delivery.attempts, options.retryBaseMs),
    };
  }

  const inFlight = new Set<Promise<void>>();

  /**
   * Claims due deliveries while there are free slots, and starts each attempt
   * without waiting for the others. Returns when nothing more is due; attempts
   * still running then finish on their own, and each one that finishes asks for
   * another round (its slot is free, and a retry may be due).
   */
  async function drain() {
    while (!stopped) {
      const free = CONCURRENCY - inFlight.size;
      if (free <= 0) {
        await Promise.race(inFlight);
        continue;
      }
      const { token, deliveries } = await claim(
        prisma,
        channels,
        free,
        options.leaseMs,
        PER_RECIPIENT,
      );
      for (const delivery of deliveries) {
        // Each attempt settles on its own: one outcome that cannot be recorded (the
        // database went away) is logged, its lease runs out and it is retaken.
        const running = attempt(token, delivery)
          .catch((error) => logger.error({ err: error }, 'delivery worker'))
          .finally(() => {
            inFlight.delete(running);
            if (!stopped) setImmediate(run);
          });
        inFlight.add(running);
      }
      if (deliveries.length < free) return;
    }
  }

  function run() {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = (async () => {
      do {
        again = false;
        await drain().catch((error) => logger.error({ err: error }, 'delivery worker'));
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(run, options.pollMs);
    });
  }

  return {
    start() {
      // Nothing to send with: leave the queue to instances that can.
      if (channels.length === 0) return;
      stopped = false;
      run();
    },
    wake() {
      // After the response's own work: the live push is never delayed by email.
      if (!stopped) setImmediate(run);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([running, ...inFlight]),
        new Promise((resolve) => {
          grace = setTimeout(resolve, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(grace);
    },
  };
}

/** Gives up on an attempt that would outlive its lease (it would be retaken meanwhile). */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class DeadlineError extends Error {
  constructor() {
    super('timeout');
  }
}
