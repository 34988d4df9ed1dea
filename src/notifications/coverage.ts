// Whether a subscriber's selection asks only for what a notification event carries
// (pubsub.ts NotificationPayload): then the event is delivered as it is; otherwise
// each delivery reads the row with the selection from the database.
import type { FieldNode, FragmentDefinitionNode, SelectionSetNode } from 'graphql';

/** Per GraphQL type, the fields an event answers, and the type of each nested one. */
const CARRIED: Record<string, Record<string, string | null>> = {
  Notification: {
    __typename: null,
    id: null,
    kind: null,
    message: null,
    peek: null,
    read: null,
    createdAt: null,
    actor: 'User',
    post: 'Post',
    comment: 'Comment',
  },
  User: { __typename: null, id: null, username: null },
  Post: { __typename: null, id: null, title: null },
  Comment: { __typename: null, id: null, text: null },
};

// Interfaces whose fields every carried type answers (`... on Node { id }`).
const INTERFACES = new Set(['Node']);

/**
 * True when every field the selection could ask for is carried. @skip and @include
 * are read as "included": a field they leave out only makes the answer smaller.
 */
export function eventCovers(
  fieldNode: FieldNode,
  fragments: Record<string, FragmentDefinitionNode>,
  type = 'Notification',
): boolean {
  return fieldNode.selectionSet ? covers(fieldNode.selectionSet, type, fragments) : true;
}

function covers(
  set: SelectionSetNode,
  type: string,
  fragments: Record<string, FragmentDefinitionNode>,
): boolean {
  const carried = CARRIED[type];
  if (!carried) return false;
  return set.selections.every((selection) => {
    if (selection.kind === 'Field') {
      if (selection.arguments?.length) return false;
      const nested = carried[selection.name.value];
      if (nested === undefined) return false;
      if (nested === null) return !selection.selectionSet;
      return selection.selectionSet ? covers(selection.selectionSet, nested, fragments) : false;
    }
    const fragment =
      selection.kind === 'FragmentSpread' ? fragments[selection.name.value] : selection;
    if (!fragment) return false;
    const on = fragment.typeCondition?.name.value ?? type;
    if (on !== type && !INTERFACES.has(on)) return false;
    return covers(fragment.selectionSet, type, fragments);
  });
}
