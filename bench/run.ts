// `npm run bench [-- --quick] [--systems=this,floor] [--scenarios=steady,idle]
//  [--subscribers=N] [--rates=100,200] [--step-seconds=S] [--followers=N,M]
//  [--connections=N] [--idle-seconds=S] [--fanout-timeout=S] [--profile] [--email] [--channels]`
//
// --email: this server also emails every notification (digests of new posts
// every 2 s) to an SMTP sink that accepts everything; each run logs how many.
// --channels: every channel on: email as with --email, and every user has one
// webhook endpoint and one browser, on a loopback sink that accepts everything.
//
// Starts one PostgreSQL and one Redis, then for every scenario, size and system:
// fresh data, a fresh server process, a fresh load generator process, and the
// measurements of both sides; finally writes the report under bench/results/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { startPostgres, startRedis } from '../test/helpers/services.js';
import { type ChannelSinks, startChannelSinks } from './lib/channel-sinks.js';
import type { Job, Snapshot, ToLoadgen, ToRunner } from './lib/io.js';
import { cpuMs, machineBusyMs, treeCpuMs } from './lib/proc.js';
import { type CountingSink, startCountingSink } from './lib/smtp-sink.js';
import { sleep } from './lib/stats.js';
import {
  ROOT,
  type RunningSystem,
  SYSTEMS,
  type SystemName,
  spawnNode,
  startSystem,
} from './lib/systems.js';
import {
  CPU_CHECK_LABEL,
  cpuCheckMs,
  machineInfo,
  type RunRecord,
  type RunResult,
  writeReport,
} from './report.js';
import { SCENARIOS } from './scenarios/index.js';
import type { Flags } from './scenarios/types.js';

const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-signing';
// A server counts as idle below this much CPU per 250 ms poll (8 % of a core).
const QUIET_CPU_MS = 20;

function parseFlags(argv: string[]): Flags {
  const options: Record<string, string> = {};
  for (const arg of argv) {
    const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (match?.[1]) options[match[1]] = match[2] ?? 'true';
  }
  return { quick: options.quick === 'true', options };
}

const log = (text: string) =>
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

async function snapshot(
  system: RunningSystem,
  pids: { redis: number; pg: number },
  ask: Extract<ToRunner, { type: 'sample' }>,
): Promise<Snapshot> {
  // A server whose event loop is blocked for the probe's 30 s still gets its /proc
  // figures; heap and event-loop delay are then unknown (NaN), not a crash.
  const probe = await system.probe({ gc: ask.gc, resetEld: ask.resetEld }).catch(() => ({
    heapUsed: Number.NaN,
    rss: Number.NaN,
    eld: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN },
  }));
  return {
    at: Date.now(),
    serverCpuMs: system.cpuMs(),
    serverRss: system.rssBytes(),
    serverHeap: probe.heapUsed,
    eld: probe.eld,
    redisCpuMs: cpuMs(pids.redis),
    pgCpuMs: treeCpuMs(pids.pg),
    loadgenCpuMs: ask.loadgenCpuMs,
    machineBusyMs: machineBusyMs(),
  };
}

/** Polls the server's CPU until it has used almost none for a second; returns how long it was busy. */
async function quiet(system: RunningSystem, maxMs: number): Promise<number> {
  const start = Date.now();
  let lastBusy = start;
  let previous = system.cpuMs();
  while (Date.now() - start < maxMs && Date.now() - lastBusy < 1_000) {
    await sleep(250);
    const now = system.cpuMs();
    if (now - previous > QUIET_CPU_MS) lastBusy = Date.now();
    previous = now;
  }
  return lastBusy - start;
}

function runLoadgen(
  job: Job,
  system: RunningSystem,
  pids: { redis: number; pg: number },
  timeoutMs: number,
) {
  return new Promise<{ result?: unknown; error?: string; logs: string[] }>((resolve) => {
    const logs: string[] = [];
    const child = spawnNode(['--import', 'tsx', 'bench/loadgen.ts'], {
      ...process.env,
      NODE_ENV: 'production',
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-5_000);
    });
    let settled: { result?: unknown; error?: string } | undefined;
    const timer = setTimeout(() => {
      settled ??= { error: `load generator killed after ${timeoutMs} ms` };
      child.kill('SIGKILL');
    }, timeoutMs);
    const answer = (id: number, value: unknown) =>
      child.send({ type: 'answer', id, value } satisfies ToLoadgen);
    child.on('message', (message: ToRunner) => {
      if (message.type === 'sample')
        snapshot(system, pids, message).then(
          (s) => answer(message.id, s),
          (e) => answer(message.id, { error: String(e) }),
        );
      else if (message.type === 'quiet')
        quiet(system, message.maxMs).then((ms) => answer(message.id, ms));
      else if (message.type === 'log') {
        logs.push(message.text);
        log(`  ${system.name}: ${message.text}`);
      } else if (message.type === 'result') settled ??= { result: message.result };
      else if (message.type === 'failed') settled ??= { error: message.error };
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ ...(settled ?? { error: `load generator exited with ${code}: ${stderr}` }), logs });
    });
    child.send({ type: 'job', job } satisfies ToLoadgen);
  });
}

async function main() {
  const flags = parseFlags(process.argv.slice(2));
  const systems = (flags.options.systems?.split(',') ?? [...SYSTEMS]) as SystemName[];
  const scenarioNames = flags.options.scenarios?.split(',') ?? Object.keys(SCENARIOS);
  const started = new Date();
  log(
    `${flags.quick ? 'quick' : 'full'} run: ${scenarioNames.join(', ')} on ${systems.join(', ')}`,
  );

  const postgres = await startPostgres();
  const redisService = await startRedis();
  const allChannels = flags.options.channels === 'true';
  const sink: CountingSink | undefined =
    flags.options.email || allChannels ? await startCountingSink() : undefined;
  const channelSinks: ChannelSinks | undefined = allChannels
    ? await startChannelSinks()
    : undefined;
  const emailEnv = sink
    ? {
        SMTP_URL: sink.url,
        EMAIL_DIGEST_SECONDS: '2',
        PUBLIC_URL: 'http://bench.test',
        ...channelSinks?.env,
      }
    : undefined;
  const records: RunRecord[] = [];
  // Each job connects from a loopback network of its own, 127.N.0 (see subscribeAll
  // in lib/client.ts); the first is random, so that a run started right after
  // another does not meet its sockets either.
  const firstNetwork = Math.floor(Math.random() * 250);
  let machine: RunResult['machine'] | undefined;
  const profileDir = flags.options.profile
    ? join(ROOT, 'bench/results/profiles', started.toISOString().replace(/[:.]/g, '-'))
    : undefined;
  try {
    const database = await openDatabase({ databaseUrl: postgres.url, dataDir: '' });
    await applyMigrations(database.adapter);
    await database.close();
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const redis = new Redis(redisService.url);
    const redisInfo = await redis.info('server');
    const pids = {
      redis: Number(/process_id:(\d+)/.exec(redisInfo)?.[1]),
      pg: await postmasterPid(db),
    };
    machine = machineInfo({
      postgres: (await db.query('SHOW server_version')).rows[0].server_version,
      redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? '?',
      openFiles: execFileSync('sh', ['-c', 'ulimit -Hn']).toString().trim(),
      [CPU_CHECK_LABEL]: `${cpuCheckMs()} at the start`,
    });
    const services = {
      databaseUrl: postgres.url,
      redisUrl: redisService.url,
      jwtSecret: JWT_SECRET,
    };

    for (const name of scenarioNames) {
      const scenario = SCENARIOS[name];
      if (!scenario) throw new Error(`unknown scenario ${name}`);
      for (const params of scenario.sizes(flags)) {
        log(`${name}: ${scenario.describe(params)}`);
        for (const system of systems) {
          const record: RunRecord = { scenario: name, params, system, logs: [] };
          records.push(record);
          let server: RunningSystem | undefined;
          try {
            const { resetDatabase } = await import('./lib/seed.js');
            await resetDatabase(db);
            await redis.flushall();
            await scenario.seed(db, redis, params);
            if (channelSinks && system === 'this') await channelSinks.seed(db);
            if (profileDir && system === 'this') mkdirSync(profileDir, { recursive: true });
            server = await startSystem(system, services, {
              cpuProfileDir: system === 'this' ? profileDir : undefined,
              env: system === 'this' ? emailEnv : undefined,
            });
            sink?.take();
            channelSinks?.take();
            const job: Job = {
              scenario: name,
              target: { system, url: server.url, jwtSecret: JWT_SECRET },
              databaseUrl: postgres.url,
              params,
              sourceNetwork: `127.${1 + ((firstNetwork + records.length - 1) % 250)}.0`,
            };
            const outcome = await runLoadgen(job, server, pids, scenario.timeoutMs(params));
            Object.assign(record, outcome);
            if (sink && system === 'this') {
              const line = `emails accepted by the sink during the run: ${sink.take()}`;
              record.logs.push(line);
              log(`  ${system}: ${line}`);
            }
            if (channelSinks && system === 'this') {
              const { webhooks, pushes } = channelSinks.take();
              const line = `webhooks / pushes accepted during the run: ${webhooks} / ${pushes}`;
              record.logs.push(line);
              log(`  ${system}: ${line}`);
            }
            if (!server.alive())
              record.error = `server exited during the run:\n${server.output().slice(-2_000)}`;
            if (outcome.error) log(`  ${system}: FAILED ${outcome.error.split('\n')[0]}`);
          } catch (error) {
            record.error = error instanceof Error ? error.message : String(error);
            log(`  ${system}: FAILED ${record.error.split('\n')[0]}`);
          } finally {
            await server?.stop();
          }
        }
      }
    }
    redis.disconnect();
    await db.end();
  } finally {
    await sink?.close();
    await channelSinks?.close();
    await redisService.stop();
    await postgres.stop();
  }
  const finished = new Date();
  if (machine?.[CPU_CHECK_LABEL]) machine[CPU_CHECK_LABEL] += `, ${cpuCheckMs()} at the end`;
  const dir = writeReport({
    quick: flags.quick,
    flags: flags.options,
    started: started.toISOString(),
    finished: finished.toISOString(),
    machine: machine ?? machineInfo({}),
    systems,
    records,
    profileDir,
  });
  log(`report: ${dir}`);
  if (flags.quick && records.some((r) => r.error)) process.exitCode = 1;
}

async function postmasterPid(db: pg.Client): Promise<number> {
  const dir = (await db.query('SHOW data_directory')).rows[0].data_directory as string;
  return Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

await main();
