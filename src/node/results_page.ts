/**
 * The files of a results folder (`pix2pix test`, `translateFolder`): `index.html` (summary table, then
 * one row per image), `metrics.json` and `metrics.csv`, and the rule that a results folder is only ever
 * rewritten when it holds nothing but a previous run's own files.
 */
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { EVALUATION_METRIC_CONVENTIONS, EVALUATION_METRICS, type MetricSet } from '../metrics/evaluate.js';
import type { SegmentationScores } from '../metrics/segmentation_scores.js';
import { WRITE_RECORD } from './fs/record.js';

/** `generatedBy` of a results folder's `metrics.json`: how a rerun recognises its own folder. */
export const RESULTS_GENERATOR = '@acme/pix2pix translateFolder';
/** The files every results folder has, beside `images/`. */
export const RESULTS_FILES: {
  /** The results page. */
  readonly html: 'index.html';
  /** Per-image and summary metrics as JSON. */
  readonly json: 'metrics.json';
  /** The same as CSV. */
  readonly csv: 'metrics.csv';
  /** Folder of the written images. */
  readonly images: 'images';
} = { html: 'index.html', json: 'metrics.json', csv: 'metrics.csv', images: 'images' };

/** One row of a results page: the image files (relative to the folder) and the metrics. */
export interface ResultsRow {
  /** The example's name (its file stem). */
  name: string;
  /** Input image file, e.g. `images/0001_real_A.png`. */
  input: string;
  /** Output image file (`..._fake_B.png`). */
  output: string;
  /** Target image file (`..._real_B.png`), when there is a target. */
  target?: string;
  /** Width of the images. */
  width: number;
  /** Height of the images. */
  height: number;
  /** Metrics of the output against the target, when there is a target. */
  metrics?: MetricSet;
}

/** What a results folder records. */
export interface ResultsContent {
  /** Where the generator came from (for the page and the JSON). */
  model: string;
  /** The data folder. */
  data: string;
  /** `'paper'` or `'inference'`. */
  mode: string;
  /** `'AtoB'` or `'BtoA'`. */
  direction: string;
  /** One row per image. */
  rows: ResultsRow[];
  /** Mean metrics over the images with a target; null when none has one. */
  mean: MetricSet | null;
  /** Their population standard deviation; null when none has a target. */
  std: MetricSet | null;
  /** Facades segmentation score, when a segmenter was given. */
  segmentation?: SegmentationScores;
}

/** JSON can't hold Infinity or NaN: they are written as the strings `"Infinity"` / `"NaN"`. */
const jsonNumber = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const jsonMetrics = (m: MetricSet | null | undefined) => (m ? Object.fromEntries(EVALUATION_METRICS.map((k) => [k, jsonNumber(m[k])])) : null);

/** `metrics.json`: settings, mean, std, per-image metrics, the segmentation score, and the files written. */
export function renderMetricsJson(c: ResultsContent, files: readonly string[]): string {
  return `${JSON.stringify(
    {
      generatedBy: RESULTS_GENERATOR,
      model: c.model,
      data: c.data,
      mode: c.mode,
      direction: c.direction,
      metricsOn: '8-bit images as written in images/',
      conventions: EVALUATION_METRIC_CONVENTIONS,
      count: c.rows.length,
      scored: c.rows.filter((r) => r.metrics).length,
      mean: jsonMetrics(c.mean),
      std: jsonMetrics(c.std),
      ...(c.segmentation
        ? { segmentation: { pixelAccuracy: c.segmentation.pixelAccuracy, meanClassAccuracy: c.segmentation.meanClassAccuracy, meanIoU: c.segmentation.meanIoU } }
        : {}),
      images: c.rows.map((r) => ({ name: r.name, input: r.input, output: r.output, ...(r.target ? { target: r.target } : {}), metrics: jsonMetrics(r.metrics) })),
      files,
    },
    null,
    2,
  )}\n`;
}

/** `metrics.csv`: `name,l1,l2,mae,psnr,ssim,ssimGaussian`, one row per scored image, then `mean` and `std` rows. */
export function renderMetricsCsv(c: ResultsContent): string {
  const num = (v: number) => (Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const line = (name: string, m: MetricSet) => [quote(name), ...EVALUATION_METRICS.map((k) => num(m[k]))].join(',');
  const lines = [['name', ...EVALUATION_METRICS].join(',')];
  for (const r of c.rows) if (r.metrics) lines.push(line(r.name, r.metrics));
  if (c.mean && c.std) lines.push(line('mean', c.mean), line('std', c.std));
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const fmt = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const DIGITS: MetricSet = { l1: 4, l2: 4, mae: 2, psnr: 2, ssim: 4, ssimGaussian: 4 };

/** `index.html`: a summary table, then one row per image (name, input, output, target), images at their size. */
export function renderResultsPage(c: ResultsContent): string {
  const summary = c.mean && c.std
    ? `<table class="summary"><tr><th>metric</th><th>mean</th><th>std</th><th>how</th></tr>${EVALUATION_METRICS.map(
        (k) => `<tr><td>${k}</td><td>${fmt(c.mean![k], DIGITS[k])}</td><td>${fmt(c.std![k], DIGITS[k])}</td><td><small>${esc(EVALUATION_METRIC_CONVENTIONS[k])}</small></td></tr>`,
      ).join('')}${
        c.segmentation
          ? `<tr><td>segmentation: per-pixel acc.</td><td>${fmt(c.segmentation.pixelAccuracy, 4)}</td><td></td></tr><tr><td>per-class acc.</td><td>${fmt(c.segmentation.meanClassAccuracy, 4)}</td><td></td></tr><tr><td>class IoU</td><td>${fmt(c.segmentation.meanIoU, 4)}</td><td></td></tr>`
          : ''
      }</table>`
    : '<p>No targets: outputs only, no metrics.</p>';
  const hasTarget = c.rows.some((r) => r.target);
  const img = (src: string, r: ResultsRow) => `<img src="${esc(src)}" width="${r.width}" height="${r.height}" alt="${esc(src)}">`;
  const rows = c.rows
    .map(
      (r) =>
        `<tr><td>${esc(r.name)}${r.metrics ? `<br><small>L1 ${fmt(r.metrics.l1, 4)}<br>PSNR ${fmt(r.metrics.psnr, 2)}<br>SSIM ${fmt(r.metrics.ssim, 4)}<br>SSIM (Gaussian) ${fmt(r.metrics.ssimGaussian, 4)}</small>` : ''}</td><td>${img(r.input, r)}</td><td>${img(r.output, r)}</td>${hasTarget ? `<td>${r.target ? img(r.target, r) : ''}</td>` : ''}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pix2pix test results</title>
<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}img{image-rendering:pixelated}</style></head>
<body><h1>pix2pix test results</h1>
<p>model: ${esc(c.model)}<br>data: ${esc(c.data)} (${esc(c.direction)})<br>mode: ${esc(c.mode)}${c.mode === 'paper' ? ' (dropout on, batch statistics: the paper\'s and the reference\'s default)' : ' (moving statistics, no dropout: the reference\'s --eval)'}<br>images: ${c.rows.length}</p>
${summary}
<p>Metrics are computed on the 8-bit images below, as scikit-image computes them on uint8 images (L1 and L2 in [-1, 1] units).</p>
<table class="images"><tr><th>name</th><th>input</th><th>output</th>${hasTarget ? '<th>target</th>' : ''}</tr>
${rows}
</table></body></html>
`;
}

/** Every file and folder under `dir`, relative, with `/` separators (folders end in `/`). */
async function listTree(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    const rel = relative(base, full).split(sep).join('/');
    if (e.isDirectory()) out.push(`${rel}/`, ...(await listTree(full, base)));
    else out.push(rel);
  }
  return out;
}

/**
 * Makes `dir` ready for a new results folder: fine when it does not exist or is empty; when it holds a
 * previous results folder (a `metrics.json` by {@link RESULTS_GENERATOR}) and nothing else than the
 * files that run lists, those files are deleted; anything else is refused, so no file the program did
 * not write is ever overwritten or deleted.
 * @throws Error naming the folder and up to five foreign files.
 */
export async function prepareResultsFolder(dir: string): Promise<void> {
  const found = await foreignResultsFiles(dir);
  if (found === null) return;
  for (const f of found.tree.filter((t) => !t.endsWith('/'))) await rm(join(dir, f));
}

/**
 * True when `dir` holds a results folder that `translateFolder` wrote (its own files and nothing else),
 * which a new results folder may replace.
 * @throws Error naming the folder and up to five files this program did not write.
 */
export async function isOwnResultsFolder(dir: string): Promise<boolean> {
  return (await foreignResultsFiles(dir)) !== null;
}

/** The tree of a results folder of a previous run (null: absent or empty); throws naming foreign files. */
async function foreignResultsFiles(dir: string): Promise<{ tree: string[] } | null> {
  const exists = await lstat(dir).then((s) => (s.isDirectory() ? 'dir' : 'other'), () => null);
  if (exists === null) return null;
  if (exists === 'other') throw new Error(`${dir}: exists and is not a folder`);
  const tree = await listTree(dir);
  if (tree.length === 0) return null;
  let own: Set<string> | null = null;
  try {
    const json = JSON.parse(await readFile(join(dir, RESULTS_FILES.json), 'utf8')) as { generatedBy?: unknown; files?: unknown };
    if (json.generatedBy === RESULTS_GENERATOR && Array.isArray(json.files)) own = new Set(json.files.map(String));
  } catch {
    own = null;
  }
  if (own === null) throw new Error(`${dir}: the folder is not empty and is not a results folder of a previous run; give a new or empty folder`);
  own.add(`${RESULTS_FILES.images}/`);
  own.add(WRITE_RECORD);
  const foreign = tree.filter((f) => !own.has(f));
  if (foreign.length > 0) {
    throw new Error(`${dir}: holds files this program did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); move them or give a new folder`);
  }
  return { tree };
}
