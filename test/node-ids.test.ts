// Every node's `id` is resolved at once (src/schema/node-ids.ts), as the relay
// plugin would have resolved it after a promise: the same global id, no promise.
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { type GraphQLResolveInfo, isInterfaceType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

const node = schema.getType('Node');
const types = isInterfaceType(node) ? schema.getImplementations(node).objects : [];
const info = {} as GraphQLResolveInfo;

describe('node ids', () => {
  it('covers every type of the contract that implements Node', () => {
    expect(types.map((type) => type.name).sort()).toEqual(
      ['Comment', 'Notification', 'Post', 'PushSubscription', 'User', 'WebhookEndpoint'].sort(),
    );
  });

  it.each(types.map((type) => [type.name, type] as const))(
    '%s.id is its global id, not a promise',
    (name, type) => {
      const id = type.getFields().id?.resolve?.({ id: 42 }, {}, {}, info);
      expect(id).not.toBeInstanceOf(Promise);
      expect(id).toBe(encodeGlobalID(name, '42'));
      expect(decodeGlobalID(id as string)).toEqual({ typename: name, id: '42' });
    },
  );
});
