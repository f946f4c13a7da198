#!/usr/bin/env node
// Per-kernel timings on the pix2pix 256x256 convolution shapes (U-Net + 70x70 PatchGAN), wasm backend:
// tfjs' own kernels against the ones enableWasmTraining() registers. Alternatives are measured in
// the same process, interleaved, so their ratios are comparable on a noisy machine.
//
//   node bench/kernels.mjs [--dist DIR] [--threads N] [--xnnpack-threads N] [--reps 3] [--size 256] [--only dx|dw|fwd] [--torch]
//                          [--dx-methods] [--conv-methods] [--transpose] [--gemm] [--own-gemm [--tiles] [--mkn M,K,N;...]]
//
// --torch also times each layer's forward pass in PyTorch CPU (bench/torch_layers.py, 2 threads, with
// /usr/bin/python3) and prints the ratio of the wasm forward (XNNPACK conv for convolutions, our
// Conv2DBackpropInput for the decoder's transposed convolutions) to PyTorch's.
//
// --dx-methods also times both algorithms of our Conv2DBackpropInput (phases, weight GEMM) with a new
// filter on every call, as in training, where preferGemm() picks one per layer (compiled from src/
// with esbuild, which the build tools already install).
//
// --conv-methods times both algorithms of our Conv2D (XNNPACK, weight GEMM) with a new filter on every
// call, as in training, where preferWeightGemm() picks one per layer; the layer list's G "up" rows are
// also the shapes of the decoder's backward convolutions.
//
// --gemm times the matrix products the kernels run (M x K times K x N, a new right operand on every
// call, as in training) as a 1x1 Conv2D and as BatchMatMul, the two XNNPACK paths KernelScope.gemm()
// chooses between by M.
//
// --own-gemm times the same products on our own packed SIMD GEMM (gemm_simd.ts: fused multiply-add
// where the engine has relaxed SIMD, mul+add otherwise, both where it has) against KernelScope.gemm()
// on XNNPACK, interleaved, and prints the largest relative difference between them; with --tiles,
// the microkernel's tile shapes and depth unrolling instead, on one thread; --mkn picks the products.
//
// --transpose times an 8192x1024 float32 transpose: the backend's Transpose kernel against the blocked
// JavaScript transposeInto() the kernels use, at several block sizes.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const dist = path.resolve(opt('dist', path.join(here, '..', 'dist')));
const reps = Number(opt('reps', 3));
const size = Number(opt('size', 256));
const only = opt('only', null);
const threads = opt('threads', null);
const withTorch = args.includes('--torch');
const internals = args.some((a) => ['--dx-methods', '--conv-methods', '--transpose', '--own-gemm'].includes(a)) ? await loadInternals() : null;
const dxMethods = args.includes('--dx-methods') ? internals : null;
const convMethods = args.includes('--conv-methods') ? internals : null;

/** The internal kernel algorithms, bundled from the TypeScript source. */
async function loadInternals() {
  const { build } = await import('esbuild');
  const outfile = path.join(here, '..', '.cache', 'bench-kernel-internals.mjs');
  const wasmDir = path.join(here, '..', 'src', 'backends', 'wasm');
  await build({
    stdin: {
      contents: ['conv2d_backprop_input', 'conv2d', 'kernel_scope', 'transpose_simd', 'gemm_simd', 'wasm_module'].map((m) => `export * from './${m}.ts';`).join('\n'),
      resolveDir: wasmDir,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    external: ['@tensorflow/*'],
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}

const { initWasmBackend } = await import(pathToFileURL(path.join(dist, 'wasm.js')).href);
const original = {
  Conv2DBackpropInput: tf.getKernel('Conv2DBackpropInput', 'wasm'),
};
// Import the backend first to capture its own Conv2DBackpropInput before enableWasmTraining replaces it.
await import('@tensorflow/tfjs-backend-wasm');
original.Conv2DBackpropInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
// The bundled internals are a second copy of the module: tell it which kernels are the backend's own.
if (internals) for (const name of ['Conv2D', 'FusedConv2D']) internals.rememberBaseKernel(tf.getKernel(name, 'wasm'));
// XNNPACK on as many threads as our kernels (--xnnpack-threads N: another count), so that every row
// compares engines with equal threads; training runs XNNPACK on one (initWasmBackend's Node default).
const xnnpackThreads = opt('xnnpack-threads', null);
const T = threads ? Number(threads) : undefined;
const info = await initWasmBackend({ threads: T, xnnpackThreads: xnnpackThreads ? Number(xnnpackThreads) : T ?? Math.min(8, os.cpus().length) });
const ours = { Conv2DBackpropInput: tf.getKernel('Conv2DBackpropInput', 'wasm'), Conv2DBackpropFilter: tf.getKernel('Conv2DBackpropFilter', 'wasm') };
console.log(`wasm threads=${info.threads} xnnpack threads=${info.xnnpackThreads} simd=${info.simd}`);

if (args.includes('--transpose')) {
  const [R, C] = [8192, 1024];
  const w = tf.randomNormal([R, C]);
  const b = tf.backend();
  const row = [`transpose ${R}x${C}: backend Transpose ${time(() => tf.tidy(() => { tf.transpose(w).dataSync(); })).toFixed(1)} ms`];
  for (const block of [8, 16, 32, 64]) {
    const ms = time(() => {
      const out = b.makeOutput([C, R], 'float32');
      internals.transposeInto(b.typedArrayFromHeap(w), 0, R, C, b.typedArrayFromHeap(out), 0, block);
      b.disposeData(out.dataId);
    });
    row.push(`JS ${block}x${block} blocks ${ms.toFixed(1)} ms`);
  }
  const ms = time(() => {
    const out = b.makeOutput([C, R], 'float32');
    internals.transposeInto(b.typedArrayFromHeap(w), 0, R, C, b.typedArrayFromHeap(out), 0);
    b.disposeData(out.dataId);
  });
  row.push(`transposeInto ${ms.toFixed(1)} ms`);
  const simdMs = time(() => {
    const out = b.makeOutput([C, R], 'float32');
    internals.heapTranspose(b, b.typedArrayFromHeap(w), 0, R, C, b.typedArrayFromHeap(out), 0);
    b.disposeData(out.dataId);
  });
  row.push(`heapTranspose (SIMD) ${simdMs.toFixed(1)} ms`);
  console.log(row.join(' | '));
  w.dispose();
  process.exit(0);
}

if (args.includes('--own-gemm')) {
  const med = (a) => (a.length ? a.sort((x, y) => x - y)[a.length >> 1] : NaN);
  const b = tf.backend();
  const heap = (t) => b.typedArrayFromHeap(t);
  const memory = internals.backendMemory(b);
  const T = internals.backendThreads(b);
  const mul = internals.gemmKernelsFor(memory, false);
  const fma = internals.gemmKernelsFor(memory, true);
  // --tiles: the microkernel's tile width (8 or 12 columns) and depth unrolling, one thread.
  const tiles = [[8, 1], [8, 2], [8, 4], [12, 1], [12, 2]].map(([nr, u]) => [`${fma ? 'fma' : 'mul+add'} 4x${nr} unroll ${u}`, internals.gemmKernelsFor(memory, fma !== null, nr, u), 1]);
  const variants = (args.includes('--tiles') ? tiles : [[`mul+add x${T}`, mul, T], ['fma x1', fma, 1], [`fma x${T}`, fma, T]]).filter(([, k]) => k);
  console.log(`relaxed SIMD: ${internals.hasRelaxedSimd()}`);
  const products = opt('mkn', null)?.split(';').map((s) => s.split(',').map(Number)) ?? [[48, 16384, 128], [96, 16384, 64], [1024, 4096, 128], [2048, 1024, 256], [1024, 8192, 64], [4096, 512, 961], [8192, 1024, 64], [961, 4096, 512], [4096, 1024, 128], [256, 4096, 512]];
  for (const [M, K, N] of products) {
    const a = tf.randomNormal([M, K]);
    const times = { xnnpack: [], ...Object.fromEntries(variants.map(([n]) => [n, []])) };
    let maxRel = 0;
    for (let i = 0; i <= reps; i++) {
      const bm = tf.randomNormal([K, N]); // a new right operand every call, as in training
      bm.dataSync();
      const t0 = performance.now();
      const scope = new internals.KernelScope(b);
      const ref = scope.gemm(a, bm, M, K, N, { engine: 'xnnpack' });
      void heap(ref)[0];
      const t1 = performance.now();
      if (i > 0) times.xnnpack.push(t1 - t0);
      for (const [name, kernels, threads] of variants) {
        const t2 = performance.now();
        const c = b.makeOutput([M, N], 'float32');
        const scratch = b.makeOutput([internals.gemmScratchLength(M, N, K, kernels.nr)], 'float32');
        const ok = internals.gemmHeap(b, { data: heap(a), transposed: false }, { data: heap(bm), transposed: false }, heap(c), M, N, K, heap(scratch), kernels, threads);
        const t3 = performance.now();
        if (!ok) throw new Error('gemmHeap refused');
        if (i > 0) times[name].push(t3 - t2);
        const r = heap(ref);
        const o = heap(c);
        let d = 0;
        let s = 0;
        for (let j = 0; j < M * N; j++) {
          d = Math.max(d, Math.abs(o[j] - r[j]));
          s = Math.max(s, Math.abs(r[j]));
        }
        maxRel = Math.max(maxRel, d / s);
        b.disposeData(c.dataId);
        b.disposeData(scratch.dataId);
      }
      scope.dispose();
      bm.dispose();
    }
    const gf = (ms) => `${ms.toFixed(1)} ms ${((2 * M * K * N) / ms / 1e6).toFixed(1)} GF/s`;
    console.log(`M ${M} K ${K} N ${N}: ` + Object.entries(times).map(([n, t]) => `${n} ${gf(med(t))}`).join(' | ') + ` | max rel diff ${maxRel.toExponential(1)}`);
    a.dispose();
  }
  process.exit(0);
}

if (args.includes('--gemm')) {
  const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  // Weight-gradient, weight-GEMM and input-gradient shapes of the 256x256 step.
  for (const [M, K, N] of [[48, 16384, 128], [96, 16384, 64], [1024, 4096, 128], [2048, 1024, 256], [1024, 8192, 64], [4096, 512, 961], [8192, 1024, 64]]) {
    const a = tf.randomNormal([M, K]);
    const conv = [];
    const mm = [];
    for (let i = 0; i <= reps; i++) {
      for (const [list, run] of [
        [conv, (b) => tf.conv2d(tf.reshape(a, [1, 1, M, K]), tf.reshape(b, [1, 1, K, N]), 1, 'valid')],
        [mm, (b) => tf.matMul(a, b)],
      ]) {
        const b = tf.randomNormal([K, N]);
        b.dataSync();
        const t0 = performance.now();
        const y = run(b);
        y.dataSync();
        if (i > 0) list.push(performance.now() - t0);
        tf.dispose([y, b]);
      }
    }
    const gf = (ms) => `${ms.toFixed(1)} ms ${((2 * M * K * N) / ms / 1e6).toFixed(1)} GF/s`;
    console.log(`M ${M} K ${K} N ${N}: 1x1 Conv2D ${gf(med(conv))} | BatchMatMul ${gf(med(mm))}`);
    a.dispose();
  }
  process.exit(0);
}


/** The convolutions of the U-Net encoder / PatchGAN (stride 2 and 1) and the decoder (transposed). */
function shapes(S) {
  const out = [];
  const n = Math.log2(S);
  const ch = [3, ...Array.from({ length: n }, (_, i) => Math.min(64 * 2 ** i, 512))];
  let s = S;
  for (let i = 0; i < n; i++) {
    out.push({ name: `G down${i} ${s}->${s / 2} ${ch[i]}->${ch[i + 1]}`, x: [1, s, s, ch[i]], w: [4, 4, ch[i], ch[i + 1]], strides: 2, pad: 'same' });
    s /= 2;
  }
  for (let i = n - 1; i >= 0; i--) {
    const cin = ch[i + 1] * (i === n - 1 ? 1 : 2);
    // transposed conv s -> 2s, cin -> cout == input gradient of a conv 2s -> s, cout -> cin
    out.push({ name: `G up${i} ${s}->${2 * s} ${cin}->${ch[i]}`, x: [1, 2 * s, 2 * s, ch[i]], w: [4, 4, ch[i], cin], strides: 2, pad: 'same', transposed: true });
    s *= 2;
  }
  const dch = [6, 64, 128, 256];
  s = S;
  for (let i = 0; i < 3; i++) {
    out.push({ name: `D conv${i} ${s}->${s / 2} ${dch[i]}->${dch[i + 1]}`, x: [1, s, s, dch[i]], w: [4, 4, dch[i], dch[i + 1]], strides: 2, pad: 'same' });
    s /= 2;
  }
  const p1 = [[0, 0], [1, 1], [1, 1], [0, 0]];
  out.push({ name: `D conv3 ${s}->${s - 1} 256->512 s1`, x: [1, s, s, 256], w: [4, 4, 256, 512], strides: 1, pad: p1 });
  out.push({ name: `D conv4 ${s - 1}->${s - 2} 512->1 s1`, x: [1, s - 1, s - 1, 512], w: [4, 4, 512, 1], strides: 1, pad: p1 });
  return out;
}

function time(fn) {
  fn();
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[ms.length >> 1];
}

const backend = tf.backend();
original.Conv2DBackpropInput.setupFunc?.(backend); // unregistered before init: never set up
function runKernel(config, inputs, attrs) {
  const out = config.kernelFunc({ inputs, backend, attrs });
  backend.disposeData(out.dataId);
}

/** Forward times of every layer in PyTorch CPU, by name (empty when torch is not available). */
function torchForward(layers) {
  const input = layers.map((c) => ({ name: c.name, x: c.x, w: c.w, strides: c.strides, pad: c.pad, transposed: c.transposed === true }));
  const r = spawnSync('/usr/bin/python3', [path.join(here, 'torch_layers.py'), '--threads', '2', '--reps', String(reps)], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.log(`PyTorch reference skipped: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`);
    return new Map();
  }
  return new Map(JSON.parse(r.stdout).map((l) => [l.name, l.ms]));
}
const torchMs = withTorch ? torchForward(shapes(size)) : new Map();

let tot = { fwd: 0, dxOrig: 0, dx: 0, dw: 0, torch: 0, wasmFwd: 0 };
for (const c of shapes(size)) {
  const x = tf.randomNormal(c.x);
  const w = tf.randomNormal(c.w);
  const y = tf.conv2d(x, w, c.strides, c.pad);
  const dy = tf.randomNormal(y.shape);
  const macs = y.shape[1] * y.shape[2] * c.w.reduce((a, b) => a * b, 1);
  const attrs = { strides: [c.strides, c.strides], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
  const row = [c.name.padEnd(34)];
  const fwdOf = {};
  const gf = (ms) => `${ms.toFixed(1).padStart(8)} ms ${((2 * macs) / ms / 1e6).toFixed(1).padStart(5)} GF/s`;
  if (!only || only === 'fwd') {
    const ms = time(() => { const t = tf.conv2d(x, w, c.strides, c.pad); t.dataSync(); t.dispose(); });
    tot.fwd += ms;
    fwdOf.fwd = ms;
    row.push(`fwd ${gf(ms)}`);
  }
  if (!only || only === 'dx') {
    const ms = time(() => runKernel(ours.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: c.x }));
    tot.dx += ms;
    fwdOf.dx = ms;
    row.push(`dx ${gf(ms)}`);
    if (macs < 2e9 && process.env.ORIG !== '0') {
      const ms0 = time(() => runKernel(original.Conv2DBackpropInput, { dy, filter: w }, { ...attrs, inputShape: c.x }));
      tot.dxOrig += ms0;
      row.push(`dx(tfjs) ${gf(ms0)}`);
    }
  }
  if (dxMethods) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.strides, 1, c.pad, undefined, false, 'channelsLast');
    row.push(`picks ${dxMethods.preferGemm(info) ? 'gemm' : 'phases'}`);
    for (const method of ['phases', 'gemm']) {
      const filters = Array.from({ length: reps + 1 }, () => tf.randomNormal(c.w)); // a new filter per call
      let i = 0;
      const ms = time(() => {
        const out = dxMethods.conv2DBackpropInputWasm({ inputs: { dy, filter: filters[i++] }, backend, attrs: { ...attrs, inputShape: c.x } }, method);
        backend.disposeData(out.dataId);
      });
      tf.dispose(filters);
      row.push(`dx ${method} ${gf(ms)}`);
    }
  }
  if (convMethods) {
    const info = tf.backend_util.computeConv2DInfo(c.x, c.w, c.strides, 1, c.pad, undefined, false, 'channelsLast');
    row.push(`conv picks ${convMethods.preferWeightGemm(info) ? 'gemm' : 'xnnpack'}`);
    for (const method of ['xnnpack', 'gemm']) {
      const filters = Array.from({ length: reps + 1 }, () => tf.randomNormal(c.w)); // a new filter per call
      let i = 0;
      const ms = time(() => {
        const out = convMethods.conv2dWasm({ inputs: { x, filter: filters[i++] }, backend, attrs: { ...attrs, dilations: [1, 1] } }, false, method);
        backend.disposeData(out.dataId);
      });
      tf.dispose(filters);
      row.push(`conv ${method} ${gf(ms)}`);
    }
  }
  if (!only || only === 'dw') {
    const ms = time(() => runKernel(ours.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape: c.w }));
    tot.dw += ms;
    row.push(`dW ${gf(ms)}`);
  }
  const t = torchMs.get(c.name);
  if (t !== undefined) {
    // The layer's forward pass: the convolution itself, or (decoder) the transposed conv = our dx kernel.
    const mine = c.transposed ? fwdOf.dx : fwdOf.fwd;
    if (mine !== undefined) {
      tot.torch += t;
      tot.wasmFwd += mine;
      row.push(`torch fwd ${gf(t)} | wasm/torch ${(mine / t).toFixed(2)}`);
    }
  }
  console.log(row.join(' | '));
  tf.dispose([x, w, y, dy]);
}
console.log('totals (ms):', Object.fromEntries(Object.entries(tot).map(([k, v]) => [k, Math.round(v)])));
if (tot.torch > 0) {
  console.log(
    `layer forward passes: wasm ${Math.round(tot.wasmFwd)} ms, PyTorch ${Math.round(tot.torch)} ms, ratio ${(tot.wasmFwd / tot.torch).toFixed(2)}`,
  );
}
