// The Pothos builder and the scalars every domain uses. Defines no domain types.
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import { DateTimeISOResolver } from 'graphql-scalars';
import type { Context } from '../context.js';
import { badInput, unauthenticated } from '../errors.js';
import type PrismaTypes from '../generated/pothos-prisma-types.js';
import { getDatamodel } from '../generated/pothos-prisma-types.js';
import { decodeNodeId, namesNode } from './args.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  Scalars: { DateTime: { Input: Date; Output: Date } };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  // Non-null unless a field says otherwise, as in the contract.
  defaultFieldNullability: false,
  plugins: [PrismaPlugin, RelayPlugin],
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    decodeGlobalID: decodeNodeId,
    // An id of an unknown type, or whose number is no database id ('User:abc',
    // 'User:2147483648'), names nothing: null, as for a row that does not exist,
    // and never a query that the database would refuse.
    nodeQueryOptions: {
      resolve: (_root, args, _ctx, _info, resolveNode) =>
        namesNode(args.id) ? resolveNode(args.id) : null,
    },
    nodesQueryOptions: {
      resolve: async (_root, args, ctx, _info, resolveNodes) => {
        const max = ctx.maxNodeIds;
        if (args.ids.length > max) {
          throw badInput('ids', `"ids" may name at most ${max} nodes.`);
        }
        const all = args.ids;
        // Pothos' resolveNodes reads args.ids itself (it ignores its argument).
        args.ids = all.filter(namesNode);
        const found = await resolveNodes(args.ids);
        return all.map((id) => (namesNode(id) ? found.shift() : null));
      },
    },
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

// graphql-scalars' ISO variant: RFC 3339 strings in, Date objects to resolvers,
// strings like 2026-11-22T10:00:00.000Z out, as the contract shows.
builder.addScalarType('DateTime', DateTimeISOResolver, {
  description: 'An ISO-8601 date-time string in UTC, e.g. 2026-11-22T10:00:00.000Z.',
});

/** The signed-in viewer's id, or UNAUTHENTICATED. */
export function viewerId(ctx: Context): number {
  if (!ctx.viewer) throw unauthenticated(ctx.authProblem);
  return ctx.viewer.id;
}
