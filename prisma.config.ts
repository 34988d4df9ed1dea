// Prisma CLI configuration. The CLI's native engine cannot be downloaded on every
// machine, so migrations run through scripts/migrate*.ts (the WASM schema engine);
// this file still tells `prisma generate` where the schema and migrations live.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
