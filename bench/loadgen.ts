// A load generator process: receives one job from the runner over IPC, runs the
// scenario's client side against one system, sends back the result, exits.
// Kept apart from the servers so that its CPU is its own and measured as such.
import type { Job, LoadIO, Snapshot, ToLoadgen, ToRunner } from './lib/io.js';
import { SCENARIOS } from './scenarios/index.js';

const send = (message: ToRunner) => process.send?.(message);
const pending = new Map<number, (value: unknown) => void>();
let asked = 0;
const ask = <T>(message: ToRunner & { id: number }) =>
  new Promise<T>((resolve) => {
    pending.set(message.id, resolve as (value: unknown) => void);
    send(message);
  });
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function run(job: Job) {
  const scenario = SCENARIOS[job.scenario as keyof typeof SCENARIOS];
  if (!scenario) throw new Error(`unknown scenario ${job.scenario}`);
  const io: LoadIO = {
    job,
    sample: (options = {}) =>
      ask<Snapshot>({ type: 'sample', id: ++asked, ...options, loadgenCpuMs: ownCpuMs() }),
    quiet: (maxMs) => ask<number>({ type: 'quiet', id: ++asked, maxMs }),
    log: (text) => send({ type: 'log', text }),
  };
  const result = await scenario.generate(io, job.params);
  // Exiting before the message has left would lose it.
  await new Promise((resolve) =>
    process.send?.({ type: 'result', result }, undefined, {}, resolve),
  );
}

process.on('message', (message: ToLoadgen) => {
  if (message.type === 'answer') {
    pending.get(message.id)?.(message.value);
    pending.delete(message.id);
  } else if (message.type === 'job') {
    run(message.job).then(
      () => process.exit(0),
      (error: unknown) => {
        send({
          type: 'failed',
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        setTimeout(() => process.exit(1), 100);
      },
    );
  }
});
