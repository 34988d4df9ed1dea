// Every environment variable the server reads, validated once, with its default.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** Unset: embedded PGlite in DATA_DIR. Set: PostgreSQL. */
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  /**
   * Connections to PostgreSQL per instance. A connection stays taken from sending a
   * statement until this process reads the answer, which under load waits its turn
   * in the event loop (several ms at 1,000 mutations a second); with pg's default of
   * 10 the pool itself became the queue (bench: p50 113 ms at 1,000/s, against 4 ms
   * with 20). All are opened at start and kept (db/client.ts): mind PostgreSQL's
   * max_connections (100 by default) across instances.
   */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(20),
  /** Unset: in-process pub/sub (one instance). Set: Redis pub/sub (many instances). */
  REDIS_URL: z.string().url().optional(),
  REDIS_PREFIX: z.string().default('notify:'),
  /** Signs bearer tokens. Unset with PGlite: generated once and kept in DATA_DIR. */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  TOKEN_TTL_MINUTES: z.coerce.number().positive().default(60),
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),

  // Query limits (graphql-armor), for every transport.
  MAX_DEPTH: int(10),
  MAX_ALIASES: int(15),
  MAX_DIRECTIVES: int(10),
  MAX_TOKENS: int(1000),
  /**
   * graphql-armor's weights, with page sizes and lists counted wherever they come
   * from: a full page (100) of notifications with every field costs about 19,000,
   * a page of 100 posts each with 100 comments about 800,000.
   */
  MAX_COST: int(30_000),
  /** Largest accepted HTTP request body and WebSocket message, in bytes. */
  MAX_BODY_BYTES: int(100_000),
  /** Most ids one `nodes(ids:)` may ask for. */
  MAX_NODE_IDS: int(100),
  /** Largest result one operation may answer, in bytes of JSON (counted before it is built). */
  MAX_RESPONSE_BYTES: int(10_000_000),

  /**
   * Which proxies may say who the client is (X-Forwarded-For / Forwarded), as
   * Express's `trust proxy` takes it: unset or `false` trusts none (the TCP peer is
   * the client), a number trusts that many hops, `true` every hop, and anything else
   * is a comma-separated list of addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`.
   */
  TRUST_PROXY: z.string().default('false'),

  // HTTP server: how long a client may take, and how many connections it may hold.
  HTTP_REQUEST_TIMEOUT_MS: int(30_000),
  HTTP_HEADERS_TIMEOUT_MS: int(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(5_000),
  /** Default: 50,000, or less where the open-files limit is lower (see below). */
  MAX_CONNECTIONS: int(defaultMaxConnections()),
  /** Open TCP connections per client address (proxies in TRUST_PROXY are exempt). */
  MAX_CONNECTIONS_PER_IP: int(100),

  // Redis: a command or connect that takes longer fails, so a hung Redis stalls nothing.
  REDIS_COMMAND_TIMEOUT_MS: int(1_000),
  REDIS_CONNECT_TIMEOUT_MS: int(5_000),

  // Rate limits, shared by all instances through Redis when REDIS_URL is set.
  RATE_MUTATIONS_PER_MINUTE: int(120),
  /** Failed log-ins to one account from one address. */
  RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: int(10),
  /** Failed log-ins to one account from every address, except those it logged in from before. */
  RATE_LOGIN_PER_ACCOUNT_PER_DAY: int(100),
  RATE_LOGIN_PER_IP_PER_15_MINUTES: int(100),
  RATE_CONNECTIONS_PER_IP_PER_MINUTE: int(120),
  RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: int(60),
  /** SSE has no connection to count on: subscribe requests per user (per IP when anonymous). */
  RATE_SSE_SUBSCRIBES_PER_USER_PER_MINUTE: int(60),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: int(20),
  MAX_SUBSCRIPTIONS_PER_USER: int(100),

  // WebSocket protocol.
  WS_INIT_TIMEOUT_MS: int(10_000),
  WS_PING_INTERVAL_MS: int(30_000),
  /** Comma-separated origins allowed to open browser WebSockets, besides the server's own. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),

  // Delivery beyond the open app (src/delivery/).
  /** smtp://[user:pass@]host:port or smtps://…; `file:` writes .eml files (development). Unset: no email. */
  SMTP_URL: z.string().url().optional(),
  MAIL_FROM: z.string().default('Notifications <notifications@localhost>'),
  /** Base of the links in messages; default http://localhost:<PORT>. */
  PUBLIC_URL: z.string().url().optional(),
  EMAIL_DIGEST_SECONDS: z.coerce.number().positive().default(900),
  DELIVERY_RETRY_BASE_MS: z.coerce.number().positive().default(10_000),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(8),
  /** How often the worker looks for due deliveries besides being woken after a commit. */
  DELIVERY_POLL_MS: z.coerce.number().int().min(10).default(1_000),
  /** How long a claimed delivery stays with its worker; a dead worker's work is retaken after it. */
  DELIVERY_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  /** Deadline of one webhook or push request, answer included (the contract's 10 seconds). */
  DELIVERY_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Development and tests only: lets webhook and push URLs use http and private addresses. */
  ALLOW_PRIVATE_DELIVERY_URLS: flag(),
  /** The VAPID pair (base64url, as web-push prints it). Unset with PGlite: made once in DATA_DIR. */
  VAPID_PUBLIC_KEY: z.string().min(1).optional(),
  VAPID_PRIVATE_KEY: z.string().min(1).optional(),
  /** mailto: or https: contact for push services; default mailto: + MAIL_FROM's address. */
  VAPID_SUBJECT: z
    .string()
    .regex(/^(mailto:|https:)/, 'must start with mailto: or https:')
    .optional(),

  /** GraphiQL, introspection and field suggestions; default: on except in production. */
  GRAPHIQL: flag(),
  INTROSPECTION: flag(),
});

export type Config = z.infer<typeof schema>;

/**
 * Past the open-files limit (`ulimit -n`) Node cannot accept at all, and the
 * database pool and Redis cannot reconnect either; so by default the cap stays
 * 100 descriptors below the soft limit where Linux tells it.
 */
function defaultMaxConnections(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    if (soft) return Math.max(1, Math.min(50_000, Number(soft) - 100));
  } catch {
    // Not Linux: no limit to read.
  }
  return 50_000;
}

function int(fallback: number) {
  return z.coerce.number().int().min(0).default(fallback);
}

function flag() {
  return z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((value) => (value === undefined ? undefined : value === 'true' || value === '1'));
}

/** Whether GraphiQL and introspection are on: explicitly, or by NODE_ENV. */
export const developerTools = (config: Config) => ({
  graphiql: config.GRAPHIQL ?? config.NODE_ENV !== 'production',
  introspection: config.INTROSPECTION ?? config.NODE_ENV !== 'production',
});

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.DATABASE_URL && !parsed.data.JWT_SECRET) {
    // Several instances on one database must share the key, so none may invent its own.
    throw new Error('Invalid configuration:\n  JWT_SECRET: required when DATABASE_URL is set');
  }
  if (parsed.data.SMTP_URL?.startsWith('file:') && parsed.data.NODE_ENV === 'production') {
    // The development mailbox must never quietly swallow production mail.
    throw new Error('Invalid configuration:\n  SMTP_URL: file: is for development only');
  }
  if (!parsed.data.VAPID_PUBLIC_KEY !== !parsed.data.VAPID_PRIVATE_KEY) {
    // Half a pair cannot sign anything a push service would accept.
    throw new Error(
      'Invalid configuration:\n  VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY: set both or neither',
    );
  }
  return parsed.data;
}
