// Queue depth and the age of the oldest due delivery, read from the database when
// /metrics is scraped: the queue is shared by every instance, so no process could
// count it alone.
import { Gauge } from 'prom-client';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Metrics } from '../metrics.js';

export function registerQueueMetrics(metrics: Metrics, prisma: PrismaClient) {
  const read = () =>
    prisma.$queryRaw<{ channel: string; depth: number; oldest: number | null }[]>`
      SELECT "channel"::text AS "channel", count(*)::int AS "depth",
             extract(epoch FROM now() - min("runAt") FILTER (WHERE "runAt" <= now()))::float8
               AS "oldest"
      FROM "Delivery" WHERE "status" = 'PENDING' GROUP BY "channel"`;
  let reading: Promise<Awaited<ReturnType<typeof read>>> | undefined;
  // Both gauges are filled by one query per scrape.
  const rows = () => {
    // During a database outage the gauges are left out rather than failing the scrape.
    reading ??= Promise.resolve(read())
      .catch(() => [])
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  new Gauge({
    name: 'delivery_queue_depth',
    help: 'Pending deliveries (due, retrying, or digests waiting for their window), by channel.',
    labelNames: ['channel'] as const,
    registers: [metrics.registry],
    async collect() {
      const rowsRead = await rows();
      this.reset();
      for (const row of rowsRead) this.set({ channel: row.channel }, row.depth);
    },
  });
  new Gauge({
    name: 'delivery_oldest_pending_seconds',
    help: 'How long the oldest due delivery has been waiting to be attempted, by channel.',
    labelNames: ['channel'] as const,
    registers: [metrics.registry],
    async collect() {
      const rowsRead = await rows();
      this.reset();
      for (const row of rowsRead) this.set({ channel: row.channel }, row.oldest ?? 0);
    },
  });
}
