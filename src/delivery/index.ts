// Delivery beyond the open app, assembled: the channels the configuration turns
// on, the outbox the notification store writes to, the worker, and the
// unsubscribe route. app.ts only wires this in.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Channel } from './channel.js';
import { createEmailChannel } from './channels/email.js';
import { createPushChannel } from './channels/push.js';
import { createWebhookChannel } from './channels/webhook.js';
import { createMailTransport } from './email/transport.js';
import { createOutbox, type Outbox } from './outbox.js';
import { loadVapidKeys } from './push/vapid.js';
import { registerQueueMetrics } from './queue-metrics.js';
import type { UrlPolicy } from './safe-url.js';
import { createUnsubscribeTokens, handleUnsubscribe } from './unsubscribe.js';
import { createWorker } from './worker.js';

/** What the schema needs to know about the channels (src/schema/webhook.ts, push.ts). */
export type DeliverySettings = {
  /** The VAPID public key for PushManager.subscribe(); null when Web Push is off. */
  webPushPublicKey: string | null;
  /** Which webhook and push URLs users may give. */
  urlPolicy: UrlPolicy;
};

export type Delivery = {
  outbox: Outbox;
  settings: DeliverySettings;
  /** After a commit that recorded deliveries. */
  wake(): void;
  /** `/unsubscribe` requests. */
  handleUnsubscribe(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Starts the worker once the server's own address (the default PUBLIC_URL) is known. */
  start(ownUrl: string): void;
  stop(): Promise<void>;
};

export function createDelivery(options: {
  config: Config;
  prisma: PrismaClient;
  secret: string;
  logger: Logger;
  metrics: Metrics;
}): Delivery {
  const { config, prisma, secret, logger, metrics } = options;
  const unsubscribe = createUnsubscribeTokens(secret);
  let publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  const channels: Channel[] = [];
  // No SMTP_URL: no email is attempted, and no email delivery is recorded.
  if (config.SMTP_URL) {
    channels.push(
      createEmailChannel({
        prisma,
        transport: createMailTransport(config.SMTP_URL, config.DATA_DIR),
        unsubscribe,
        secret,
        from: config.MAIL_FROM,
        digestSeconds: config.EMAIL_DIGEST_SECONDS,
        publicUrl: () => publicUrl,
      }),
    );
  }
  const urlPolicy: UrlPolicy = { allowPrivate: config.ALLOW_PRIVATE_DELIVERY_URLS === true };
  if (urlPolicy.allowPrivate) {
    // Said once at start, so an operator notices a development setting left on.
    logger.warn(
      'ALLOW_PRIVATE_DELIVERY_URLS is on: users may point webhooks and push at private addresses',
    );
  }
  // Webhooks need nothing from the operator: they go wherever users point them.
  channels.push(
    createWebhookChannel({
      prisma,
      secret,
      timeoutMs: config.DELIVERY_HTTP_TIMEOUT_MS,
      policy: urlPolicy,
    }),
  );
  // No VAPID pair (DATABASE_URL without VAPID_*): no push is attempted or recorded.
  const vapid = loadVapidKeys(config);
  if (vapid) {
    channels.push(
      createPushChannel({
        prisma,
        vapid,
        timeoutMs: config.DELIVERY_HTTP_TIMEOUT_MS,
        policy: urlPolicy,
        publicUrl: () => publicUrl,
      }),
    );
  }
  registerQueueMetrics(metrics, prisma);
  const worker = createWorker({
    prisma,
    channels,
    logger,
    metrics,
    pollMs: config.DELIVERY_POLL_MS,
    leaseMs: config.DELIVERY_LEASE_MS,
    retryBaseMs: config.DELIVERY_RETRY_BASE_MS,
    maxAttempts: config.DELIVERY_MAX_ATTEMPTS,
  });
  return {
    outbox: createOutbox(channels),
    settings: { webPushPublicKey: vapid?.publicKey ?? null, urlPolicy },
    wake: () => worker.wake(),
    handleUnsubscribe: (req, res) => handleUnsubscribe(req, res, unsubscribe, prisma),
    start(ownUrl) {
      publicUrl = config.PUBLIC_URL ?? ownUrl;
      worker.start();
    },
    async stop() {
      await worker.stop();
      for (const channel of channels) await channel.close();
    },
  };
}
