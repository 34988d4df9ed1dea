// `tsx bench/profile.ts <file.cpuprofile> [top]`: where a server spent its CPU.
// Profiles come from `npm run bench -- --profile …`, which starts this server with
// `node --cpu-prof` and leaves the .cpuprofile under bench/results/profiles/.
// Prints self time by function and by package (node_modules/<name>, node internals, src/).
import { readFileSync } from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (url: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]?.split('/')[0]}`;
  if (url.startsWith('node:') || url === '') return 'node / V8 (GC, idle, native)';
  return url;
};
const tally = (key: (n: Node) => string) => {
  const out = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (node) out.set(key(node), (out.get(key(node)) ?? 0) + us);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
};
const print = (title: string, rows: [string, number][]) => {
  console.log(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)`);
  for (const [name, us] of rows)
    console.log(
      `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
};
print(
  'self time by package',
  tally((n) => where(n.callFrame.url)),
);
print(
  'self time by function',
  tally(
    (n) =>
      `${n.callFrame.functionName || '(anonymous)'}  ${n.callFrame.url.replace(/^.*node_modules\//, '')}:${n.callFrame.lineNumber + 1}`,
  ),
);
