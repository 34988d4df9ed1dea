// Prometheus metrics, one registry per app (tests run several apps in a process).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method and status.',
      labelNames: ['method', 'status'] as const,
      registers,
    }),
    openSockets: new Gauge({
      name: 'websocket_open_connections',
      help: 'Open graphql-ws connections.',
      registers,
    }),
    liveSubscriptions: new Gauge({
      name: 'graphql_live_subscriptions',
      help: 'Live subscriptions on this instance, over WebSocket and SSE.',
      labelNames: ['field'] as const,
      registers,
    }),
    notificationsCreated: new Counter({
      name: 'notifications_created_total',
      help: 'Notifications stored.',
      registers,
    }),
    notificationsPublished: new Counter({
      name: 'notifications_published_total',
      help: 'Notification events handed to pub/sub.',
      registers,
    }),
    notificationsDelivered: new Counter({
      name: 'notifications_delivered_total',
      help: 'Notifications pushed to a subscriber.',
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'notification_delivery_seconds',
      help: 'From storing a notification to pushing it to a subscriber.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    pubsubReconnects: new Counter({
      name: 'pubsub_reconnects_total',
      help: 'Times the pub/sub transport came back after a disconnection.',
      registers,
    }),
    // Delivery beyond the open app; queue depth and age are read from the database
    // at scrape time (src/delivery/queue-metrics.ts).
    deliveriesAttempted: new Counter({
      name: 'deliveries_attempted_total',
      help: 'Delivery attempts made (email, push, webhook), by channel.',
      labelNames: ['channel'] as const,
      registers,
    }),
    deliveriesSent: new Counter({
      name: 'deliveries_sent_total',
      help: 'Deliveries accepted by the far end, by channel.',
      labelNames: ['channel'] as const,
      registers,
    }),
    deliveriesFailed: new Counter({
      name: 'deliveries_failed_total',
      help: 'Deliveries given up for good (last attempt, or a permanent refusal), by channel.',
      labelNames: ['channel'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused by a rate limit or a concurrency cap, by limit.',
      labelNames: ['limit'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
