// Turns one run's records into bench/results/<run>/: results.json (raw),
// report.md (every figure for every system, ratios against this server, the
// targets and by how much they are missed, the machine) and one SVG chart per
// scenario and size. A complete full run (isComplete) is also copied to
// bench/results/latest/; any other run stays in its own folder.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { lineChart } from './lib/svg.js';
import { LABELS, ROOT, SYSTEMS, type SystemName } from './lib/systems.js';
import type { FanoutResult } from './scenarios/fanout.js';
import type { IdleResult } from './scenarios/idle.js';
import { SCENARIOS } from './scenarios/index.js';
import {
  bestStep,
  cpuPerNotificationMs,
  fastestWithin50,
  type SteadyResult,
} from './scenarios/steady.js';
import type { Params } from './scenarios/types.js';

export type RunRecord = {
  scenario: string;
  params: Params;
  system: SystemName;
  result?: unknown;
  error?: string;
  logs: string[];
};

export type RunResult = {
  quick: boolean;
  flags: Record<string, string>;
  started: string;
  finished: string;
  machine: Record<string, string>;
  systems: SystemName[];
  records: RunRecord[];
  profileDir?: string;
};

const COLORS: Record<SystemName, string> = {
  this: '#d62728',
  apollo: '#1f77b4',
  mercurius: '#2ca02c',
  floor: '#7f7f7f',
};

/**
 * Milliseconds one core takes for a fixed piece of work (JSON round trips of a
 * small object), the median of three: this machine is shared, and the same build
 * has measured a third slower from one hour to the next, so a report says how fast
 * the machine was at its start and its end.
 */
export function cpuCheckMs(): number {
  const object = { a: 1, b: 'hello world', c: [1, 2, 3], d: { e: true } };
  const times = [0, 1, 2].map(() => {
    const started = performance.now();
    let sum = 0;
    for (let i = 0; i < 300_000; i++)
      sum += (JSON.parse(JSON.stringify(object)) as typeof object).a;
    if (sum !== 300_000) throw new Error('cpu check miscounted');
    return performance.now() - started;
  });
  return Math.round(times.sort((x, y) => x - y)[1] as number);
}

export const CPU_CHECK_LABEL = 'CPU check: ms for a fixed workload on one core (lower is faster)';

export function machineInfo(extra: Record<string, string>): Record<string, string> {
  const sh = (cmd: string) => {
    try {
      return execFileSync('sh', ['-c', cmd], { cwd: ROOT }).toString().trim();
    } catch {
      return '?';
    }
  };
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? '?'} × ${cpus.length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    'load average at start (1/5/15 min)': os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' / '),
    'open files limit (hard)': sh('ulimit -Hn'),
    'ephemeral ports': sh('cat /proc/sys/net/ipv4/ip_local_port_range').replace(/\s+/g, '–'),
    commit:
      sh('git rev-parse --short HEAD') +
      (sh('git status --porcelain src') ? ' (src modified)' : ''),
    ...Object.fromEntries(
      Object.entries(extra).map(([k, v]) => [k === 'openFiles' ? 'open files limit (hard)' : k, v]),
    ),
  };
}

const fmt = (n: number | null | undefined) => {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Math.abs(n) >= 1000 ? Math.round(n).toLocaleString('en-US') : String(n);
};
const ratio = (peer: number | null | undefined, ours: number | null | undefined) => {
  if (
    peer == null ||
    ours == null ||
    !Number.isFinite(peer) ||
    !Number.isFinite(ours) ||
    ours === 0
  )
    return '';
  const r = peer / ours;
  return ` (×${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)})`;
};
const sizeKey = (p: Params) => JSON.stringify(p);

function groups(run: RunResult) {
  const out: { scenario: string; params: Params; bySystem: Map<SystemName, RunRecord> }[] = [];
  for (const r of run.records) {
    let g = out.find((x) => x.scenario === r.scenario && sizeKey(x.params) === sizeKey(r.params));
    if (!g) {
      g = { scenario: r.scenario, params: r.params, bySystem: new Map() };
      out.push(g);
    }
    g.bySystem.set(r.system, r);
  }
  return out;
}

type Target = { goal: string; measured: string; met: boolean | null; gap: string };

/** The targets of issue 10 ("delivery at 2,000 notifications a second"), for this server. */
function targets(run: RunResult): Target[] {
  const out: Target[] = [];
  const pick = <T>(
    scenario: string,
    system: SystemName,
    where: (p: Params) => boolean = () => true,
  ) =>
    run.records.find((r) => r.scenario === scenario && r.system === system && where(r.params))
      ?.result as T | undefined;
  const ms = (n: number | null | undefined) => `${fmt(n == null ? null : Math.round(n))} ms`;
  const s = pick<SteadyResult>('steady', 'this');
  if (s) {
    const rate = fastestWithin50(s)?.offered ?? 0;
    const at = `at ${fmt(s.connected)} subscribers`;
    out.push({
      goal: 'steady: ≥ 1,000 notifications/s (goal 2,000/s) with p99 ≤ 50 ms, at 10,000 subscribers',
      measured: `${fmt(rate)}/s ${at}`,
      met: s.connected >= 10_000 && rate >= 1_000,
      gap:
        rate >= 1_000
          ? rate >= 2_000
            ? ''
            : 'goal of 2,000/s not reached'
          : `${Math.round((rate / 1_000) * 100)} % of 1,000/s`,
    });
    const wrong = s.steps.reduce((n, x) => n + x.lost + x.duplicated + x.misdelivered, 0);
    out.push({
      goal: 'steady: zero lost / duplicated / misdelivered',
      measured: `${wrong} lost, duplicated or misdelivered (all steps)`,
      met: wrong === 0,
      gap: wrong ? `${wrong}` : '',
    });
    const merc = pick<SteadyResult>('steady', 'mercurius');
    if (merc) {
      const theirs = fastestWithin50(merc)?.offered ?? 0;
      out.push({
        goal: 'steady: ≥ 2× the Mercurius recipe (p99 ≤ 50 ms, no loss), same run',
        measured: `${fmt(rate)}/s vs ${fmt(theirs)}/s (×${theirs ? (rate / theirs).toFixed(2) : '∞'})`,
        met: rate > 0 && rate >= 2 * theirs,
        gap:
          rate > 0 && rate >= 2 * theirs
            ? ''
            : `×${(rate / Math.max(theirs, 1)).toFixed(2)} of the ×2 asked`,
      });
    }
    const best = bestStep(s);
    const cpu = best ? cpuPerNotificationMs(best) : Number.NaN;
    out.push({
      goal: 'steady: server CPU per delivered notification ≤ 1 ms',
      measured: best ? `${cpu.toFixed(2)} ms at ${fmt(best.offered)}/s` : 'no passing step',
      met: Number.isFinite(cpu) && cpu <= 1,
      gap: Number.isFinite(cpu) && cpu > 1 ? `×${cpu.toFixed(1)} the budget` : '',
    });
  }
  for (const [size, limit] of [
    [10_000, 300],
    [19_000, 600],
  ] as const) {
    const f = pick<FanoutResult>('fanout', 'this', (p) => p.followers === size);
    if (!f) continue;
    const peer = pick<FanoutResult>('fanout', 'mercurius', (p) => p.followers === size);
    const last = f.lastAfterReturnMs ?? Number.NaN;
    const mutationOk = size !== 10_000 || f.mutationMs <= 300;
    const peerOk = !peer || last <= (peer.lastAfterReturnMs ?? Number.POSITIVE_INFINITY);
    out.push({
      goal: `fanout: ${fmt(size)} followers, the last receives ≤ ${fmt(limit)} ms after the mutation returns${size === 10_000 ? ', which returns ≤ 300 ms' : ''}; never slower than Mercurius`,
      // The first fan-out after start is shown beside it, never hidden (fanout.ts says why it differs).
      measured: `${fmt(f.received)}/${fmt(f.followers)} received; last ${ms(last)} after return; mutation ${ms(f.mutationMs)}${peer ? `; Mercurius last ${ms(peer.lastAfterReturnMs)} after return` : ''}${f.firstAfterStart ? `; first fan-out after start: last ${ms(f.firstAfterStart.lastAfterReturnMs)} after return${peer?.firstAfterStart ? ` (Mercurius ${ms(peer.firstAfterStart.lastAfterReturnMs)})` : ''}` : ''}`,
      met: f.received === f.followers && last <= limit && mutationOk && peerOk,
      gap: [
        last > limit ? `×${(last / limit).toFixed(1)} the limit` : '',
        mutationOk ? '' : 'mutation too slow',
        peerOk ? '' : 'slower than Mercurius',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  const idle = pick<IdleResult>('idle', 'this');
  if (idle) {
    const floor = pick<IdleResult>('idle', 'floor');
    const rateOk = !floor || idle.connectPerSec >= floor.connectPerSec / 2;
    out.push({
      goal: "idle: ≤ 20 KiB server RSS per live subscription at 19,000 connections; connect+subscribe rate ≥ half the floor's",
      measured: `${fmt(idle.connected)} live (${idle.live}/20 checks delivered), ${idle.rssPerConnKiB.toFixed(1)} KiB RSS per connection; ${fmt(Math.round(idle.connectPerSec))}/s${floor ? ` vs the floor's ${fmt(Math.round(floor.connectPerSec))}/s` : ''}`,
      met: idle.connected >= 19_000 && idle.rssPerConnKiB <= 20 && rateOk,
      gap: [
        idle.connected < 19_000 ? `${fmt(idle.connected)} of 19,000 connections` : '',
        idle.rssPerConnKiB > 20 ? `×${(idle.rssPerConnKiB / 20).toFixed(1)} the memory budget` : '',
        rateOk ? '' : "connect rate below half the floor's",
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  return out;
}

/**
 * Whether this run may stand as the latest: a full run of every system and every
 * scenario at the default sizes, with no system failing. A subset, smaller sizes or
 * a profiled run is kept in its own folder only.
 */
export function isComplete(run: RunResult): boolean {
  const flags = Object.keys(run.flags);
  const scenarios = new Set(run.records.map((r) => r.scenario));
  return (
    !run.quick &&
    flags.length === 0 &&
    SYSTEMS.every((s) => run.systems.includes(s)) &&
    Object.keys(SCENARIOS).every((name) => scenarios.has(name)) &&
    run.records.every((r) => r.result !== undefined && !r.error)
  );
}

export function renderMarkdown(
  run: RunResult,
  charts: Map<string, string>,
  chartPrefix = '',
): string {
  const md: string[] = [];
  md.push(
    `# Benchmark report: ${run.started.slice(0, 16).replace('T', ' ')} UTC (${run.quick ? 'quick smoke run: sizes too small to mean anything' : isComplete(run) ? 'full run' : 'partial run: a subset of systems, scenarios or sizes, or a failure'})`,
  );
  md.push('');
  md.push(
    'Each system ran alone, in turn, on the same PostgreSQL and Redis, with fresh data, a fresh server process and a separate load-generator process; all traffic on loopback. Cells for peers show the figure and, in brackets, the ratio peer ÷ this server. "% core": CPU time over wall time of one core (this machine has two, shared by the server, PostgreSQL, Redis and the load generator).',
  );
  md.push('');
  md.push('## Machine');
  md.push('');
  md.push('| | |');
  md.push('| --- | --- |');
  for (const [k, v] of Object.entries(run.machine)) md.push(`| ${k} | ${v} |`);
  md.push(
    `| run took | ${Math.round((Date.parse(run.finished) - Date.parse(run.started)) / 1000)} s |`,
  );
  md.push(
    `| flags | ${
      Object.entries(run.flags)
        .map(([k, v]) => `--${k}${v === 'true' ? '' : `=${v}`}`)
        .join(' ') || '(none)'
    } |`,
  );
  md.push('');
  const changed = readWhatChanged();
  if (changed) md.push('## What changed', '', changed, '');
  md.push('## Targets (this server)');
  md.push('');
  md.push('| target | measured | met | missed by |');
  md.push('| --- | --- | --- | --- |');
  for (const t of targets(run))
    md.push(
      `| ${t.goal} | ${t.measured} | ${t.met === null ? '–' : t.met ? 'yes' : '**no**'} | ${t.gap} |`,
    );
  md.push('');
  for (const g of groups(run)) {
    const scenario = SCENARIOS[g.scenario];
    if (!scenario) continue;
    const systems = run.systems.filter((s) => g.bySystem.has(s));
    md.push(`## ${g.scenario}: ${scenario.describe(g.params)}`);
    md.push('');
    const figures = new Map(
      systems.map((s) => {
        const r = g.bySystem.get(s);
        // A result too broken to read (a harness failure) shows as failed, not as a crash.
        const read = () => {
          try {
            return r?.result ? scenario.figures(r.result) : undefined;
          } catch {
            return undefined;
          }
        };
        return [s, read()] as const;
      }),
    );
    const rows =
      [...figures.values()]
        .find((f) => f)
        ?.map((f) => `${f.label}${f.unit ? ` (${f.unit})` : ''}`) ?? [];
    md.push(`| figure | ${systems.map((s) => LABELS[s]).join(' | ')} |`);
    md.push(`| --- | ${systems.map(() => '---:').join(' | ')} |`);
    rows.forEach((label, i) => {
      const ours = figures.get('this')?.[i]?.value;
      const cells = systems.map((s) => {
        const f = figures.get(s);
        if (!f) return 'failed';
        const v = f[i]?.value;
        return s === 'this' ? fmt(v) : `${fmt(v)}${ratio(v, ours)}`;
      });
      md.push(`| ${label} | ${cells.join(' | ')} |`);
    });
    md.push('');
    const chart = charts.get(`${g.scenario}:${sizeKey(g.params)}`);
    if (chart) md.push(`![${g.scenario} chart](${chartPrefix}${chart})`, '');
    if (g.scenario === 'steady') {
      md.push('<details><summary>every step</summary>', '');
      md.push(
        '| system | offered/s | sent | skipped | delivered/s | p50 | p95 | p99 | max (ms) | mutation answered p99 (ms) | lost | dup | errors | server CPU % | PG CPU % | Redis CPU % | loadgen CPU % | machine busy % | ELD p99 ms |',
      );
      md.push(`|${' --- |'.repeat(19)}`);
      for (const s of systems) {
        const r = g.bySystem.get(s)?.result as SteadyResult | undefined;
        for (const x of r?.steps ?? []) {
          const n = (v: number) => fmt(Math.round(v * 10) / 10);
          md.push(
            `| ${LABELS[s]} | ${x.offered}${x.retried ? (x.passed ? ' (p99 over 50 ms; run again)' : ' (failed; run again)') : ''} | ${x.sent} | ${x.skipped} | ${n(x.deliveredPerSec)} | ${n(x.latency.p50)} | ${n(x.latency.p95)} | ${n(x.latency.p99)} | ${n(x.latency.max)} | ${x.mutationLatency ? n(x.mutationLatency.p99) : '–'} | ${x.lost} | ${x.duplicated} | ${x.errors} | ${n(x.usage.serverCpuPct)} | ${n(x.usage.pgCpuPct)} | ${n(x.usage.redisCpuPct)} | ${n(x.usage.loadgenCpuPct)} | ${x.usage.machineBusyPct === undefined ? '–' : n(x.usage.machineBusyPct)} | ${n(x.eld.p99)} |`,
          );
        }
      }
      md.push('', '</details>', '');
    }
    const problems = systems.flatMap((s) => {
      const r = g.bySystem.get(s);
      const failures = (r?.result as { failures?: string[] } | undefined)?.failures ?? [];
      return [
        ...(r?.error
          ? [`${LABELS[s]}: run failed: ${r.error.split('\n').slice(0, 3).join(' ')}`]
          : []),
        ...failures.slice(0, 3).map((f) => `${LABELS[s]}: ${f}`),
      ];
    });
    if (problems.length) {
      md.push('Errors seen:', '');
      for (const p of problems) md.push(`- \`${p.replace(/`/g, "'").slice(0, 300)}\``);
      md.push('');
    }
  }
  md.push('## Reproduce', '');
  md.push(
    '```sh',
    'npm install',
    `npm run bench${run.quick ? ' -- --quick' : ''}${
      Object.keys(run.flags).filter((k) => k !== 'quick').length
        ? ` -- ${Object.entries(run.flags)
            .filter(([k]) => k !== 'quick')
            .map(([k, v]) => `--${k}=${v}`)
            .join(' ')}`
        : ''
    }`,
    '```',
    '',
  );
  return md.join('\n');
}

/** bench/what-changed.md: what changed in this server since the previous full run. */
function readWhatChanged(): string {
  try {
    return readFileSync(join(ROOT, 'bench/what-changed.md'), 'utf8').trim();
  } catch {
    return '';
  }
}

export function writeReport(run: RunResult): string {
  const kind = run.quick ? 'quick' : isComplete(run) ? 'full' : 'partial';
  const name = `${run.started.replace(/[:.]/g, '-').slice(0, 19)}-${kind}`;
  const dir = join(ROOT, 'bench/results', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(run, null, 2)}\n`);
  const charts = new Map<string, string>();
  for (const g of groups(run)) {
    const scenario = SCENARIOS[g.scenario];
    if (!scenario) continue;
    const file = `${g.scenario}${g.scenario === 'fanout' ? `-${g.params.followers}` : ''}.svg`;
    const lines = run.systems
      .filter((s) => g.bySystem.has(s))
      .map((s) => {
        const result = g.bySystem.get(s)?.result;
        let points: [number, number][] = [];
        try {
          points = result ? scenario.points(result) : [];
        } catch {}
        return { name: LABELS[s], color: COLORS[s], points };
      });
    writeFileSync(
      join(dir, file),
      lineChart({
        ...scenario.chart,
        title: `${scenario.chart.title} (${scenario.describe(g.params).split(',')[0]})`,
        lines,
      }),
    );
    charts.set(`${g.scenario}:${sizeKey(g.params)}`, file);
  }
  writeFileSync(join(dir, 'report.md'), renderMarkdown(run, charts));
  if (isComplete(run)) {
    const latest = join(ROOT, 'bench/results/latest');
    rmSync(latest, { recursive: true, force: true });
    cpSync(dir, latest, { recursive: true });
  }
  return dir;
}

// `tsx bench/report.ts <results.json>` re-renders a report from its raw results.
if (process.argv[1]?.endsWith('report.ts') && process.argv[2]) {
  console.log(writeReport(JSON.parse(readFileSync(process.argv[2], 'utf8')) as RunResult));
}
