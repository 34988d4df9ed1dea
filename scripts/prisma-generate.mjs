// Runs `prisma generate` without the native schema engine. Every Prisma CLI command
// first tries to download that engine, which fails on machines that only reach the
// npm registry; generation itself is WebAssembly and only needs the variable to
// name an existing file.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const result = spawnSync('npx', ['prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
