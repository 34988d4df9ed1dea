// Preloaded (--import) into every measured server process, peers and this server
// alike: answers the runner's IPC questions about the process from the inside
// (V8 heap, event-loop delay), which /proc cannot see. Does nothing without IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks';

type Question = { probe: number; gc?: boolean; resetEld?: boolean };

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const ms = (ns: number) => ns / 1e6;
  process.on('message', (message: Question) => {
    if (typeof message?.probe !== 'number') return;
    // Two collections: the first can leave garbage that only the second frees.
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) {
      gc();
      gc();
    }
    const memory = process.memoryUsage();
    const eld = {
      p50: ms(delay.percentile(50)),
      p99: ms(delay.percentile(99)),
      max: ms(delay.max),
      mean: ms(delay.mean),
    };
    if (message.resetEld) delay.reset();
    process.send?.({ probe: message.probe, heapUsed: memory.heapUsed, rss: memory.rss, eld });
  });
  // The channel must not keep a stopping server alive.
  process.channel?.unref();
}
