// The whole schema: importing a domain registers its types and fields.
import { builder } from './builder.js';
import { withEventRelations } from './event-rows.js';
import { withImmediateNodeIds } from './node-ids.js';
import './user.js';
import './post.js';
import './comment.js';
import './notification.js';
import './delivery.js';
import './webhook.js';
import './push.js';

export const schema = withEventRelations(
  withImmediateNodeIds(builder.toSchema({ sortSchema: false })),
);
