// Web Push: the browsers a user registered (PushManager.subscribe() results), and
// the VAPID public key they subscribe with (src/delivery/channels/push.ts sends).
import { z } from 'zod';
import { urlProblem } from '../delivery/safe-url.js';
import { badInput } from '../errors.js';
import { parseInput } from './args.js';
import { builder, viewerId } from './builder.js';
import { lockUser } from './delivery-targets.js';

/** The contract's limit per user. */
export const MAX_PUSH_SUBSCRIPTIONS = 20;

export const PushSubscription = builder.prismaNode('PushSubscription', {
  id: { field: 'id' },
  nullable: true,
  findUnique: (id, ctx) => ({ id: Number(id), userId: ctx.viewer?.id ?? 0 }),
  // The keys stay server-side: they decrypt nothing, but they are the browser's.
  fields: (t) => ({
    endpoint: t.exposeString('endpoint'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const RegisterPushSubscriptionInput = builder.inputType('RegisterPushSubscriptionInput', {
  description: "What a browser's PushManager.subscribe() returns, flattened.",
  fields: (t) => ({
    endpoint: t.string({ required: true }),
    p256dh: t.string({ required: true, description: 'keys.p256dh, base64url.' }),
    auth: t.string({ required: true, description: 'keys.auth, base64url.' }),
  }),
});

/** Base64url (padding tolerated) that decodes to `bytes` bytes and passes `check`. */
const base64url = (bytes: number, what: string, check: (b: Buffer) => boolean = () => true) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `${what} must be base64url.`)
    .refine((value) => {
      const decoded = Buffer.from(value.replace(/=+$/, ''), 'base64url');
      return decoded.length === bytes && check(decoded);
    }, `${what} must be ${bytes} bytes.`);

const keyRules = z.object({
  // An uncompressed P-256 point, as RFC 8291 requires: 0x04, x, y.
  p256dh: base64url(65, 'p256dh', (b) => b[0] === 0x04),
  auth: base64url(16, 'auth'),
});

builder.queryFields((t) => ({
  pushSubscriptions: t.prismaField({
    type: ['PushSubscription'],
    description: "The viewer's registered browsers, oldest first. UNAUTHENTICATED when anonymous.",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.pushSubscription.findMany({
        ...query,
        where: { userId: viewerId(ctx) },
        orderBy: { id: 'asc' },
      }),
  }),
  webPushPublicKey: t.string({
    nullable: true,
    description:
      'The VAPID public key (base64url) for PushManager.subscribe(); null when Web Push is off.',
    resolve: (_root, _args, ctx) => ctx.deliverySettings.webPushPublicKey,
  }),
}));

builder.mutationFields((t) => ({
  registerPushSubscription: t.prismaField({
    type: 'PushSubscription',
    description: 'Registering an endpoint again replaces its keys (and its owner).',
    args: { input: t.arg({ type: RegisterPushSubscriptionInput, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const userId = viewerId(ctx);
      const { endpoint } = args.input;
      const keys = parseInput(keyRules, { p256dh: args.input.p256dh, auth: args.input.auth });
      const problem = await urlProblem(endpoint, ctx.deliverySettings.urlPolicy);
      if (problem) throw badInput('endpoint', `"endpoint" ${problem}`);
      const id = await ctx.prisma.$transaction(async (tx) => {
        await lockUser(tx, userId);
        // Re-registering one of the viewer's own endpoints does not count twice.
        const others = await tx.pushSubscription.count({
          where: { userId, NOT: { endpoint } },
        });
        if (others >= MAX_PUSH_SUBSCRIPTIONS) {
          throw badInput(
            'endpoint',
            `At most ${MAX_PUSH_SUBSCRIPTIONS} push subscriptions per user.`,
          );
        }
        // A browser that changed hands gets a new row: deliveries still pending for
        // the previous owner point to the old one and fail, rather than reach the new owner.
        await tx.pushSubscription.deleteMany({ where: { endpoint, NOT: { userId } } });
        const row = await tx.pushSubscription.upsert({
          where: { endpoint },
          create: { userId, endpoint, ...keys },
          update: { userId, ...keys },
          select: { id: true },
        });
        return row.id;
      });
      return ctx.prisma.pushSubscription.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  unregisterPushSubscription: t.boolean({
    description: 'True when the viewer had that endpoint registered.',
    args: { endpoint: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const userId = viewerId(ctx);
      const { count } = await ctx.prisma.pushSubscription.deleteMany({
        where: { userId, endpoint: args.endpoint },
      });
      return count > 0;
    },
  }),
}));
