// The offline `prisma migrate dev --create-only`: writes the migration that takes the
// committed migrations to prisma/schema.prisma, without touching any real database.
// Usage: npm run db:migrate:create -- <name>
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  isEmptyMigration,
  LOCKFILE_CONTENT,
  LOCKFILE_NAME,
  MIGRATIONS_DIR,
  pendingSchemaDiff,
} from '../src/db/migrate.js';

const name = process.argv[2];
// Prisma's own rule for the directory suffix.
if (!name || !/^[A-Za-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:migrate:create -- <name>   (letters, digits and _ only)');
  process.exit(1);
}

const sql = await pendingSchemaDiff();
if (isEmptyMigration(sql)) {
  console.log('no changes');
  process.exit(0);
}

// Prisma's YYYYMMDDHHMMSS, in UTC.
const timestamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = join(MIGRATIONS_DIR, `${timestamp}_${name}`);
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'migration.sql'), sql);
const lockfile = join(MIGRATIONS_DIR, LOCKFILE_NAME);
if (!existsSync(lockfile)) await writeFile(lockfile, LOCKFILE_CONTENT);
console.log(`created ${join(dir, 'migration.sql')}`);
