// Server instances as separate OS processes, the way they run behind a load balancer.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GENEROUS_LIMITS, TEST_SECRET } from './server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export type Instance = {
  url: string;
  wsUrl: string;
  /** Everything the process printed, for failure messages. */
  output(): string;
  /**
   * The process's V8 heap after two full collections, asked through the benchmark's
   * probe (bench/lib/probe.ts): without them a heap figure is mostly garbage not yet
   * collected, and a leak check on it fails or passes by chance.
   */
  heapUsedAfterGc(): Promise<number>;
  /** SIGTERM (or `signal`, e.g. SIGKILL for a crash), then wait for the exit; resolves with its code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const args = ['--expose-gc', '--import', 'tsx', '--import', './bench/lib/probe.ts'];
  const child: ChildProcess = spawn(process.execPath, [...args, 'src/index.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      JWT_SECRET: TEST_SECRET,
      // As in startServer: each instance keeps its pool's connections open.
      DATABASE_POOL_SIZE: '5',
      ...GENEROUS_LIMITS,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  let asked = 0;
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready at (http:\/\/\S+\/graphql)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    exited.then((code) => reject(new Error(`instance exited with ${code}:\n${output}`)));
  });
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    output: () => output,
    heapUsedAfterGc() {
      const probe = ++asked;
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the probe did not answer')), 30_000);
        const onMessage = (message: { probe?: number; heapUsed?: number }) => {
          if (message?.probe !== probe) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(message.heapUsed ?? Number.NaN);
        };
        child.on('message', onMessage);
        child.send({ probe, gc: true });
      });
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
