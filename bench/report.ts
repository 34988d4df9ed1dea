// Turns one run's records into bench/results/<run>/: results.json (raw),
// report.md (every figure for every system, ratios against this server, the
// targets and by how much they are missed, the machine) and one SVG chart per
// scenario and size. A full run is also copied to bench/results/latest/.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { lineChart } from './lib/svg.js';
import { LABELS, ROOT, type SystemName } from './lib/systems.js';
import type { FanoutResult } from './scenarios/fanout.js';
import type { IdleResult } from './scenarios/idle.js';
import { SCENARIOS } from './scenarios/index.js';
import { bestStep, type SteadyResult } from './scenarios/steady.js';
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

function targets(run: RunResult): Target[] {
  const out: Target[] = [];
  const pick = <T>(
    scenario: string,
    system: SystemName,
    where: (p: Params) => boolean = () => true,
  ) =>
    run.records.find((r) => r.scenario === scenario && r.system === system && where(r.params))
      ?.result as T | undefined;
  const s = pick<SteadyResult>('steady', 'this');
  if (s) {
    const best = bestStep(s);
    const rate = best?.offered ?? 0;
    const p99 = best?.latency.p99 ?? Number.NaN;
    const lost = s.steps.reduce((n, x) => n + x.lost + x.duplicated, 0);
    const at = `at ${fmt(s.connected)} subscribers`;
    // The fastest step that passed with p99 ≤ 50 ms is the one the target is about.
    const within50 = [...s.steps].reverse().find((x) => x.passed && x.latency.p99 <= 50);
    out.push({
      goal: 'steady: ≥ 2,000 notifications/s end to end, p99 ≤ 50 ms, at 10,000 subscribers',
      measured: `${fmt(within50?.offered ?? 0)}/s with p99 ≤ 50 ms; ${fmt(rate)}/s with p99 ≤ 100 ms (p99 ${fmt(Math.round(p99 * 10) / 10)} ms) ${at}`,
      met: s.connected >= 10_000 && (within50?.offered ?? 0) >= 2_000,
      gap:
        (within50?.offered ?? 0) >= 2_000
          ? ''
          : `${Math.round(((within50?.offered ?? 0) / 2_000) * 100)} % of the rate target`,
    });
    out.push({
      goal: 'steady: zero lost / duplicated',
      measured: `${lost} lost or duplicated (all steps)`,
      met: lost === 0,
      gap: lost ? `${lost}` : '',
    });
    const vs = (
      system: SystemName,
      goal: string,
      need: (ours: number, theirs: number) => boolean,
      gap: (ours: number, theirs: number) => string,
    ) => {
      const peer = pick<SteadyResult>('steady', system);
      if (!peer) return;
      const theirs = bestStep(peer)?.offered ?? 0;
      out.push({
        goal,
        measured: `${fmt(rate)}/s vs ${fmt(theirs)}/s (×${theirs ? (rate / theirs).toFixed(2) : '∞'})`,
        met: rate > 0 && need(rate, theirs),
        gap: rate > 0 && need(rate, theirs) ? '' : gap(rate, theirs),
      });
    };
    vs(
      'apollo',
      'steady: ≥ 10× the Apollo recipe',
      (a, b) => a >= 10 * b,
      (a, b) => `×${(a / Math.max(b, 1)).toFixed(2)} of the ×10 asked`,
    );
    const merc = pick<SteadyResult>('steady', 'mercurius');
    if (merc) {
      const theirBest = bestStep(merc);
      const oursThere = s.steps.find((x) => x.offered === theirBest?.offered);
      const ok =
        rate >= (theirBest?.offered ?? 0) &&
        !!oursThere?.passed &&
        oursThere.latency.p99 <= (theirBest?.latency.p99 ?? 0);
      out.push({
        goal: 'steady: ≥ Mercurius at no worse p99',
        measured: `${fmt(rate)}/s vs ${fmt(theirBest?.offered ?? 0)}/s; p99 at ${fmt(theirBest?.offered ?? 0)}/s: ${fmt(oursThere ? Math.round(oursThere.latency.p99 * 10) / 10 : null)} vs ${fmt(theirBest ? Math.round(theirBest.latency.p99 * 10) / 10 : null)} ms`,
        met: ok,
        gap: ok ? '' : 'see measured',
      });
    }
    vs(
      'floor',
      'steady: ≥ 50 % of the floor',
      (a, b) => a >= 0.5 * b,
      (a, b) => `${Math.round((a / Math.max(b, 1)) * 100)} % of the floor`,
    );
  }
  for (const [size, limit] of [
    [10_000, 1_000],
    [50_000, 3_000],
  ] as const) {
    const runs = run.records.filter(
      (r) => r.scenario === 'fanout' && r.system === 'this' && r.result,
    );
    // The 50,000 target is judged on the largest size that ran when 50,000 could not.
    const record =
      runs.find((r) => r.params.followers === size) ??
      (size === 50_000
        ? runs.sort((a, b) => (b.params.followers as number) - (a.params.followers as number))[0]
        : undefined);
    const f = record?.result as FanoutResult | undefined;
    if (!f || (size === 50_000 && f.followers <= 10_000)) continue;
    const last = f.lastAfterReturnMs ?? Number.NaN;
    out.push({
      goal: `fanout: ${fmt(size)} followers ≤ ${fmt(limit)} ms after the mutation returns`,
      measured: `${fmt(f.followers)} followers: last receives ${fmt(Math.round(last))} ms after the mutation returned (${fmt(Math.round(f.lastMs ?? Number.NaN))} ms after it was sent)`,
      met: f.followers >= size && last <= limit,
      gap:
        f.followers < size
          ? `ran ${fmt(f.followers)}, not ${fmt(size)} (open-files limit)`
          : last <= limit
            ? ''
            : `×${(last / limit).toFixed(1)} the limit`,
    });
  }
  const idle = pick<IdleResult>('idle', 'this');
  if (idle) {
    out.push({
      goal: 'idle: 50,000 live subscriptions at ≤ 20 KiB server memory each',
      measured: `${fmt(idle.connected)} live (${idle.live}/20 checks delivered), ${idle.rssPerConnKiB.toFixed(1)} KiB RSS and ${idle.heapPerConnKiB.toFixed(1)} KiB heap per connection`,
      met: idle.connected >= 50_000 && idle.rssPerConnKiB <= 20,
      gap: [
        idle.connected < 50_000
          ? `${fmt(idle.connected)} of 50,000 connections (open-files limit)`
          : '',
        idle.rssPerConnKiB > 20 ? `×${(idle.rssPerConnKiB / 20).toFixed(1)} the memory budget` : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
  }
  return out;
}

export function renderMarkdown(
  run: RunResult,
  charts: Map<string, string>,
  chartPrefix = '',
): string {
  const md: string[] = [];
  md.push(
    `# Benchmark report: ${run.started.slice(0, 16).replace('T', ' ')} UTC (${run.quick ? 'quick smoke run: sizes too small to mean anything' : 'full run'})`,
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
        '| system | offered/s | sent | skipped | delivered/s | p50 | p95 | p99 | max (ms) | lost | dup | errors | server CPU % | PG CPU % | Redis CPU % | loadgen CPU % | ELD p99 ms |',
      );
      md.push(`|${' --- |'.repeat(17)}`);
      for (const s of systems) {
        const r = g.bySystem.get(s)?.result as SteadyResult | undefined;
        for (const x of r?.steps ?? []) {
          const n = (v: number) => fmt(Math.round(v * 10) / 10);
          md.push(
            `| ${LABELS[s]} | ${x.offered} | ${x.sent} | ${x.skipped} | ${n(x.deliveredPerSec)} | ${n(x.latency.p50)} | ${n(x.latency.p95)} | ${n(x.latency.p99)} | ${n(x.latency.max)} | ${x.lost} | ${x.duplicated} | ${x.errors} | ${n(x.usage.serverCpuPct)} | ${n(x.usage.pgCpuPct)} | ${n(x.usage.redisCpuPct)} | ${n(x.usage.loadgenCpuPct)} | ${n(x.eld.p99)} |`,
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

export function writeReport(run: RunResult): string {
  const name = `${run.started.replace(/[:.]/g, '-').slice(0, 19)}-${run.quick ? 'quick' : 'full'}`;
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
  if (!run.quick) {
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
