// steady: U connected subscribers; commenters comment on random subscribers' posts
// at a fixed offered rate, stepped up until p99 > 100 ms, loss or the system
// cannot take the rate, twice in a row at one rate. Latency: mutation sent ->
// recipient's frame received, both clocks in this one process. Each comment's
// first 10 characters are a unique id, which comes back as the notification's peek.
import { createApi, createMutator, subscribeAll } from '../lib/client.js';
import { type Snapshot, type Usage, usage } from '../lib/io.js';
import { seedUsers } from '../lib/seed.js';
import { round, type Summary, sleep, summarize } from '../lib/stats.js';
import { type Flags, list, type Scenario } from './types.js';

const MUTATION = 'mutation ($input: CreateCommentInput!) { createComment(input: $input) { id } }';
const COMMENTERS = 50;
const P99_LIMIT_MS = 100;
/** The latency bound of the report's headline figure (issue 10's). */
const P99_TARGET_MS = 50;
/**
 * Before the ladder, unrecorded: comments sent by a fixed number of senders, each
 * waiting for its answer, so every system goes at its own pace, until this many
 * are answered or the time is up. V8 optimizes the functions on a request's path
 * after some thousands of requests, all at once; in this server that came 8,000–
 * 10,000 comments into a run, and failed the first step at 1,000/s in most runs.
 */
const WARM_UP = { comments: 12_000, quickComments: 100, seconds: 30, senders: 32 };

type Sent = { step: number; recipient: number; at: number; ok?: boolean; received: number };

export type Step = {
  offered: number;
  sent: number;
  /** Sends that the rate called for but the in-flight cap refused: the system fell behind. */
  skipped: number;
  errors: number;
  delivered: number;
  lost: number;
  duplicated: number;
  misdelivered: number;
  deliveredPerSec: number;
  latency: Summary;
  /**
   * Mutation sent -> its answer received: shows whether a queue forms before the
   * notification is stored or after (absent from runs before 2026-12-04).
   */
  mutationLatency?: Summary;
  usage: Usage;
  eld: Snapshot['eld'];
  passed: boolean;
  /**
   * Failed, or passed with p99 over 50 ms (from 2026-12-05 12:00 on), and was run
   * once more at the same rate, which decided (absent from runs before
   * 2026-12-05, which stopped at the first failure).
   */
  retried?: boolean;
};

export type SteadyResult = {
  subscribers: number;
  connected: number;
  connectFailed: number;
  steps: Step[];
  /** Comments answered in the warm-up, and how long it took (absent before 2026-12-05 12:00). */
  warmUp?: { comments: number; ms: number };
  late: number;
  failures: string[];
};

export const steady: Scenario<SteadyResult> = {
  name: 'steady',
  describe: (p) =>
    `${p.subscribers} subscribers, ${COMMENTERS} commenters, offered rate stepped ${p.stepSeconds} s per step`,
  sizes(flags: Flags) {
    const o = flags.options;
    const rates = list(
      o.rates,
      flags.quick ? [25, 50] : [25, 50, 100, 200, 400, 700, 1000, 1500, 2000, 3000, 5000],
    );
    return [
      {
        subscribers: Number(o.subscribers ?? (flags.quick ? 200 : 10_000)),
        stepSeconds: Number(o['step-seconds'] ?? (flags.quick ? 1 : 5)),
        warmUpComments: flags.quick ? WARM_UP.quickComments : WARM_UP.comments,
        ...Object.fromEntries(rates.map((rate, i) => [`rate${i}`, rate])),
      },
    ];
  },
  async seed(db, _redis, p) {
    await seedUsers(db, (p.subscribers as number) + COMMENTERS);
  },
  // The warm-up and its quiet, then every rate may be run twice.
  timeoutMs: (p) =>
    120_000 +
    (WARM_UP.seconds + 30) * 1000 +
    2 *
      Object.keys(p).filter((k) => k.startsWith('rate')).length *
      ((p.stepSeconds as number) * 1000 + 20_000),
  async generate(io, p) {
    const U = p.subscribers as number;
    const rates = Object.keys(p)
      .filter((k) => k.startsWith('rate'))
      .map((k) => p[k] as number);
    const api = createApi(io.job.target);
    const mutator = createMutator(io.job.target.url, api, 128);
    const sent = new Map<string, Sent>();
    const failures: string[] = [];
    let late = 0;
    let stepIndex = 0;
    let stepStats = {
      delivered: 0,
      duplicated: 0,
      misdelivered: 0,
      latencies: [] as number[],
      lastAt: 0,
    };
    const userIds = Array.from({ length: U }, (_, i) => i + 1);

    const { subscribers, failed } = await subscribeAll(
      io.job.target.url,
      api,
      userIds,
      {
        onNext(userId, peek, at) {
          const record = sent.get(peek.slice(0, 10));
          if (!record) return;
          if (record.step !== stepIndex) {
            late++;
            return;
          }
          if (record.recipient !== userId) stepStats.misdelivered++;
          else if (record.received++ > 0) stepStats.duplicated++;
          else {
            stepStats.delivered++;
            stepStats.latencies.push(at - record.at);
            stepStats.lastAt = at;
          }
        },
        onFailure(_userId, reason) {
          if (failures.length < 20) failures.push(reason);
        },
      },
      { deadline: performance.now() + 180_000, concurrency: 200, network: io.job.sourceNetwork },
    );
    io.log(`connected ${subscribers.length}/${U}`);
    await io.quiet(60_000);
    // A full collection now, in every system: the one V8 makes some seconds after a
    // burst of thousands of connections (hundreds of ms of marking on a 2-core
    // machine) otherwise lands in whichever early step it happens to, and decided
    // the whole figure in several runs, for this server and for Mercurius.
    await io.sample({ gc: true });

    // The warm-up's comments carry no recorded id, so their notifications are ignored.
    const warmStart = performance.now();
    const warmLimit = p.warmUpComments as number;
    let warmed = 0;
    const warmSender = async () => {
      while (warmed < warmLimit && performance.now() - warmStart < WARM_UP.seconds * 1000) {
        const n = warmed++;
        await mutator.send(U + 1 + (n % COMMENTERS), MUTATION, {
          input: { postId: api.postId(1 + (n % U)), text: `warm-up ${n}` },
        });
      }
    };
    await Promise.all(Array.from({ length: WARM_UP.senders }, warmSender));
    const warmUp = { comments: warmed, ms: performance.now() - warmStart };
    io.log(`warm-up: ${warmUp.comments} comments in ${round(warmUp.ms)} ms`);
    await io.quiet(30_000);
    // The same full collection as after the connections: the warm-up's garbage is
    // collected now rather than in an early step.
    await io.sample({ gc: true });

    const steps: Step[] = [];
    const plan = rates.map((rate) => ({ rate, again: false }));
    for (let index = 0; index < plan.length; index++) {
      const { rate, again } = plan[index] as (typeof plan)[number];
      stepIndex = index;
      stepStats = { delivered: 0, duplicated: 0, misdelivered: 0, latencies: [], lastAt: 0 };
      const maxInflight = 512;
      let inflight = 0;
      let count = 0;
      let skipped = 0;
      let errors = 0;
      const answered: number[] = [];
      const mutations: Promise<void>[] = [];
      const start = await io.sample({ resetEld: true });
      const t0 = performance.now();
      const windowMs = (p.stepSeconds as number) * 1000;
      // Open loop: the offered rate does not slow down when the system does.
      while (performance.now() - t0 < windowMs) {
        const due = Math.floor((rate * (performance.now() - t0)) / 1000);
        while (count < due) {
          count++;
          if (inflight >= maxInflight) {
            skipped++;
            continue;
          }
          const id = `${index.toString(36)}${count.toString(36).padStart(9, '0')}`;
          const recipient = 1 + Math.floor(Math.random() * U);
          const commenter = U + 1 + (count % COMMENTERS);
          const record: Sent = { step: index, recipient, at: performance.now(), received: 0 };
          sent.set(id, record);
          inflight++;
          mutations.push(
            mutator
              .send(commenter, MUTATION, {
                input: { postId: api.postId(recipient), text: `${id} bench comment` },
              })
              .then(({ ok, body }) => {
                inflight--;
                answered.push(performance.now() - record.at);
                record.ok = ok;
                if (!ok) {
                  errors++;
                  if (failures.length < 20) failures.push(body.slice(0, 300));
                }
              }),
          );
        }
        await sleep(2);
      }
      const end = await io.sample();
      // Drain: every mutation answered, then up to 3 s for the last deliveries.
      await Promise.race([Promise.all(mutations), sleep(30_000)]);
      const expected = [...sent.values()].filter((r) => r.step === index && r.ok).length;
      const drainUntil = performance.now() + 3_000;
      while (stepStats.delivered < expected && performance.now() < drainUntil) await sleep(20);
      const span = Math.max(stepStats.lastAt - t0, windowMs) / 1000;
      const latency = summarize(stepStats.latencies);
      const mutationLatency = summarize(answered);
      const sentCount = count - skipped;
      const step: Step = {
        offered: rate,
        sent: sentCount,
        skipped,
        errors,
        delivered: stepStats.delivered,
        lost: expected - stepStats.delivered,
        duplicated: stepStats.duplicated,
        misdelivered: stepStats.misdelivered,
        deliveredPerSec: stepStats.delivered / span,
        latency,
        mutationLatency,
        usage: usage(start, end),
        eld: end.eld,
        passed: false,
      };
      step.passed =
        step.lost === 0 &&
        step.errors === 0 &&
        step.duplicated === 0 &&
        step.misdelivered === 0 &&
        skipped === 0 &&
        latency.p99 <= P99_LIMIT_MS &&
        step.deliveredPerSec >= 0.9 * rate;
      steps.push(step);
      io.log(
        `rate ${rate}/s: delivered ${step.delivered}/${sentCount} p50 ${round(latency.p50)} p99 ${round(latency.p99)} ms (mutation answered p50 ${round(mutationLatency.p50)} p99 ${round(mutationLatency.p99)} ms), lost ${step.lost}, skipped ${skipped}, errors ${errors}, server ${round(step.usage.serverCpuPct)}% cpu`,
      );
      for (const key of [...sent.keys()]) if (sent.get(key)?.step === index) sent.delete(key);
      // On a machine of two cores shared by the server, PostgreSQL, Redis and this
      // load generator, a moment when all of them want CPU at once (every core
      // busy for a few hundred ms, as when V8 optimizes a request's whole path) fails
      // a whole step: the requests wait here, in the connection pool, and the step's
      // p99 is that moment. So a failed step, or one over the headline figure's
      // 50 ms, is run once more, for every system, and the second attempt decides;
      // both are reported.
      if (!step.passed && again) break;
      if (!again && !(step.passed && latency.p99 <= P99_TARGET_MS)) {
        step.retried = true;
        plan.splice(index + 1, 0, { rate, again: true });
      }
      await io.quiet(10_000);
    }
    for (const s of subscribers) s.close();
    mutator.close();
    return {
      subscribers: U,
      connected: subscribers.length,
      connectFailed: failed,
      steps,
      warmUp,
      late,
      failures,
    };
  },
  figures(r) {
    const best = bestStep(r);
    const all = (f: (s: Step) => number) => r.steps.reduce((sum, s) => sum + f(s), 0);
    return [
      { label: 'subscribers connected', unit: '', value: r.connected, better: 'higher' },
      {
        label: `warm-up comments, unrecorded (in ≤ ${WARM_UP.seconds} s)`,
        unit: '',
        value: r.warmUp?.comments ?? null,
        better: 'none',
      },
      {
        label: 'max sustained rate (p99 ≤ 100 ms, no loss)',
        unit: 'notif/s',
        value: best ? best.offered : 0,
        better: 'higher',
      },
      {
        label: 'max rate with p99 ≤ 50 ms, no loss',
        unit: 'notif/s',
        value: fastestWithin50(r)?.offered ?? 0,
        better: 'higher',
      },
      {
        label: 'delivered/s at that rate',
        unit: '/s',
        value: best ? round(best.deliveredPerSec) : 0,
        better: 'higher',
      },
      {
        label: 'p50 at that rate',
        unit: 'ms',
        value: best ? round(best.latency.p50) : null,
        better: 'lower',
      },
      {
        label: 'p95 at that rate',
        unit: 'ms',
        value: best ? round(best.latency.p95) : null,
        better: 'lower',
      },
      {
        label: 'p99 at that rate',
        unit: 'ms',
        value: best ? round(best.latency.p99) : null,
        better: 'lower',
      },
      {
        label: 'max at that rate',
        unit: 'ms',
        value: best ? round(best.latency.max) : null,
        better: 'lower',
      },
      {
        label: 'server CPU at that rate',
        unit: '% core',
        value: best ? round(best.usage.serverCpuPct) : null,
        better: 'lower',
      },
      {
        label: 'server CPU per notification at that rate',
        unit: 'ms',
        value: best ? round(cpuPerNotificationMs(best)) : null,
        better: 'lower',
      },
      {
        label: 'server RSS at that rate',
        unit: 'MiB',
        value: best ? round(best.usage.serverRssMiB) : null,
        better: 'lower',
      },
      {
        label: 'Redis CPU at that rate',
        unit: '% core',
        value: best ? round(best.usage.redisCpuPct) : null,
        better: 'lower',
      },
      {
        label: 'PostgreSQL CPU at that rate',
        unit: '% core',
        value: best ? round(best.usage.pgCpuPct) : null,
        better: 'lower',
      },
      {
        label: 'load generator CPU at that rate',
        unit: '% core',
        value: best ? round(best.usage.loadgenCpuPct) : null,
        better: 'none',
      },
      {
        label: 'event-loop delay p99 at that rate',
        unit: 'ms',
        value: best ? round(best.eld?.p99 ?? Number.NaN) : null,
        better: 'lower',
      },
      {
        label: 'first failing offered rate',
        unit: 'notif/s',
        value: firstFailure(r)?.offered ?? null,
        better: 'higher',
      },
      {
        label: 'p99 at first failing rate',
        unit: 'ms',
        value: round(firstFailure(r)?.latency.p99 ?? Number.NaN),
        better: 'lower',
      },
      { label: 'lost (all steps)', unit: '', value: all((s) => s.lost), better: 'lower' },
      {
        label: 'duplicated (all steps)',
        unit: '',
        value: all((s) => s.duplicated),
        better: 'lower',
      },
      {
        label: 'misdelivered (all steps)',
        unit: '',
        value: all((s) => s.misdelivered),
        better: 'lower',
      },
      {
        label: 'mutation errors (all steps)',
        unit: '',
        value: all((s) => s.errors),
        better: 'lower',
      },
    ];
  },
  chart: {
    title: 'steady: p99 latency vs offered rate',
    x: 'offered notifications/s',
    y: 'p99 latency (ms)',
    logY: true,
  },
  points: (r) =>
    r.steps.filter((s) => !s.retried).map((s) => [s.offered, s.latency.p99] as [number, number]),
};

/**
 * The highest step that passed with p99 ≤ 50 ms (the latency bound). A
 * step run again is decided by its second attempt, so it never counts itself.
 */
export function fastestWithin50(r: SteadyResult): Step | undefined {
  return [...r.steps]
    .reverse()
    .find((s) => !s.retried && s.passed && s.latency.p99 <= P99_TARGET_MS);
}

/** Server CPU time per delivered notification during a step (ms of one core). */
export function cpuPerNotificationMs(step: Step): number {
  return step.deliveredPerSec > 0
    ? (step.usage.serverCpuPct * 10) / step.deliveredPerSec
    : Number.NaN;
}

/** The step that ended the run: failed, and not run again. */
export function firstFailure(r: SteadyResult): Step | undefined {
  return r.steps.find((s) => !s.passed && !s.retried);
}

/**
 * The highest step that passed (steps stop at the first rate that fails twice),
 * a step run again counting only by its second attempt.
 */
export function bestStep(r: SteadyResult): Step | undefined {
  return [...r.steps].reverse().find((s) => !s.retried && s.passed);
}
