// A live notification delivered from its event, as the row its resolvers see.
//
// Pothos' Prisma plugin wraps every relation field (Notification.actor, .post,
// .comment) to learn whether the query that loaded the parent row also loaded
// the relation: it looks the field's response path up in per-request maps,
// building key strings and WeakMap entries for every link of the path. graphql-jit
// makes a fresh path for every execution, so a post's fan-out paid that lookup
// for each relation of each of 10,000 followers (7–9 % of the server's CPU in
// fan-out profiles, with the garbage it leaves). An event's row needs
// no lookup: it carries those three relations (coverage.ts lets only selections
// asking for what it carries deliver from events), so they are answered from the
// row at once. Rows read from the database, and any other parent, keep Pothos'
// path.
import type { GraphQLSchema } from 'graphql';
import { isObjectType } from 'graphql';
import type { Notification as NotificationRow } from '../generated/prisma/client.js';
import type { NotificationPayload } from '../pubsub/pubsub.js';

/** Marks a row made from an event: a symbol, so JSON and the schema never see it. */
const CARRIED = Symbol('carried in the event');

/** The relations an event's notification carries, answered from its row. */
const RELATIONS = ['actor', 'post', 'comment'] as const;

type EventRow = NotificationRow & Pick<NotificationPayload, (typeof RELATIONS)[number]>;

/** An event's notification as the row a database read would have given (with its relations). */
export function rowFromEvent(notification: NotificationPayload): NotificationRow {
  const createdAt = new Date(notification.createdAt);
  // Only notifications shown in the app (IN_APP on) are ever published.
  return { ...notification, createdAt, hidden: false, [CARRIED]: true } as NotificationRow;
}

/** Answers Notification's carried relations of an event's row from the row; returns the schema. */
export function withEventRelations(schema: GraphQLSchema): GraphQLSchema {
  const type = schema.getType('Notification');
  if (!isObjectType(type)) throw new Error('the schema has no Notification type');
  for (const name of RELATIONS) {
    const field = type.getFields()[name];
    const original = field?.resolve;
    if (!field || !original) throw new Error(`Notification.${name} has no resolver`);
    field.resolve = (parent, args, context, info) =>
      (parent as { [CARRIED]?: true })[CARRIED]
        ? (parent as EventRow)[name]
        : original(parent, args, context, info);
  }
  return schema;
}
