#!/usr/bin/env node
// Browser rows of the bench: pix2pix training-step and generator-inference times of the U-Net + 70x70
// PatchGAN (filters 64, batch norm, batch 1) on the webgl and webgpu backends of headless Chromium.
// These machines have no GPU: both backends run on SwiftShader, i.e. SOFTWARE rendering on the CPU, so
// the numbers measure tfjs' GPU code paths on an emulated GPU, not what a real GPU does.
//
// Uses the BUILT package (run `npm run build` first). Not part of `npm test`.
//
//   node bench/browser.mjs [--sizes 64,128] [--backends webgl,webgpu] [--reps 5] [--warmup 1] [--filters 64]
//                          [--dist DIR] [--json FILE]
//
// From another script: `const { browserBenchResults, browserBenchTable } = await import('./browser.mjs')`;
// `browserBenchResults(options)` returns one result per (backend, size) in the shape bench/run.mjs uses
// ({ backend, size, stepMs[], inferMs[], flops, peakRssKb: null, note } or { backend, size, error }).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumAvailable, chromiumPath, launchChromium, openPage, startServer } from '../test/browser/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs the browser bench: for each size and backend, a fresh page builds the networks and times
 * `warmup` + `reps` generator forwards and training steps. One Chromium for all rows.
 * @param {{ sizes?: number[], backends?: string[], reps?: number, warmup?: number, filters?: number, dist?: string, log?: (s: string) => void }} [options]
 */
export async function browserBenchResults(options = {}) {
  const { sizes = [64, 128], backends = ['webgl', 'webgpu'], reps = 5, warmup = 1, filters = 64, dist = path.join(root, 'dist') } = options;
  const log = options.log ?? ((s) => process.stderr.write(`${s}\n`));
  if (!chromiumAvailable()) return backends.map((backend) => ({ backend: `${backend} (Chromium)`, size: sizes[0], error: `no Chromium at ${chromiumPath}` }));
  if (!fs.existsSync(path.join(dist, 'index.js'))) throw new Error(`${dist}/index.js is missing: run npm run build first`);
  const server = await startServer({ distDir: dist, extraRoots: { '/bench/': here + '/browser' } });
  const browser = await launchChromium();
  const results = [];
  try {
    for (const size of sizes) {
      for (const backend of backends) {
        log(`browser ${backend} ${size} ...`);
        const page = await openPage(browser, server.url, '/bench/page.html', (line) => log(`  ${line}`));
        try {
          await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
          const r = await page.evaluate((args) => window.benchRun(args), { backend, size, filters, reps, warmup });
          results.push({
            ...r,
            backend: `${backend} (Chromium, SwiftShader)`,
            threads: null,
            peakRssKb: null,
            note: `software rendering: ${r.device}; first step incl. shader compilation ${Math.round(r.warmupStepMs)} ms`,
          });
        } catch (e) {
          results.push({ backend: `${backend} (Chromium, SwiftShader)`, size, error: String(e.message ?? e).split('\n')[0] });
        } finally {
          await page.close();
        }
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}

/** A Markdown table of browser bench results (medians). */
export function browserBenchTable(results) {
  const rows = [
    '| backend | size | train ms/step | GFLOP/s | infer ms | first step ms (shader compile) | leaked tensors/step |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.error) {
      rows.push(`| ${r.backend} | ${r.size} | skipped: ${r.error.replace(/\|/g, '/')} | | | | |`);
      continue;
    }
    const step = median(r.stepMs);
    rows.push(
      `| ${r.backend} | ${r.size} | ${step.toFixed(0)} | ${(r.flops.step / step / 1e6).toFixed(1)} | ${median(r.inferMs).toFixed(0)} | ${r.warmupStepMs.toFixed(0)} | ${r.leakedTensorsPerStep} |`,
    );
  }
  return rows.join('\n');
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--sizes') o.sizes = next().split(',').map(Number);
    else if (a === '--backends') o.backends = next().split(',');
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--filters') o.filters = Number(next());
    else if (a === '--dist') o.dist = path.resolve(next());
    else if (a === '--json') o.json = path.resolve(next());
    else throw new Error(`unknown argument ${a} (see the header of bench/browser.mjs)`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  const results = await browserBenchResults(o);
  const reps = o.reps ?? 5;
  const warmup = o.warmup ?? 1;
  process.stdout.write(
    `${browserBenchTable(results)}\n\nSoftware rendering (SwiftShader on the CPU, no GPU on this machine); U-Net + 70x70 PatchGAN, filters ${o.filters ?? 64}, batch 1; ` +
      `medians of ${reps} after ${warmup} warm-up; GFLOP/s from the nominal flops of one step (3 x G forward + 9 x D forward).\n`,
  );
  const meta = { date: new Date().toISOString(), cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`, loadavgAtEnd: os.loadavg(), command: `node bench/browser.mjs ${process.argv.slice(2).join(' ')}`.trim() };
  process.stdout.write(`${meta.cpus}; load average at the end ${meta.loadavgAtEnd.map((x) => x.toFixed(1)).join(' ')}\n`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ meta, results }, null, 2));
}
