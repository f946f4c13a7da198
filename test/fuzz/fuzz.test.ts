// Seeded fuzz test of every file reader: mutated .pth (zip and legacy), PNG, JPEG and Trainer checkpoints
// (see worker.ts for the seeds and mutations) run in child processes with a per-case time limit and a
// memory watchdog. Every input must load or fail with an error of this package's own classes whose
// message is not a raw JS internal one; no case may hang, crash the process, or grow the RSS beyond a
// bound proportional to its size. FUZZ_SCALE=10 runs ten times as many cases (FUZZ_SEED picks the seed).
import { spawn, execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_FORMATS, type FuzzFormat, type FuzzResult } from './protocol.js';

const root = resolve(__dirname, '../..');
const cacheDir = join(root, 'node_modules', '.cache', 'pix2pix-fuzz');
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const seed = Number(process.env.FUZZ_SEED ?? 20261129);
/** Cases per format at FUZZ_SCALE=1 (about 1 minute in all on 2 cores). */
const CASES: Readonly<Record<FuzzFormat, number>> = { 'torch-zip': 200, 'torch-legacy': 200, png: 300, jpeg: 300, checkpoint: 200 };
/** A case that has not answered after this long is a hang. */
const CASE_TIMEOUT_MS = 10_000;
/** The worker is killed when its RSS passes this (a runaway allocation), and the case is counted as one. */
const RSS_CAP_KIB = 1536 * 1024;
/** Allowed RSS growth during one case: a fixed allowance plus a multiple of the input size. */
const allowedKiB = (size: number) => 64 * 1024 + (64 * size) / 1024;
/** Messages that betray a raw JS error escaping from inside a reader. */
const INTERNAL = /Cannot read propert|is not iterable|is not a function|of undefined|of null|Invalid typed array length|Maximum call stack|Array buffer allocation failed|out of memory/i;

let worker: string;
let tmp: string;

beforeAll(async () => {
  await mkdir(cacheDir, { recursive: true });
  worker = join(cacheDir, `worker-${process.pid}.mjs`);
  await promisify(execFile)(
    'npx',
    ['esbuild', 'test/fuzz/worker.ts', '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${worker}`, '--log-level=warning'],
    { cwd: root },
  );
  tmp = await mkdtemp(join(cacheDir, 'run-'));
}, 120_000);

afterAll(async () => {
  await rm(worker, { force: true });
  await rm(tmp, { recursive: true, force: true });
});

async function rssKiB(pid: number): Promise<number> {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs cases [start, end) in one child; returns its results and where it stopped (a hang or crash ends it). */
function runWorker(format: FuzzFormat, start: number, end: number): Promise<{ results: FuzzResult[]; next: number }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--max-old-space-size=1024', worker, format, String(seed), String(start), String(end - start), join(tmp, format)], {
      cwd: root,
      env: { ...process.env, FUZZ_ROOT: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const results: FuzzResult[] = [];
    let stderr = '';
    let next = start;
    let ready = false;
    let verdict: FuzzResult['outcome'] | null = null;
    let why = '';
    const kill = (outcome: FuzzResult['outcome'], reason: string) => {
      if (verdict) return;
      verdict = outcome;
      why = reason;
      child.kill('SIGKILL');
    };
    let timer = setTimeout(() => kill('hang', 'no answer while starting'), 4 * CASE_TIMEOUT_MS);
    const watch = setInterval(async () => {
      const rss = await rssKiB(child.pid!);
      if (rss > RSS_CAP_KIB) kill('crash', `RSS ${Math.round(rss / 1024)} MiB passed the ${RSS_CAP_KIB / 1024} MiB cap`);
    }, 100);
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as FuzzResult | { ready: true };
      if ('ready' in msg) ready = true;
      else {
        results.push(msg);
        next = msg.i + 1;
      }
      clearTimeout(timer);
      timer = setTimeout(() => kill('hang', `case ${next} ran over ${CASE_TIMEOUT_MS} ms`), CASE_TIMEOUT_MS);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      if (next < end) {
        const outcome = verdict ?? 'crash';
        const message = verdict ? why : `worker exited (code ${code}, signal ${signal})${ready ? '' : ' before it was ready'}: ${stderr}`;
        results.push({ i: next, how: '(see seed and index)', size: 0, outcome, message, addedKiB: 0 });
        next++;
      }
      done({ results, next });
    });
  });
}

async function fuzz(format: FuzzFormat): Promise<FuzzResult[]> {
  const total = Math.round(CASES[format] * scale);
  const all: FuzzResult[] = [];
  for (let start = 0; start < total; ) {
    const { results, next } = await runWorker(format, start, total);
    all.push(...results);
    start = next;
  }
  return all;
}

/** The cases that break the rules, each as one readable line. */
function violations(results: readonly FuzzResult[], format: FuzzFormat): string[] {
  const bad: string[] = [];
  // A checkpoint is a folder the user names: every error about its values must name the file.
  const caseFolder = join(tmp, format, 'case');
  for (const r of results) {
    const where = `case ${r.i} (${r.how})`;
    if (format === 'checkpoint' && r.outcome === 'own-error' && !(r.message ?? '').includes(caseFolder)) bad.push(`${where}: error does not name the checkpoint file: ${r.name}: ${r.message}`);
    if (r.outcome === 'hang' || r.outcome === 'crash' || r.outcome === 'foreign-error') bad.push(`${where}: ${r.outcome} ${r.name ?? ''} ${r.message ?? ''}`);
    else if (r.message !== undefined && (INTERNAL.test(r.message) || r.message.length < 10)) bad.push(`${where}: raw message from ${r.name}: ${r.message}`);
    if (r.addedKiB > allowedKiB(r.size)) bad.push(`${where}: grew RSS by ${r.addedKiB} KiB on a ${r.size}-byte input`);
  }
  return bad;
}

describe(`fuzzed file readers (seed ${seed}, scale ${scale})`, () => {
  for (const format of FUZZ_FORMATS) {
    it(`${format}: every mutated file loads or fails with this package's own error; no hang, crash or runaway memory`, async () => {
      const results = await fuzz(format);
      const counts: Record<string, number> = {};
      for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      process.stderr.write(`fuzz ${format}: ${results.length} cases ${JSON.stringify(counts)}\n`);
      expect(results.length).toBe(Math.round(CASES[format] * scale));
      expect(violations(results, format)).toEqual([]);
      // The mutations must reach the readers' error paths, not only produce loadable files.
      expect(counts['own-error'] ?? 0).toBeGreaterThan(results.length / 4);
    }, 600_000);
  }
});
