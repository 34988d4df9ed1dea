// The conversation between the runner (which owns the server, Redis and
// PostgreSQL processes and measures them) and a load generator process (which
// owns the clients). Load generators ask for a snapshot at the edges of each
// measured window, so every figure is taken at the right moment on both sides.
import { availableParallelism } from 'node:os';
import type { Target } from './client.js';

export type Snapshot = {
  /** Date.now() in the runner. */
  at: number;
  serverCpuMs: number;
  serverRss: number;
  serverHeap: number;
  /** Event-loop delay since the last reset, ms. */
  eld: { p50: number; p99: number; max: number; mean: number };
  redisCpuMs: number;
  pgCpuMs: number;
  /** This load generator's own CPU time. */
  loadgenCpuMs: number;
  /** The whole machine's busy CPU time, every core (proc.ts; absent before 2026-12-05 09:00). */
  machineBusyMs?: number;
};

export type Job = {
  scenario: string;
  target: Target;
  databaseUrl: string;
  params: Record<string, number>;
  /** The loopback network (`127.N.0`) this job's sockets connect from (client.ts). */
  sourceNetwork: string;
};

export type ToRunner =
  | { type: 'sample'; id: number; gc?: boolean; resetEld?: boolean; loadgenCpuMs: number }
  | { type: 'quiet'; id: number; maxMs: number }
  | { type: 'log'; text: string }
  | { type: 'result'; result: unknown }
  | { type: 'failed'; error: string };

export type ToLoadgen = { type: 'job'; job: Job } | { type: 'answer'; id: number; value: unknown };

/** CPU use between two snapshots, in % of one core. */
export function usage(from: Snapshot, to: Snapshot) {
  const wall = Math.max(1, to.at - from.at);
  const pct = (a: number, b: number) => ((b - a) / wall) * 100;
  return {
    wallMs: wall,
    serverCpuMs: to.serverCpuMs - from.serverCpuMs,
    serverCpuPct: pct(from.serverCpuMs, to.serverCpuMs),
    redisCpuPct: pct(from.redisCpuMs, to.redisCpuMs),
    pgCpuPct: pct(from.pgCpuMs, to.pgCpuMs),
    loadgenCpuPct: pct(from.loadgenCpuMs, to.loadgenCpuMs),
    serverRssMiB: to.serverRss / 2 ** 20,
    /** Share of all the machine's cores busy, %: 100 is every core saturated. */
    machineBusyPct:
      from.machineBusyMs === undefined || to.machineBusyMs === undefined
        ? undefined
        : pct(from.machineBusyMs, to.machineBusyMs) / availableParallelism(),
  };
}
export type Usage = ReturnType<typeof usage>;

export type LoadIO = {
  job: Job;
  sample(options?: { gc?: boolean; resetEld?: boolean }): Promise<Snapshot>;
  /** Waits until the server has been idle for a second (or maxMs); resolves with the wait. */
  quiet(maxMs: number): Promise<number>;
  log(text: string): void;
};
