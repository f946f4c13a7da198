// The training report page (report.html): loss and validation curves as inline SVG, sample grids, facts.
import { writeFileSafe } from './fs/index.js';
import { join } from 'node:path';

/** One logged training step: the step number, the epoch, and named loss values. */
export interface HistoryEntry {
  /** Global step (1-based: the number of steps done). */
  step: number;
  /** Epoch (0-based). */
  epoch: number;
  /** Named scalar values of that step, e.g. `{ dTotal: 0.69, gTotal: 35.1, gReconstruction: 0.34 }`. */
  [name: string]: number;
}

/**
 * The timing fields of a `history.jsonl` line (`pix2pix train`): `time` (wall clock, Unix seconds),
 * `elapsed` (seconds of training so far, continued across resumes), `stepTime` (wall seconds since the
 * previous step, including its logging, samples and checkpoints) and `stepsPerSec` (steps per second of
 * this session so far).
 */
export const HISTORY_TIMING_KEYS = ['time', 'elapsed', 'stepTime', 'stepsPerSec'] as const;
/** One of {@link HISTORY_TIMING_KEYS}. */
export type HistoryTimingKey = (typeof HISTORY_TIMING_KEYS)[number];

/** What {@link writeReport} puts on the page. */
export interface ReportContent {
  /** Page title. Default `'pix2pix training report'`. */
  title?: string;
  /** Loss history; one chart per value name. */
  history: HistoryEntry[];
  /** Sample grid images (paths relative to the report), oldest first; the newest few and the first are shown. */
  samples: Array<{
    /** Path of the sample grid image, relative to the report. */
    path: string;
    /** Training step the grid was written at. */
    step: number;
  }>;
  /** Key facts shown in a table (options, backend, timings, metrics). */
  info?: Record<string, string | number>;
  /** Number of sample grids to show (the first one and the newest ones). Default 4. */
  maxSamples?: number;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Thins a series to at most `max` points by averaging buckets (keeps curves readable and the page small). */
function thin(xs: number[], ys: number[], max: number): Array<[number, number]> {
  if (xs.length <= max) return xs.map((x, i) => [x, ys[i]!]);
  const out: Array<[number, number]> = [];
  const per = xs.length / max;
  for (let b = 0; b < max; b++) {
    const lo = Math.floor(b * per);
    const hi = Math.max(lo + 1, Math.floor((b + 1) * per));
    let sx = 0;
    let sy = 0;
    for (let i = lo; i < hi; i++) {
      sx += xs[i]!;
      sy += ys[i]!;
    }
    out.push([sx / (hi - lo), sy / (hi - lo)]);
  }
  return out;
}

/** Moving average over a centred window of `w` points (edges use the points available). */
function smooth(ys: number[], w: number): number[] {
  const half = Math.floor(w / 2);
  const prefix = [0];
  for (const y of ys) prefix.push(prefix[prefix.length - 1]! + y);
  return ys.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(ys.length, i + half + 1);
    return (prefix[hi]! - prefix[lo]!) / (hi - lo);
  });
}

/**
 * An inline SVG line chart of one series: the values (light) and their moving average over about 1/25
 * of the run (dark), so trends show through the noise of batch-size-1 losses.
 */
export function lineChartSvg(name: string, xs: number[], ys: number[], width = 420, height = 180): string {
  const finite = xs.map((x, i) => [x, ys[i]!] as [number, number]).filter(([, y]) => Number.isFinite(y));
  const pts = thin(finite.map((p) => p[0]), finite.map((p) => p[1]), 300);
  const pad = { l: 58, r: 10, t: 22, b: 26 };
  if (pts.length === 0) return `<svg width="${width}" height="${height}"><text x="10" y="20">${esc(name)}: no data</text></svg>`;
  const trend = smooth(finite.map((p) => p[1]), Math.max(1, Math.round(finite.length / 25)));
  const trendPts = thin(finite.map((p) => p[0]), trend, 300);
  const x0 = Math.min(...pts.map((p) => p[0]));
  const x1 = Math.max(...pts.map((p) => p[0]), x0 + 1);
  let y0 = Math.min(...pts.map((p) => p[1]));
  let y1 = Math.max(...pts.map((p) => p[1]));
  if (y1 - y0 <= 1e-6 * Math.max(Math.abs(y0), Math.abs(y1), 1e-30)) {
    const m = Math.max(Math.abs(y0) * 0.1, 1e-12);
    y0 -= m;
    y1 += m;
  }
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const path = (ps: Array<[number, number]>) => ps.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${esc(name)}">`,
    `<rect x="${pad.l}" y="${pad.t}" width="${width - pad.l - pad.r}" height="${height - pad.t - pad.b}" fill="#fafafa" stroke="#ccc"/>`,
    `<text x="${pad.l}" y="15" font-size="13" font-family="sans-serif">${esc(name)}</text>`,
    `<text x="${pad.l - 4}" y="${pad.t + 10}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(y1)}</text>`,
    `<text x="${pad.l - 4}" y="${height - pad.b}" font-size="10" text-anchor="end" font-family="sans-serif">${fmt(y0)}</text>`,
    `<text x="${pad.l}" y="${height - 8}" font-size="10" font-family="sans-serif">step ${Math.round(x0)}</text>`,
    `<text x="${width - pad.r}" y="${height - 8}" font-size="10" text-anchor="end" font-family="sans-serif">step ${Math.round(x1)}</text>`,
    `<path d="${path(pts)}" fill="none" stroke="#a8c8f8" stroke-width="1"/>`,
    `<path d="${path(trendPts)}" fill="none" stroke="#0b3d91" stroke-width="2"/>`,
    `</svg>`,
  ].join('');
}

/** Renders the report page: loss curves as inline SVG, the latest sample grids, and an info table. */
export function renderReport(content: ReportContent): string {
  const title = content.title ?? 'pix2pix training report';
  const h = content.history;
  // One chart per logged value, except values that are 0 throughout (parts switched off, e.g. a gradient penalty).
  const timing = new Set<string>(HISTORY_TIMING_KEYS);
  const names = [...new Set(h.flatMap((e) => Object.keys(e)))].filter((k) => k !== 'step' && k !== 'epoch' && !timing.has(k) && h.some((e) => (e[k] ?? 0) !== 0));
  const chartsOf = (ns: string[]) =>
    ns
      .map((n) => {
        const rows = h.filter((e) => typeof e[n] === 'number');
        return lineChartSvg(n, rows.map((e) => e.step), rows.map((e) => e[n]!));
      })
      .join('\n');
  // Held-out metrics (`val/...`, written every few steps by train --val-data) get their own section.
  const isVal = (n: string) => n.startsWith('val/');
  const charts = chartsOf(names.filter((n) => !isVal(n)));
  const valCharts = chartsOf(names.filter(isVal));
  const speedChart = h.some((e) => typeof e.stepsPerSec === 'number') ? chartsOf(['stepsPerSec']) : '';
  // The newest grids, newest first, and the very first one (before training) for comparison.
  const max = content.maxSamples ?? 4;
  const shown = content.samples.length > max ? [...content.samples.slice(-(max - 1)).reverse(), content.samples[0]!] : [...content.samples].reverse();
  const samples = shown
    .map((s) => `<figure><img src="${esc(s.path)}" alt="samples at step ${s.step}"><figcaption>step ${s.step} (input | output | target)</figcaption></figure>`)
    .join('\n');
  const info = Object.entries(content.info ?? {})
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}svg{margin:4px}figure{display:inline-block;margin:8px}img{image-rendering:pixelated;min-width:420px;max-width:100%}th{text-align:left;padding-right:1em}</style>
</head><body>
<h1>${esc(title)}</h1>
<table>${info}</table>
<h2>Losses</h2>
${charts || '<p>No steps logged yet.</p>'}
${valCharts ? `<h2>Validation (held-out pairs)</h2>\n${valCharts}\n` : ''}${speedChart ? `<h2>Speed</h2>\n${speedChart}\n` : ''}<h2>Latest samples</h2>
${samples || '<p>No samples yet.</p>'}
</body></html>
`;
}

/** Writes `report.html` into `dir` through the one write path (atomic; replaces only a report this program wrote). */
export async function writeReport(dir: string, content: ReportContent): Promise<string> {
  const path = join(dir, 'report.html');
  await writeFileSafe(path, renderReport(content));
  return path;
}
