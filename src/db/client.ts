// The database behind one Prisma client: embedded PGlite by default, PostgreSQL
// when a URL is given. Both speak PostgreSQL, so one schema and one set of
// migrations serve both.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { statementName } from './prepared.js';

export type Database = {
  prisma: PrismaClient;
  /** The adapter factory, also used by the migration engine. */
  adapter: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
};

export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
}): Promise<Database> {
  if (options.databaseUrl) {
    const adapter = new PrismaPg(
      { connectionString: options.databaseUrl },
      // pg sends an undefined name as an unnamed statement; the type says string only.
      { statementNameGenerator: statementName as (query: { sql: string }) => string },
    );
    const prisma = new PrismaClient({ adapter });
    return { prisma, adapter, close: () => prisma.$disconnect() };
  }
  // 'memory://' is PGlite's in-memory database, for tests and throwaway runs.
  if (!options.dataDir.startsWith('memory://')) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.dataDir);
  const adapter = new PrismaPGlite(pglite);
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    adapter,
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
