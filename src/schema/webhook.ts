// Webhook endpoints: URLs a user receives their notifications at, signed the
// Standard Webhooks way (src/delivery/channels/webhook.ts sends them).
import { randomBytes } from 'node:crypto';
import { urlProblem } from '../delivery/safe-url.js';
import { badInput, notFound } from '../errors.js';
import { decodeId } from './args.js';
import { builder, viewerId } from './builder.js';
import { lockUser } from './delivery-targets.js';

/** The contract's limit per user. */
export const MAX_WEBHOOK_ENDPOINTS = 5;

export const WebhookEndpoint = builder.prismaNode('WebhookEndpoint', {
  id: { field: 'id' },
  nullable: true,
  // `node(id:)` finds only the viewer's own.
  findUnique: (id, ctx) => ({ id: Number(id), userId: ctx.viewer?.id ?? 0 }),
  // The secret is shown once, by createWebhookEndpoint, and never selected here.
  fields: (t) => ({
    url: t.exposeString('url'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

type Created = { endpointId: number; secret: string };

const CreateWebhookEndpointPayload = builder
  .objectRef<Created>('CreateWebhookEndpointPayload')
  .implement({
    fields: (t) => ({
      endpoint: t.prismaField({
        type: 'WebhookEndpoint',
        resolve: (query, payload, _args, ctx) =>
          ctx.prisma.webhookEndpoint.findUniqueOrThrow({
            ...query,
            where: { id: payload.endpointId },
          }),
      }),
      secret: t.exposeString('secret', {
        description:
          'The signing secret, `whsec_` + base64 (Standard Webhooks). Shown only here, once.',
      }),
    }),
  });

builder.queryFields((t) => ({
  webhookEndpoints: t.prismaField({
    type: ['WebhookEndpoint'],
    description: "The viewer's webhook endpoints, oldest first. UNAUTHENTICATED when anonymous.",
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.webhookEndpoint.findMany({
        ...query,
        where: { userId: viewerId(ctx) },
        orderBy: { id: 'asc' },
      }),
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: CreateWebhookEndpointPayload,
    args: { url: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const userId = viewerId(ctx);
      const problem = await urlProblem(args.url, ctx.deliverySettings.urlPolicy);
      if (problem) throw badInput('url', `"url" ${problem}`);
      // 32 random bytes: inside Standard Webhooks' 24–64, and a full HMAC-SHA256 key.
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const endpointId = await ctx.prisma.$transaction(async (tx) => {
        // Two concurrent creations must not both see four and make seven.
        await lockUser(tx, userId);
        const count = await tx.webhookEndpoint.count({ where: { userId } });
        if (count >= MAX_WEBHOOK_ENDPOINTS) {
          throw badInput('url', `At most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints per user.`);
        }
        const row = await tx.webhookEndpoint.create({
          data: { userId, url: args.url, secret },
          select: { id: true },
        });
        return row.id;
      });
      return { endpointId, secret };
    },
  }),
  deleteWebhookEndpoint: t.id({
    description: "NOT_FOUND for anyone else's. Returns the deleted endpoint's id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const userId = viewerId(ctx);
      const id = decodeId(args.id, 'WebhookEndpoint', 'id');
      // Pending deliveries to it stay listed; their next attempt fails for good.
      const { count } = await ctx.prisma.webhookEndpoint.deleteMany({ where: { id, userId } });
      if (count === 0) throw notFound('Webhook endpoint');
      return args.id;
    },
  }),
}));
