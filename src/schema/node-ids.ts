// Every node's `id` resolved at once. Pothos' relay plugin resolves it with an
// async function (`t.globalID` awaits the id), so every object implementing Node
// completed as a promise: graphql-js then gathered each such object's fields
// through Promise.all, a few allocations and microtask turns per object. A live
// notification is one such object per subscriber, so a 10,000-follower fan-out
// paid it 10,000 times (and `actor` once more each). The id is a column of the
// row in hand, encoded here as the plugin encodes it.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLSchema, isInterfaceType } from 'graphql';

/** Replaces the resolver of `id` on every type implementing Node; returns the schema. */
export function withImmediateNodeIds(schema: GraphQLSchema): GraphQLSchema {
  const node = schema.getType('Node');
  if (!isInterfaceType(node)) throw new Error('the schema has no Node interface');
  for (const type of schema.getImplementations(node).objects) {
    const field = type.getFields().id;
    const original = field?.resolve;
    if (!field || !original) throw new Error(`${type.name}.id has no resolver`);
    const name = type.name;
    // Every node type is a prismaNode whose id is its `id` column (Node ids in
    // the contract are "Type:number"); a parent without it gets the plugin's own.
    field.resolve = (parent, args, context, info) => {
      const id = (parent as { id?: unknown }).id;
      return typeof id === 'number'
        ? encodeGlobalID(name, String(id))
        : original(parent, args, context, info);
    };
  }
  return schema;
}
