// Starts the real server on a free port, on a database of its own: a fresh PGlite
// folder, or a fresh PostgreSQL database in the "postgres" test project.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';

export type TestServer = {
  url: string;
  wsUrl: string;
  /** Every log line the server wrote so far (JSON). */
  logs(): string[];
  /** Its PostgreSQL database, in the "postgres" project; undefined on PGlite. */
  databaseUrl?: string;
  stop(): Promise<void>;
};

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

/**
 * Every test file signs up and connects many users from 127.0.0.1 within seconds;
 * the rate limits get their own tests (test/limits.test.ts), so elsewhere they are
 * set out of reach.
 */
export const GENEROUS_LIMITS: Record<string, string> = {
  RATE_MUTATIONS_PER_MINUTE: '1000000',
  RATE_LOGIN_PER_ACCOUNT_PER_15_MINUTES: '1000000',
  RATE_LOGIN_PER_IP_PER_15_MINUTES: '1000000',
  RATE_CONNECTIONS_PER_IP_PER_MINUTE: '1000000',
  RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: '1000000',
  RATE_SSE_SUBSCRIBES_PER_USER_PER_MINUTE: '1000000',
  RATE_LOGIN_PER_ACCOUNT_PER_DAY: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
};

export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const base: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'test',
    JWT_SECRET: TEST_SECRET,
    // Every connection is opened at start and kept (src/db/client.ts), and many
    // servers share the test PostgreSQL (max_connections 300).
    DATABASE_POOL_SIZE: '5',
    ...GENEROUS_LIMITS,
  };
  const adminUrl = inject('postgresUrl');
  if (adminUrl) {
    base.DATABASE_URL = await createDatabase(adminUrl, cleanups);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'notify-test-'));
    base.DATA_DIR = dir;
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  }
  const config: Config = loadConfig({ ...base, ...env });
  const lines: string[] = [];
  const logDestination = { write: (line: string) => void lines.push(line) };
  const app = await createApp(config, { logDestination });
  const url = await app.start();
  return {
    url: `${url}/graphql`,
    wsUrl: `${url.replace(/^http/, 'ws')}/graphql`,
    logs: () => lines,
    databaseUrl: config.DATABASE_URL,
    async stop() {
      await app.stop();
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

/** A throwaway database on the test PostgreSQL server, dropped afterwards. */
export async function createDatabase(
  adminUrl: string,
  cleanups: Array<() => Promise<void> | void>,
) {
  const name = `notify_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
