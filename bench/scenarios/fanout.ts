// fanout: one author with F followers, all connected and subscribed, publishes a
// post. Measures when the first and the last follower receive it (from the
// mutation's send and from its return), the rows written, and the server's CPU
// time and event-loop delay over the burst.
//
// Two unmeasured fan-outs of the same size go first, from a second author the
// same followers follow, in every system. A process' first large fan-outs run
// while V8 is still compiling the delivery path: in this server's code log, about
// 90 Maglev and 30 TurboFan compilations during the first, 30 TurboFan during the
// second, 6 during the third (what-changed.md). A smaller warm-up (100 followers,
// as before, or 40 posts to them) did not get there. The first warm-up's figures
// are kept as the first fan-out after start.
import pg from 'pg';
import { createApi, createMutator, subscribeAll } from '../lib/client.js';
import { type Snapshot, type Usage, usage } from '../lib/io.js';
import { seedFollowers, seedUsers } from '../lib/seed.js';
import { quantiles, round, sleep } from '../lib/stats.js';
import { type Flags, list, type Params, type Scenario } from './types.js';

/** Unmeasured fan-outs before the measured one (see above). */
const WARM_FANOUTS = 2;
const MUTATION = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { id } }';

export type FanoutResult = {
  followers: number;
  connected: number;
  mutationMs: number;
  firstMs: number | null;
  lastMs: number | null;
  lastAfterReturnMs: number | null;
  received: number;
  missing: number;
  duplicated: number;
  rowsWritten: number;
  timedOut: boolean;
  usage: Usage;
  eld: Snapshot['eld'];
  /** [percent of followers, ms since the mutation was sent] */
  receipt: [number, number][];
  /** The first warm-up: the first fan-out of this size after the server started. */
  firstAfterStart: { mutationMs: number; lastAfterReturnMs: number | null; received: number };
  failures: string[];
};

export const fanout: Scenario<FanoutResult> = {
  name: 'fanout',
  describe: (p) => `one author, ${p.followers} followers connected, one new post`,
  sizes: (flags: Flags) =>
    list(flags.options.followers, flags.quick ? [200] : [10_000, 19_000]).map((followers) => ({
      followers,
      timeoutSeconds: Number(flags.options['fanout-timeout'] ?? (flags.quick ? 10 : 30)),
    })),
  async seed(db, redis, p) {
    const F = p.followers as number;
    await seedUsers(db, F + 1);
    await seedFollowers(db, F + 1, 1, F);
    // A second author with the same followers, whose posts warm the server up first.
    await db.query(
      `INSERT INTO "User" ("id", "email", "emailKey", "username", "usernameKey", "passwordHash") VALUES ($1, 'warm@bench.test', 'warm@bench.test', 'warm', 'warm', 'x')`,
      [F + 2],
    );
    await db.query(`SELECT setval(pg_get_serial_sequence('"User"', 'id'), $1::int)`, [F + 2]);
    await seedFollowers(db, F + 2, 1, F);
    // The floor has no database: its follower lists live in Redis.
    const ids = Array.from({ length: F }, (_, i) => i + 1);
    for (const author of [F + 1, F + 2])
      for (let i = 0; i < ids.length; i += 10_000)
        await redis.sadd(`floor:followers:${author}`, ...ids.slice(i, i + 10_000));
  },
  timeoutMs: (p) => 300_000 + (p.timeoutSeconds as number) * 1000,
  async generate(io, p: Params) {
    const F = p.followers as number;
    const author = F + 1;
    const api = createApi(io.job.target);
    const mutator = createMutator(io.job.target.url, api, 4);
    const db = new pg.Client({ connectionString: io.job.databaseUrl });
    await db.connect();
    const failures: string[] = [];
    // The post being waited for: its peek (a title's first 10 characters), and who got it when.
    let waiting: { peek: string; got: Map<number, number>; duplicated: number } | undefined;
    const { subscribers } = await subscribeAll(
      io.job.target.url,
      api,
      Array.from({ length: F }, (_, i) => i + 1),
      {
        onNext(userId, peek, at) {
          if (!waiting || !peek.startsWith(waiting.peek)) return;
          if (waiting.got.has(userId)) waiting.duplicated++;
          else waiting.got.set(userId, at);
        },
        onFailure(_userId, reason) {
          if (failures.length < 20) failures.push(reason);
        },
      },
      { deadline: performance.now() + 240_000, concurrency: 200, network: io.job.sourceNetwork },
    );
    io.log(`connected ${subscribers.length}/${F}`);
    const timeoutMs = (p.timeoutSeconds as number) * 1000;
    const count = async () =>
      Number((await db.query('SELECT count(*) AS n FROM "Notification"')).rows[0].n);

    /** Sends `from`'s post titled `title` and waits until every subscriber has it, or the time limit. */
    const post = async (from: number, title: string) => {
      const rowsBefore = await count();
      const start = await io.sample({ resetEld: true });
      const got = new Map<number, number>();
      waiting = { peek: title.slice(0, 10), got, duplicated: 0 };
      const t0 = performance.now();
      let returnedAt = 0;
      const mutation = mutator
        .send(from, MUTATION, { input: { title, body: 'Hello followers' } })
        .then(({ ok, body }) => {
          returnedAt = performance.now();
          if (!ok) failures.push(body.slice(0, 300));
        });
      const deadline = t0 + timeoutMs;
      while (got.size < subscribers.length && performance.now() < deadline) await sleep(5);
      await Promise.race([mutation, sleep(Math.max(0, deadline - performance.now()))]);
      const end = await io.sample();
      const timedOut = got.size < subscribers.length;
      const times = [...got.values()].map((at) => at - t0);
      const mutationMs = returnedAt ? returnedAt - t0 : Number.NaN;
      const last = times.length && !timedOut ? Math.max(...times) : null;
      const done = waiting;
      waiting = undefined;
      return {
        mutationMs,
        times,
        first: times.length ? Math.min(...times) : null,
        last,
        lastAfterReturnMs: last !== null && returnedAt ? last - mutationMs : null,
        received: got.size,
        duplicated: done.duplicated,
        timedOut,
        rowsWritten: (await count()) - rowsBefore,
        usage: usage(start, end),
        eld: end.eld,
      };
    };

    await io.quiet(60_000);
    // A full collection first, in every system, as in steady.ts: the one that follows
    // the burst of connections otherwise lands in a measured fan-out or not, by chance.
    // Before the warm-ups, as it was before the single small one: in GC logs at
    // 19,000 followers, the fan-out right after the collection had young collections
    // of up to 14-17 ms where the next ones had 2-7.
    await io.sample({ gc: true });
    // Warm-ups (see the top of this file). A system that cannot finish one in time
    // would still be working through it at the measured post: that warm-up is its
    // measurement instead (the first fan-out after start, as in runs before them).
    let firstAfterStart: FanoutResult['firstAfterStart'] | undefined;
    let measured: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 1; i <= WARM_FANOUTS; i++) {
      const warm = await post(author + 1, `Warm-up ${i} post`);
      firstAfterStart ??= {
        mutationMs: warm.mutationMs,
        lastAfterReturnMs: warm.lastAfterReturnMs,
        received: warm.received,
      };
      io.log(
        `warm-up ${i}: mutation ${round(warm.mutationMs)} ms, last ${round(warm.lastAfterReturnMs ?? Number.NaN)} ms after it returned, received ${warm.received}/${subscribers.length}`,
      );
      if (warm.timedOut) {
        measured = warm;
        break;
      }
      await sleep(1_000);
      await io.quiet(30_000);
    }
    measured ??= await post(author, 'Fanout bench post');
    await db.end();
    for (const s of subscribers) s.close();
    mutator.close();

    io.log(
      `mutation ${round(measured.mutationMs)} ms, first ${round(measured.first ?? Number.NaN)} ms, last ${round(measured.last ?? Number.NaN)} ms, received ${measured.received}/${subscribers.length}`,
    );
    return {
      followers: F,
      connected: subscribers.length,
      mutationMs: measured.mutationMs,
      firstMs: measured.first,
      lastMs: measured.last,
      lastAfterReturnMs: measured.lastAfterReturnMs,
      received: measured.received,
      missing: subscribers.length - measured.received,
      duplicated: measured.duplicated,
      rowsWritten: measured.rowsWritten,
      timedOut: measured.timedOut,
      usage: measured.usage,
      eld: measured.eld,
      receipt: quantiles(measured.times, 50),
      firstAfterStart: firstAfterStart ?? {
        mutationMs: Number.NaN,
        lastAfterReturnMs: null,
        received: 0,
      },
      failures,
    };
  },
  figures: (r) => [
    { label: 'followers connected', unit: '', value: r.connected, better: 'higher' },
    { label: 'mutation round trip', unit: 'ms', value: round(r.mutationMs), better: 'lower' },
    {
      label: 'first follower receives (from send)',
      unit: 'ms',
      value: round(r.firstMs ?? Number.NaN),
      better: 'lower',
    },
    {
      label: 'last follower receives (from send)',
      unit: 'ms',
      value: round(r.lastMs ?? Number.NaN),
      better: 'lower',
    },
    {
      label: 'last follower receives (after mutation returned)',
      unit: 'ms',
      value: round(r.lastAfterReturnMs ?? Number.NaN),
      better: 'lower',
    },
    {
      label: 'first fan-out after start (warm-up 1): last receives after return',
      unit: 'ms',
      value: round(r.firstAfterStart?.lastAfterReturnMs ?? Number.NaN),
      better: 'lower',
    },
    { label: 'received within the time limit', unit: '', value: r.received, better: 'higher' },
    { label: 'duplicated', unit: '', value: r.duplicated, better: 'lower' },
    { label: 'rows written', unit: '', value: r.rowsWritten, better: 'none' },
    {
      label: 'server CPU time during burst',
      unit: 'ms',
      value: round(r.usage.serverCpuMs),
      better: 'lower',
    },
    {
      label: 'server CPU per notification during burst',
      unit: 'ms',
      value: r.received ? round(r.usage.serverCpuMs / r.received) : null,
      better: 'lower',
    },
    { label: 'server RSS', unit: 'MiB', value: round(r.usage.serverRssMiB), better: 'lower' },
    {
      label: 'event-loop delay p99 during burst',
      unit: 'ms',
      value: round(r.eld?.p99 ?? Number.NaN),
      better: 'lower',
    },
    {
      label: 'event-loop delay max during burst',
      unit: 'ms',
      value: round(r.eld?.max ?? Number.NaN),
      better: 'lower',
    },
    {
      label: 'Redis CPU during burst',
      unit: '% core',
      value: round(r.usage.redisCpuPct),
      better: 'lower',
    },
    {
      label: 'PostgreSQL CPU during burst',
      unit: '% core',
      value: round(r.usage.pgCpuPct),
      better: 'lower',
    },
    {
      label: 'load generator CPU during burst',
      unit: '% core',
      value: round(r.usage.loadgenCpuPct),
      better: 'none',
    },
  ],
  chart: {
    title: 'fanout: share of followers that received the post over time',
    x: 'ms since the mutation was sent',
    y: '% of followers',
  },
  points: (r) => r.receipt.map(([pct, ms]) => [ms, pct] as [number, number]),
};
