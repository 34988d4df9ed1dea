// idle: as many authenticated graphql-ws connections, each with a live
// notificationAdded, as the box allows. Measures memory per connection (RSS and
// V8 heap after a full GC, against the same before connecting), the
// connect+subscribe rate, idle CPU, and checks at the end that the
// subscriptions are live.
import { createApi, createMutator, subscribeAll } from '../lib/client.js';
import { usage } from '../lib/io.js';
import { seedUsers } from '../lib/seed.js';
import { quantiles, round, sleep } from '../lib/stats.js';
import type { Flags, Params, Scenario } from './types.js';

const LIVE_CHECKS = 20;
const MUTATION = 'mutation ($input: CreateCommentInput!) { createComment(input: $input) { id } }';

export type IdleResult = {
  connections: number;
  connected: number;
  failed: number;
  connectMs: number;
  busyMs: number;
  connectPerSec: number;
  rssPerConnKiB: number;
  heapPerConnKiB: number;
  serverRssMiB: number;
  idleCpuPct: number;
  idleRedisCpuPct: number;
  loadgenCpuPct: number;
  live: number;
  handshake: [number, number][];
  failures: string[];
};

export const idle: Scenario<IdleResult> = {
  name: 'idle',
  describe: (p) => `${p.connections} graphql-ws connections, each with a live notificationAdded`,
  sizes: (flags: Flags) => [
    {
      connections: Number(flags.options.connections ?? (flags.quick ? 300 : 19_000)),
      idleSeconds: Number(flags.options['idle-seconds'] ?? (flags.quick ? 1 : 5)),
    },
  ],
  async seed(db, _redis, p) {
    await seedUsers(db, (p.connections as number) + 1);
  },
  timeoutMs: (p) => 360_000 + (p.idleSeconds as number) * 1000,
  async generate(io, p: Params) {
    const N = p.connections as number;
    const api = createApi(io.job.target);
    const failures: string[] = [];
    const received = new Set<string>();
    // Mint tokens first so that the connect rate measures the server, not jose.
    await Promise.all(Array.from({ length: N }, (_, i) => api.connectionParams(i + 1)));
    const before = await io.sample({ gc: true });
    const t0 = performance.now();
    const { subscribers, failed, handshakeMs } = await subscribeAll(
      io.job.target.url,
      api,
      Array.from({ length: N }, (_, i) => i + 1),
      {
        onNext: (userId, peek) => received.add(`${userId}:${peek}`),
        onFailure(_userId, reason) {
          if (failures.length < 20) failures.push(reason);
        },
      },
      { deadline: performance.now() + 300_000, concurrency: 200, network: io.job.sourceNetwork },
    );
    const connectMs = performance.now() - t0;
    // Subscriptions finish on the server after the ack: wait until it is idle.
    const busyAfter = await io.quiet(120_000);
    const busyMs = connectMs + busyAfter;
    io.log(
      `connected ${subscribers.length}/${N} in ${round(connectMs)} ms, server busy ${round(busyMs)} ms`,
    );
    const after = await io.sample({ gc: true, resetEld: true });
    await sleep((p.idleSeconds as number) * 1000);
    const idleEnd = await io.sample();
    const idleUsage = usage(after, idleEnd);

    // Live check: comments from a user with no socket, to random subscribers.
    const mutator = createMutator(io.job.target.url, api, 4);
    const commenter = N + 1;
    const expected: string[] = [];
    for (let i = 0; i < Math.min(LIVE_CHECKS, subscribers.length); i++) {
      const recipient = subscribers[Math.floor(Math.random() * subscribers.length)]
        ?.userId as number;
      const text = `live${String(i).padStart(6, '0')} check`;
      expected.push(`${recipient}:${text.slice(0, 10)}...`);
      const { ok, body } = await mutator.send(commenter, MUTATION, {
        input: { postId: api.postId(recipient), text },
      });
      if (!ok) failures.push(body.slice(0, 300));
    }
    const until = performance.now() + 10_000;
    while (expected.some((e) => !received.has(e)) && performance.now() < until) await sleep(20);
    mutator.close();
    for (const s of subscribers) s.close();

    const n = Math.max(1, subscribers.length);
    return {
      connections: N,
      connected: subscribers.length,
      failed,
      connectMs,
      busyMs,
      connectPerSec: subscribers.length / (busyMs / 1000),
      rssPerConnKiB: (after.serverRss - before.serverRss) / n / 1024,
      heapPerConnKiB: (after.serverHeap - before.serverHeap) / n / 1024,
      serverRssMiB: after.serverRss / 2 ** 20,
      idleCpuPct: idleUsage.serverCpuPct,
      idleRedisCpuPct: idleUsage.redisCpuPct,
      loadgenCpuPct: idleUsage.loadgenCpuPct,
      live: expected.filter((e) => received.has(e)).length,
      handshake: quantiles(handshakeMs, 50),
      failures,
    };
  },
  figures: (r) => [
    { label: 'connections open and subscribed', unit: '', value: r.connected, better: 'higher' },
    { label: 'failed connections', unit: '', value: r.failed, better: 'lower' },
    {
      label: 'connect+subscribe rate (until server idle)',
      unit: '/s',
      value: round(r.connectPerSec),
      better: 'higher',
    },
    {
      label: 'server RSS per connection',
      unit: 'KiB',
      value: round(r.rssPerConnKiB, 2),
      better: 'lower',
    },
    {
      label: 'server V8 heap per connection',
      unit: 'KiB',
      value: round(r.heapPerConnKiB, 2),
      better: 'lower',
    },
    { label: 'server RSS total', unit: 'MiB', value: round(r.serverRssMiB), better: 'lower' },
    { label: 'server idle CPU', unit: '% core', value: round(r.idleCpuPct, 2), better: 'lower' },
    {
      label: 'Redis idle CPU',
      unit: '% core',
      value: round(r.idleRedisCpuPct, 2),
      better: 'lower',
    },
    {
      label: 'load generator idle CPU',
      unit: '% core',
      value: round(r.loadgenCpuPct, 2),
      better: 'none',
    },
    {
      label: `live checks delivered (of ${LIVE_CHECKS})`,
      unit: '',
      value: r.live,
      better: 'higher',
    },
  ],
  chart: {
    title: 'idle: connect+subscribe handshake latency (CDF)',
    x: 'ms from connect to connection_ack',
    y: '% of connections',
    logY: false,
  },
  points: (r) => r.handshake.map(([pct, ms]) => [ms, pct] as [number, number]),
};
