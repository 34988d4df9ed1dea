// Reads the new notifications of many subscribers in two queries instead of one
// each. A post's fan-out wakes every follower's stream in the same tick; read one
// by one, 10,000 followers cost 10,000 queries (and seconds of event loop).
// No library batches "the next rows after a different cursor per key", so the
// batching is written here: calls made in the same tick with the same selection
// are grouped and served by
//   1. one query for the ids: each recipient's next page after its own cursor (the
//      sequence number of the last notification it delivered);
//   2. one Prisma query for those ids with the subscribers' selection.
// A lone call is served by one query.
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';

export type Selection = Omit<Prisma.NotificationFindManyArgs, 'where' | 'orderBy' | 'take'>;

type Request = {
  recipientId: number;
  after: number;
  resolve(rows: unknown[]): void;
  reject(error: unknown): void;
};

export type NotificationReader = {
  /** Up to `page` notifications of the recipient numbered above `after`, oldest first. */
  read<Row>(recipientId: number, after: number, selection: Selection | undefined): Promise<Row[]>;
};

export function createNotificationReader(prisma: PrismaClient, page: number): NotificationReader {
  const pending = new Map<string, { selection: Selection | undefined; requests: Request[] }>();
  let scheduled = false;

  async function serve(selection: Selection | undefined, requests: Request[]) {
    try {
      const [only] = requests;
      if (requests.length === 1 && only) {
        // Nobody to share the read with: one query, as a single stream would do it.
        only.resolve(
          await prisma.notification.findMany({
            ...selection,
            where: { recipientId: only.recipientId, seq: { gt: only.after }, hidden: false },
            orderBy: { seq: 'asc' },
            take: page,
          }),
        );
        return;
      }
      const ids = await prisma.$queryRaw<{ id: number }[]>`
        SELECT n."id"
        FROM unnest(${requests.map((r) => r.recipientId)}::int[], ${requests.map((r) => r.after)}::int[])
          AS wanted("recipientId", "after")
        CROSS JOIN LATERAL (
          SELECT "id" FROM "Notification"
          WHERE "recipientId" = wanted."recipientId" AND "seq" > wanted."after" AND NOT "hidden"
          ORDER BY "seq" LIMIT ${page}
        ) AS n`;
      const rows = ids.length
        ? await prisma.notification.findMany({
            ...selection,
            where: { id: { in: ids.map((row) => row.id) } },
            orderBy: [{ recipientId: 'asc' }, { seq: 'asc' }],
          })
        : [];
      const byRecipient = new Map<number, unknown[]>();
      for (const row of rows) {
        const list = byRecipient.get(row.recipientId) ?? [];
        list.push(row);
        byRecipient.set(row.recipientId, list);
      }
      // A recipient asked twice in one batch (two subscriptions) gets its rows each time.
      for (const request of requests) {
        const mine = byRecipient.get(request.recipientId) ?? [];
        request.resolve(
          mine.filter((row) => ((row as { seq: number | null }).seq ?? 0) > request.after),
        );
      }
    } catch (error) {
      for (const request of requests) request.reject(error);
    }
  }

  function flush() {
    scheduled = false;
    const batches = [...pending.values()];
    pending.clear();
    for (const { selection, requests } of batches) void serve(selection, requests);
  }

  return {
    read<Row>(recipientId: number, after: number, selection: Selection | undefined) {
      return new Promise<Row[]>((resolve, reject) => {
        const key = JSON.stringify(selection ?? null);
        const batch = pending.get(key) ?? { selection, requests: [] };
        pending.set(key, batch);
        batch.requests.push({
          recipientId,
          after,
          resolve: resolve as (rows: unknown[]) => void,
          reject,
        });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
