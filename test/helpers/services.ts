// Throwaway PostgreSQL and Redis servers from this machine's own binaries, on
// free loopback ports, with data folders that are deleted afterwards.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${ms} ms`);
    await sleep(50);
  }
}

export type Service = {
  url: string;
  /** Stops the server, keeping its data folder. */
  pause(): Promise<void>;
  /** Starts it again on the same port and data. */
  resume(): Promise<void>;
  /** Stops it for good and deletes its data. */
  stop(): Promise<void>;
};

/** A Redis that can also hang: its process stopped (SIGSTOP), connections left open. */
export type RedisService = Service & {
  freeze(): void;
  thaw(): void;
};

export async function startRedis(): Promise<RedisService> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    let ready = false;
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) ready = true;
    });
    await waitFor('redis-server', () => ready);
  };
  const pause = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    pause,
    resume: start,
    stop: pause,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
  };
}

export async function startPostgres(): Promise<Service> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'notify-pg-'));
  // PostgreSQL refuses to run as root; the image has a postgres user for that.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o777);
  const run = (args: string[]) => {
    const command = asRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
    execFileSync(command[0] as string, command.slice(1), { stdio: 'pipe' });
  };
  const data = join(dir, 'data');
  run(['initdb', '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  const resume = async () =>
    run(['pg_ctl', '-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const pause = async () => run(['pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop']);
  await resume();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    pause,
    resume,
    async stop() {
      await pause().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
