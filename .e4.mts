import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import { applyMigrations } from '/work/main/src/db/migrate.ts';
process.on('unhandledRejection', (e: any) => console.log('UNHANDLED', e.message));
const pglite = new PGlite();
const adapter = process.env.DATABASE_URL ? new PrismaPg({ connectionString: process.env.DATABASE_URL }) : new PrismaPGlite(pglite);
try { console.log(await applyMigrations(adapter, { migrationsDir: '/tmp/exp/bad' })); } catch (e: any) { console.log('THROWN', e.message.slice(0, 300)); }
if (!process.env.DATABASE_URL) console.log((await pglite.query('select migration_name, finished_at, logs from _prisma_migrations')).rows);
