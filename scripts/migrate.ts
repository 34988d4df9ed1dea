// Applies the pending migrations to the configured database (DATABASE_URL, or the
// PGlite database in DATA_DIR), then exits. The server does the same at start-up.
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';

const config = loadConfig();
const db = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  const started = performance.now();
  const { applied } = await applyMigrations(db.adapter, { log: console.log });
  const ms = Math.round(performance.now() - started);
  console.log(
    applied.length
      ? `${applied.length} migration(s) applied in ${ms} ms`
      : 'database is up to date',
  );
} finally {
  await db.close();
}
