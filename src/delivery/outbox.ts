// The transactional outbox: notifications and their deliveries are written by the
// same statement, so a delivery can neither be lost (committed without its
// record) nor sent for a notification that was rolled back. The worker sends
// them after the commit, off the request path.
import { type NotificationKind, Prisma } from '../generated/prisma/client.js';
import type { Channel } from './channel.js';
import { recordedBy } from './queue.js';

export type Outbox = {
  /**
   * CTEs recording every channel's deliveries of the new notifications in the
   * statement's "notified" CTE, all of `kind`; undefined when no channel is on.
   */
  ctes(kind: NotificationKind): Prisma.Sql | undefined;
  /**
   * A SQL expression for the same statement: how many deliveries its CTEs
   * recorded. The worker is woken only when there are some.
   */
  recorded: Prisma.Sql;
};

export function createOutbox(channels: readonly Channel[]): Outbox {
  return {
    ctes: (kind) =>
      channels.length === 0
        ? undefined
        : Prisma.join(
            channels.map((channel) => channel.record(kind)),
            ',',
          ),
    recorded:
      channels.length === 0
        ? Prisma.sql`0`
        : Prisma.join(
            channels.map((channel) => recordedBy(channel.channel)),
            ' + ',
          ),
  };
}
