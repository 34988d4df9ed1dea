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
   * statement's "notified" CTE, all of `kind`, and a `"recorded"` CTE whose "n"
   * says how many they recorded (0 with no channel on): the worker is woken only
   * when there are some.
   */
  ctes(kind: NotificationKind): Prisma.Sql;
};

export function createOutbox(channels: readonly Channel[]): Outbox {
  const recorded = channels.length
    ? Prisma.join(
        channels.map((channel) => recordedBy(channel.channel)),
        ' + ',
      )
    : Prisma.sql`0`;
  return {
    ctes: (kind) =>
      Prisma.join(
        [
          ...channels.map((channel) => channel.record(kind)),
          Prisma.sql`"recorded" AS (SELECT ${recorded} AS "n")`,
        ],
        ',',
      ),
  };
}
