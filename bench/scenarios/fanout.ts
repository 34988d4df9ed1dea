// fanout: one author with F followers, all connected and subscribed, publishes a
// post. Measures when the first and the last follower receive it (from the
// mutation's send and from its return), the rows written, and the server's CPU
// time and event-loop delay over the burst.
import pg from 'pg';
import { createApi, createMutator, subscribeAll } from '../lib/client.js';
import { type Snapshot, type Usage, usage } from '../lib/io.js';
import { seedFollowers, seedUsers } from '../lib/seed.js';
import { quantiles, round, sleep } from '../lib/stats.js';
import { type Flags, list, type Params, type Scenario } from './types.js';

const WARM_FOLLOWERS = 100;
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
    // A second author with a few followers, whose post warms the server up first.
    await db.query(
      `INSERT INTO "User" ("id", "email", "emailKey", "username", "usernameKey", "passwordHash") VALUES ($1, 'warm@bench.test', 'warm@bench.test', 'warm', 'warm', 'x')`,
      [F + 2],
    );
    await db.query(`SELECT setval(pg_get_serial_sequence('"User"', 'id'), $1::int)`, [F + 2]);
    await seedFollowers(db, F + 2, 1, Math.min(F, WARM_FOLLOWERS));
    await redis.sadd(
      `floor:followers:${F + 2}`,
      ...Array.from({ length: Math.min(F, WARM_FOLLOWERS) }, (_, i) => i + 1),
    );
    // The floor has no database: its follower list lives in Redis.
    const ids = Array.from({ length: F }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += 10_000)
      await redis.sadd(`floor:followers:${F + 1}`, ...ids.slice(i, i + 10_000));
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
    const got = new Map<number, number>();
    let duplicated = 0;
    let armed = false;
    const { subscribers } = await subscribeAll(
      io.job.target.url,
      api,
      Array.from({ length: F }, (_, i) => i + 1),
      {
        onNext(userId, peek, at) {
          if (!armed || !peek.startsWith('Fanout ben')) return;
          if (got.has(userId)) duplicated++;
          else got.set(userId, at);
        },
        onFailure(_userId, reason) {
          if (failures.length < 20) failures.push(reason);
        },
      },
      { deadline: performance.now() + 240_000, concurrency: 200, network: io.job.sourceNetwork },
    );
    io.log(`connected ${subscribers.length}/${F}`);
    await io.quiet(60_000);
    // A full collection first, in every system, as in steady.ts: the one that follows
    // the burst of connections otherwise lands in the measured fan-out or not, by chance.
    await io.sample({ gc: true });
    const count = async () =>
      Number((await db.query('SELECT count(*) AS n FROM "Notification"')).rows[0].n);
    const rowsBefore = await count();

    // Warm-up: a small fan-out through the same code paths, not measured.
    const warm = await mutator.send(author + 1, MUTATION, {
      input: { title: 'Warm-up post', body: '' },
    });
    if (!warm.ok) failures.push(warm.body.slice(0, 300));
    await sleep(1_000);
    await io.quiet(30_000);

    armed = true;
    const start = await io.sample({ resetEld: true });
    const t0 = performance.now();
    let returnedAt = 0;
    const mutation = mutator
      .send(author, MUTATION, { input: { title: 'Fanout bench post', body: 'Hello followers' } })
      .then(({ ok, body }) => {
        returnedAt = performance.now();
        if (!ok) failures.push(body.slice(0, 300));
      });
    const deadline = t0 + (p.timeoutSeconds as number) * 1000;
    while (got.size < subscribers.length && performance.now() < deadline) await sleep(5);
    await Promise.race([mutation, sleep(Math.max(0, deadline - performance.now()))]);
    const end = await io.sample();
    const timedOut = got.size < subscribers.length;
    const rowsWritten = (await count()) - rowsBefore;
    await db.end();
    for (const s of subscribers) s.close();
    mutator.close();

    const times = [...got.values()].map((at) => at - t0);
    const first = times.length ? Math.min(...times) : null;
    const last = times.length && !timedOut ? Math.max(...times) : null;
    io.log(
      `mutation ${round(returnedAt - t0)} ms, first ${round(first ?? Number.NaN)} ms, last ${round(last ?? Number.NaN)} ms, received ${got.size}/${subscribers.length}`,
    );
    return {
      followers: F,
      connected: subscribers.length,
      mutationMs: returnedAt ? returnedAt - t0 : Number.NaN,
      firstMs: first,
      lastMs: last,
      lastAfterReturnMs: last !== null && returnedAt ? last - (returnedAt - t0) : null,
      received: got.size,
      missing: subscribers.length - got.size,
      duplicated,
      rowsWritten,
      timedOut,
      usage: usage(start, end),
      eld: end.eld,
      receipt: quantiles(times, 50),
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
