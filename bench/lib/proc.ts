// Reads CPU time and memory of other processes from /proc, so the runner can
// measure servers, Redis and PostgreSQL without instrumenting them.
import { readdirSync, readFileSync } from 'node:fs';

// Linux reports utime/stime in clock ticks; 100 per second on every mainstream kernel.
const TICK_MS = 10;

/**
 * User + system CPU time of one process, in ms; 0 once it is gone. With
 * `exitedChildren`, also that of its children that have exited and been waited
 * for (which the kernel adds to the parent's account).
 */
export function cpuMs(pid: number, exitedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; the fields after ')' do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const children = exitedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (own + children) * TICK_MS;
  } catch {
    return 0;
  }
}

/**
 * CPU time the whole machine spent busy (every core, every process, the kernel's
 * interrupt work included), in ms: the servers, PostgreSQL, Redis and the load
 * generator share these cores, so a step can fail on a saturated machine while
 * no one process looks busy.
 */
export function machineBusyMs(): number {
  try {
    // "cpu  user nice system idle iowait irq softirq steal …": every core summed, in ticks.
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    // Stolen time counts as busy: the hypervisor had the core, not this machine.
    return (user + nice + system + irq + softirq + steal) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes; 0 once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Parent pid of a process, or 0. */
function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/**
 * CPU time of a process and its direct children (PostgreSQL: the postmaster and
 * its backends), those that exited included: a system that closes a connection
 * during a step (Mercurius' did) would otherwise take its backend's time out of
 * the sum, and the step's PostgreSQL CPU came out below zero.
 */
export function treeCpuMs(pid: number): number {
  let total = cpuMs(pid, true);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const child = Number(name);
    if (parentOf(child) === pid) total += cpuMs(child);
  }
  return total;
}
