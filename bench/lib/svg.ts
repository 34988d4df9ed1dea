// A small line chart as standalone SVG, written by hand: no browser, no library.
// Used for every scenario's latency chart in the report.

export type Line = { name: string; color: string; points: [number, number][] };

const W = 720;
const H = 420;
const M = { left: 70, right: 180, top: 40, bottom: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const step = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-9; t += nice)
    ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const label = (n: number) =>
  Math.abs(n) >= 10_000 ? `${n / 1000}k` : String(Number(n.toPrecision(4)));

export function lineChart(options: {
  title: string;
  x: string;
  y: string;
  logY?: boolean;
  lines: Line[];
}): string {
  const all = options.lines
    .flatMap((l) => l.points)
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!options.logY || y > 0));
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const fy = options.logY ? (v: number) => Math.log10(v) : (v: number) => v;
  const yMin = options.logY ? Math.floor(Math.log10(Math.max(0.1, Math.min(...ys, 1)))) : 0;
  const yMax = options.logY
    ? Math.ceil(Math.log10(Math.max(...ys, 10)))
    : Math.max(1, ...ys) * 1.05;
  const px = (x: number) => M.left + ((x - xMin) / (xMax - xMin || 1)) * (W - M.left - M.right);
  const py = (y: number) =>
    H - M.bottom - ((fy(y) - yMin) / (yMax - yMin || 1)) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - M.right / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`,
  ];
  const yTicks = options.logY
    ? Array.from({ length: yMax - yMin + 1 }, (_, i) => 10 ** (yMin + i))
    : niceTicks(0, yMax);
  for (const t of yTicks) {
    const y = py(t);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${label(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax)) {
    const x = px(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#333"/>`,
  );
  out.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(options.x)}</text>`,
  );
  out.push(
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(options.y)}${options.logY ? ' (log)' : ''}</text>`,
  );
  options.lines.forEach((line, i) => {
    const pts = line.points.filter(
      ([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!options.logY || y > 0),
    );
    if (pts.length) {
      const d = pts
        .map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
        .join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${line.color}" stroke-width="2"/>`);
      for (const [x, y] of pts.length <= 20 ? pts : [])
        out.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${line.color}"/>`,
        );
    }
    const ly = M.top + 10 + i * 20;
    out.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 32}" y1="${ly}" y2="${ly}" stroke="${line.color}" stroke-width="3"/>`,
    );
    out.push(
      `<text x="${W - M.right + 38}" y="${ly + 4}">${esc(line.name)}${pts.length ? '' : ' (no data)'}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
