// The four systems under test, as the runner starts them: each a separate node
// process (with the probe preloaded and the open-files limit raised), on the same
// PostgreSQL and Redis, announcing "ready at http://…/graphql".
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpuMs, rssBytes } from './proc.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const SYSTEMS = ['this', 'apollo', 'mercurius', 'floor'] as const;
export type SystemName = (typeof SYSTEMS)[number];

export const LABELS: Record<SystemName, string> = {
  this: 'this server',
  apollo: 'Apollo recipe',
  mercurius: 'Mercurius',
  floor: 'floor (bare ws)',
};

const ENTRY: Record<SystemName, string[]> = {
  // The production build (npm run build), with the node flags `npm start` gives it.
  this: startArgs(),
  apollo: ['bench/peers/apollo.ts'],
  mercurius: ['bench/peers/mercurius.ts'],
  floor: ['bench/peers/floor.ts'],
};

/** `npm start`'s command line after `node`: its flags and the entry file. */
function startArgs(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const [command, ...args] = String(pkg.scripts.start).split(/\s+/);
  if (command !== 'node') throw new Error(`npm start does not run node: ${pkg.scripts.start}`);
  return args;
}

export type Services = { databaseUrl: string; redisUrl: string; jwtSecret: string };

/**
 * Spawns `node <args>` through sh, so that the child's open-files limit can be
 * raised to the hard limit first (tens of thousands of sockets), with an IPC channel.
 */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(
    'sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"', process.execPath, ...args],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
}

export type Probe = {
  heapUsed: number;
  rss: number;
  eld: { p50: number; p99: number; max: number; mean: number };
};

export type RunningSystem = {
  name: SystemName;
  url: string;
  pid: number;
  cpuMs(): number;
  rssBytes(): number;
  /** Asks the process itself (see probe.ts) for its heap and event-loop delay. */
  probe(options: { gc?: boolean; resetEld?: boolean }): Promise<Probe>;
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
};

export async function startSystem(
  name: SystemName,
  services: Services,
  options: { cpuProfileDir?: string; env?: Record<string, string> } = {},
): Promise<RunningSystem> {
  // The peers are TypeScript run through tsx; this server runs its compiled build,
  // and Node strips the probe's types itself.
  const loader = name === 'this' ? [] : ['--import', 'tsx'];
  const nodeArgs = ['--expose-gc', ...loader, '--import', './bench/lib/probe.ts'];
  if (options.cpuProfileDir)
    nodeArgs.unshift('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child = spawnNode([...nodeArgs, ...ENTRY[name]], {
    ...process.env,
    // Production mode for this server, as the issue asks; the peers ignore it.
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    JWT_SECRET: services.jwtSecret,
    // Long enough that no socket closes for an expired token during a run.
    TOKEN_TTL_MINUTES: '600',
    // This server's abuse limits would refuse a load generator on one address:
    // raised out of the way (their counting still runs, and is measured).
    RATE_MUTATIONS_PER_MINUTE: '1000000000',
    RATE_CONNECTIONS_PER_IP_PER_MINUTE: '1000000000',
    RATE_SUBSCRIBES_PER_CONNECTION_PER_MINUTE: '1000000000',
    MAX_CONNECTIONS_PER_IP: '1000000000',
    MAX_CONNECTIONS: '1000000000',
    ...options.env,
  });
  let output = '';
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      // A system that dies during a run is reported with its last words, not lost.
      if (!stopping) {
        process.stderr.write(
          `${name} exited unexpectedly (${code ?? signal}); its last output:\n${output.slice(-4_000)}\n`,
        );
      }
      resolve();
    }),
  );
  // Asking a dead system (its IPC channel closed) fails that probe, not the runner.
  child.on('error', () => {});
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const match = /ready at (http:\/\/\S+\/graphql)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    exited.then(() => reject(new Error(`${name} exited:\n${output}`)));
  });
  const pid = child.pid as number;
  let asked = 0;
  return {
    name,
    url,
    pid,
    cpuMs: () => cpuMs(pid),
    rssBytes: () => rssBytes(pid),
    probe(probeOptions) {
      const id = ++asked;
      return new Promise<Probe>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${name}: not running`));
        const timer = setTimeout(() => reject(new Error(`${name}: probe timed out`)), 30_000);
        const onMessage = (message: Probe & { probe?: number }) => {
          if (message?.probe !== id) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(message);
        };
        child.on('message', onMessage);
        child.send({ probe: id, ...probeOptions });
      });
    },
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      stopping = true;
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
