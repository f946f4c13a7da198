#!/usr/bin/env node
// `npm run bench`: pix2pix training-step and generator-inference times on every Node backend present,
// against the PyTorch CPU reference (bench/torch_reference.py) run from this same script.
//
// Each (backend, size) runs in its own child process so that its peak RSS is its own. Results: a
// Markdown table on stdout and JSON in bench/results/. Not part of `npm test`.
//
//   node bench/run.mjs [--sizes 64,128,256] [--backends wasm,cpu,tensorflow] [--reps 5] [--warmup 1]
//                      [--threads N] [--torch-threads 2] [--no-torch] [--profile 256] [--dist DIR]
//                      [--gan vanilla|lsgan|wgangp] [--norm batch|instance|none] [--allow-reference-blas]
//   (child) node bench/run.mjs --child <backend> <size> [same options]
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
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

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
    child: null,
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
    else if (a === '--child') o.child = { backend: next(), size: Number(next()) };
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Multiply-add flops of one forward pass (2 per MAC) of a LayersModel, from its conv layers' shapes. */
function forwardFlops(model, size) {
  // The networks are fully convolutional (spatial dims unknown): walk the graph with concrete shapes.
  const shapes = new Map();
  let flops = 0;
  for (const layer of model.layers) {
    const node = layer.inboundNodes[0];
    const ins = node.inboundLayers.map((l) => shapes.get(l.name));
    const out =
      ins.length === 0
        ? [1, size, size, layer.batchInputShape[3]]
        : layer.computeOutputShape(ins.length === 1 ? ins[0] : ins);
    shapes.set(layer.name, out);
    const cls = layer.getClassName();
    if (cls !== 'Conv2D' && cls !== 'Conv2DTranspose') continue;
    const [kh, kw, a, b] = layer.getWeights()[0].shape; // Conv2D [kh,kw,in,out]; transposed [kh,kw,out,in]
    if (cls === 'Conv2D') flops += 2 * out[1] * out[2] * kh * kw * a * b;
    else {
      const [sh, sw] = layer.getConfig().strides; // every input pixel scatters a kh x kw x out block
      flops += 2 * (out[1] / sh) * (out[2] / sw) * kh * kw * a * b;
    }
  }
  return flops;
}

// ------------------------------------------------------------------------------------------------ child

async function child(o) {
  const { backend, size } = o.child;
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-layers');
  const note = [];
  let threads = 1;
  if (backend === 'wasm') {
    const { initWasmBackend } = await import(pathToFileURL(path.join(o.dist, 'wasm.js')).href);
    const info = await initWasmBackend(o.threads ? { threads: o.threads } : {});
    threads = info.threads;
    note.push(`simd=${info.simd}`);
  } else if (backend === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
  } else if (backend === 'tensorflow') {
    await import('@tensorflow/tfjs-node');
    await tf.setBackend('tensorflow');
  } else {
    throw new Error(`unknown backend ${backend}`);
  }
  await tf.ready();
  const p2p = await import(pathToFileURL(path.join(o.dist, 'index.js')).href);
  const G = p2p.unetGenerator({ imageSize: size, inputChannels: 3, outputChannels: 3, filters: 64, norm: o.norm, dropout: 0.5, seed: 1 });
  const D = p2p.patchDiscriminator({ receptiveField: 70, inputChannels: 3, targetChannels: 3, filters: 64, norm: o.norm, conditional: true, imageSize: size, seed: 2 });
  const trainer = new p2p.Trainer({ generator: G, discriminator: D, loss: p2p.compositeLoss({ lambda: 100, gan: o.gan, reconstruction: 'l1' }), seed: 3 });
  const input = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 4);
  const target = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 5);
  const gFlops = forwardFlops(G, size);
  const dFlops = forwardFlops(D, size);
  const reps = backend === 'cpu' && o.cpuReps ? o.cpuReps : o.reps;

  let tensorsAfterWarmup = 0;
  const timed = async (fn) => {
    for (let i = 0; i < o.warmup; i++) await fn();
    tensorsAfterWarmup = tf.memory().numTensors;
    const ms = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    return ms;
  };
  const infer = async () => {
    const y = G.predict(input);
    await y.data();
    y.dispose();
  };
  // The wasm heap only grows, so its size after a phase is that phase's peak (plus fragmentation).
  const heapBytes = () => (backend === 'wasm' ? tf.backend().wasm.HEAPU8.length : null);
  const inferMs = await timed(infer);
  const inferHeap = heapBytes();
  const stepMs = await timed(() => trainer.trainStep({ input, target }));
  const stepHeap = heapBytes();
  const leaked = tf.memory().numTensors - tensorsAfterWarmup; // Adam's state is created in the warm-up step

  let profile = null;
  if (o.profile === size) {
    const prof = await tf.profile(() => trainer.trainStep({ input, target }));
    const byKernel = new Map();
    for (const k of prof.kernels) {
      const t = await k.kernelTimeMs;
      const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
      e.ms += typeof t === 'number' ? t : 0;
      e.calls++;
      byKernel.set(k.name, e);
    }
    profile = [...byKernel.entries()].map(([name, e]) => ({ name, ms: Math.round(e.ms), calls: e.calls })).sort((a, b) => b.ms - a.ms);
  }
  const out = {
    backend,
    size,
    threads,
    stepMs,
    inferMs,
    flops: { generatorForward: gFlops, discriminatorForward: dFlops, step: 3 * gFlops + 9 * dFlops },
    peakRssKb: process.resourceUsage().maxRSS,
    heapMb: stepHeap === null ? null : { infer: Math.round(inferHeap / 2 ** 20), step: Math.round(stepHeap / 2 ** 20) },
    leakedTensorsPerStep: leaked / reps,
    note: note.join(' '),
    profile,
  };
  process.stdout.write(`\n@@RESULT ${JSON.stringify(out)}\n`);
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------ parent

function runChild(o, backend, size) {
  const args = [fileURLToPath(import.meta.url), '--child', backend, String(size), '--reps', String(o.reps), '--warmup', String(o.warmup), '--dist', o.dist];
  if (o.cpuReps) args.push('--cpu-reps', String(o.cpuReps));
  if (o.threads) args.push('--threads', String(o.threads));
  if (o.profile) args.push('--profile', String(o.profile));
  args.push('--gan', o.gan, '--norm', o.norm);
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) return { backend, size, error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(line.slice('@@RESULT '.length));
}

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

function runTorch(o, size, probe) {
  const refusal = torchRefusal(o, probe);
  if (refusal) return { backend: 'pytorch', size, error: refusal };
  const r = spawnSync(
    o.python,
    [path.join(here, 'torch_reference.py'), '--size', String(size), '--reps', String(o.reps), '--warmup', String(o.warmup), '--threads', String(o.torchThreads)],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) return { backend: 'pytorch', size, error: (r.stderr || '').trim().split('\n').slice(-3).join(' | ') };
  const res = JSON.parse(r.stdout.trim().split('\n').pop());
  const name = res.blas.kind === 'reference' ? 'pytorch (reference BLAS!)' : 'pytorch';
  return { backend: name, size, threads: res.threads, stepMs: res.stepMs, inferMs: res.inferMs, peakRssKb: res.peakRssKb, note: `torch ${res.torch}, BLAS ${res.blas.kind}`, blas: res.blas, params: res.params };
}

function table(results, o) {
  const isTorch = (r) => r.backend.startsWith('pytorch');
  const torchBy = new Map(results.filter((r) => isTorch(r) && !r.error).map((r) => [r.size, r]));
  // A ratio against a PyTorch row that is not like for like is marked with '*'.
  const mark = (t) => (t.blas?.kind === 'reference' || o.gan !== 'vanilla' || o.norm !== 'batch' ? '*' : '');
  const flopsBy = new Map(results.filter((r) => r.flops).map((r) => [r.size, r.flops]));
  const rows = [
    '| backend | size | threads | train ms/step | GFLOP/s | ratio to PyTorch | infer ms | infer ratio | peak RSS MB | wasm heap MB (infer / step) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    if (r.error) {
      rows.push(`| ${r.backend} | ${r.size} | | skipped: ${r.error.replace(/\|/g, '/')} | | | | | | |`);
      continue;
    }
    const step = median(r.stepMs);
    const inf = median(r.inferMs);
    const f = flopsBy.get(r.size);
    const t = torchBy.get(r.size);
    const gflops = f ? (f.step / step / 1e6).toFixed(1) : '';
    const ratio = t && !isTorch(r) ? `${(step / median(t.stepMs)).toFixed(2)}${mark(t)}` : '';
    const iratio = t && !isTorch(r) ? `${(inf / median(t.inferMs)).toFixed(2)}${mark(t)}` : '';
    const heap = r.heapMb ? `${r.heapMb.infer} / ${r.heapMb.step}` : '';
    rows.push(
      `| ${r.backend} | ${r.size} | ${r.threads ?? ''} | ${step.toFixed(0)} | ${gflops} | ${ratio} | ${inf.toFixed(0)} | ${iratio} | ${(r.peakRssKb / 1024).toFixed(0)} | ${heap} |`,
    );
  }
  return rows.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) return child(o);
  const results = [];
  const log = (s) => process.stderr.write(`${s}\n`);
  const probe = o.torch ? probeTorch(o) : null;
  if (probe) log(probe.error ?? `PyTorch ${probe.torch}, BLAS: ${probe.blas.kind}${probe.blas.path ? ` (${probe.blas.path})` : ''}`);
  for (const size of o.sizes) {
    if (o.torch) {
      log(`pytorch ${size} ...`);
      results.push(runTorch(o, size, probe));
    }
    for (const backend of o.backends) {
      if (backend === 'cpu' && size !== 64) continue; // pure JS: ~minutes per step beyond 64x64
      if (backend === 'tensorflow') {
        try {
          await import('@tensorflow/tfjs-node');
        } catch {
          if (size === o.sizes[0]) results.push({ backend, size, error: '@tensorflow/tfjs-node is not installed' });
          continue;
        }
      }
      log(`${backend} ${size} ...`);
      results.push(runChild(o, backend, size));
    }
  }
  const md = table(results, o);
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
    loadavg: os.loadavg(),
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
  process.stdout.write(`${md}\n\n${blasLine}${marked}step GFLOP/s use the nominal flops of one PyTorch-style step (3 x G forward + 9 x D forward); medians of ${o.reps} after ${o.warmup} warm-up.\n`);
  for (const r of results) if (r.profile) process.stdout.write(`\nkernel profile (${r.backend} ${r.size}, one step, ms): ${r.profile.slice(0, 15).map((k) => `${k.name} ${k.ms} (${k.calls})`).join(', ')}\n`);
  process.stdout.write(`\nJSON: ${path.relative(root, file)}\n`);
  // ONNX Runtime rows for the exported generator (bench/deploy.mjs; onnxruntime-node only when installed).
  process.stdout.write(`\n${await (await import('./deploy.mjs')).deployRows({ sizes: o.sizes, reps: o.reps, dist: o.dist })}\n`);
}

await main();
