// Every environment variable the server reads, validated once, with its default.
import { z } from 'zod';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  /** Unset: embedded PGlite in DATA_DIR. Set: PostgreSQL. */
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  /** Unset: in-process pub/sub (one instance). Set: Redis pub/sub (many instances). */
  REDIS_URL: z.string().url().optional(),
  REDIS_PREFIX: z.string().default('notify:'),
  /** Signs bearer tokens. Unset with PGlite: generated once and kept in DATA_DIR. */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  TOKEN_TTL_MINUTES: z.coerce.number().positive().default(60),
  NODE_ENV: z.string().default('development'),
});

export type Config = z.infer<typeof schema>;

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
  return parsed.data;
}
