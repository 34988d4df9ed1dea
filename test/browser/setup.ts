// Vitest global setup: the browser tests need the built web app (web/dist). `npm install`
// builds it; this rebuilds it when a source file is newer, so a test never runs old code.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const web = join(root, 'web');

export default function setup() {
  const built = join(web, 'dist', 'index.html');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const sources = [
    join(web, 'src'),
    join(web, 'public'),
    join(web, 'index.html'),
    join(web, 'vite.config.ts'),
    join(root, 'schema.graphql'),
  ];
  if (sources.every((source) => newest(source) <= builtAt)) return;
  const bin = (name: string) => join(root, 'node_modules', '.bin', name);
  // Vitest sets NODE_ENV=test, which would give the bundle React's development build.
  const options = {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  } as const;
  // Typed documents first (web/src/generated), then the bundle.
  execFileSync(bin('graphql-codegen'), ['--config', 'codegen.ts', '--silent'], options);
  execFileSync(
    bin('vite'),
    ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    options,
  );
}

/** The newest modification time in a file or folder (generated code excluded). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'generated') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}
