#!/usr/bin/env node
// Deployment figures for README "Deploy": for a U-Net generator (filters 64, batch norm) at each size,
// the tfjs export's file sizes and output error of float16 / uint8 weights against float32, the ONNX
// file size, and generator inference times in onnxruntime-web (wasm, in Node) and, when installed,
// onnxruntime-node. Uses the BUILT package (dist/). `npm run bench` calls deployRows() for its extra rows;
// alone: node bench/deploy.mjs [--sizes 256] [--reps 5]
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function timeSession(ort, bytes, input, dims, reps) {
  const session = await ort.InferenceSession.create(bytes);
  const feed = { input: new ort.Tensor('float32', input, dims) };
  await session.run(feed); // warm-up
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await session.run(feed);
    ms.push(performance.now() - t);
  }
  await session.release();
  return ms;
}

/** Measures one size; returns a plain object (sizes in bytes, errors in [-1, 1] units, times in ms). */
export async function deployFigures({ size = 256, reps = 5, dist = path.join(root, 'dist') } = {}) {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  const p = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  // The wasm backend (much faster than cpu for a 256 U-Net); cpu when it is not installed.
  const backend = await import(pathToFileURL(path.join(dist, 'wasm.js')).href)
    .then((w) => w.initWasmBackend())
    .then(() => 'wasm', () => tf.setBackend('cpu').then(() => 'cpu'));
  const G = p.unetGenerator({ imageSize: size, filters: 64, norm: 'batch', seed: 0 });
  // A facade label map as input (the bundled data set), so activations are in a realistic range.
  const s = p.facadeSample(0, { size, seed: 0 });
  const x = tf.tensor4d(Float32Array.from(s.labelRgb, (v) => v / 127.5 - 1), [1, size, size, 3]);
  const ref = G.predict(x);
  const out = { size, backend, tfjs: {}, onnx: {} };
  for (const q of ['float32', 'float16', 'uint8']) {
    const exp = await p.exportTfjsGenerator(G, { quantize: q });
    const M = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: exp.modelJson.modelTopology, weightSpecs: exp.modelJson.weightsManifest[0].weights, weightData: exp.weights.slice().buffer }));
    const y = M.predict(x);
    const d = tf.abs(tf.sub(y, ref));
    out.tfjs[q] = { weightsBytes: exp.weights.byteLength, modelJsonBytes: JSON.stringify(exp.modelJson).length, maxAbsError: tf.max(d).dataSync()[0], meanAbsError: tf.mean(d).dataSync()[0] };
    tf.dispose([y, d]);
    M.dispose();
  }
  const bytes = p.exportOnnxGenerator(G);
  out.onnx.bytes = bytes.byteLength;
  const input = x.dataSync().slice();
  const dims = [1, size, size, 3];
  try {
    const ortWeb = await import('onnxruntime-web');
    ortWeb.env.wasm.numThreads = 1;
    out.onnx.webWasmMs = await timeSession(ortWeb, bytes, input, dims, reps);
  } catch (e) {
    out.onnx.webWasmError = String(e.message ?? e);
  }
  try {
    const ortNode = await import('onnxruntime-node');
    out.onnx.nodeMs = await timeSession(ortNode, bytes, input, dims, reps);
  } catch (e) {
    out.onnx.nodeError = e.code === 'ERR_MODULE_NOT_FOUND' ? 'onnxruntime-node is not installed' : String(e.message ?? e);
  }
  tf.dispose([x, ref]);
  G.dispose();
  return out;
}

/** ONNX Runtime inference times (ms) of the exported U-Net at `size`: onnxruntime-web (wasm) and -node when installed. */
export async function onnxTimes({ size = 256, reps = 5, dist = path.join(root, 'dist') } = {}) {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const p = await import(pathToFileURL(path.join(dist, 'index.js')).href);
  await tf.setBackend('cpu');
  const G = p.unetGenerator({ imageSize: size, filters: 64, norm: 'batch', seed: 0 });
  const bytes = p.exportOnnxGenerator(G);
  G.dispose();
  const s = p.facadeSample(0, { size, seed: 0 });
  const input = Float32Array.from(s.labelRgb, (v) => v / 127.5 - 1);
  const dims = [1, size, size, 3];
  const out = { size };
  try {
    const ortWeb = await import('onnxruntime-web');
    ortWeb.env.wasm.numThreads = 1;
    out.webWasmMs = await timeSession(ortWeb, bytes, input, dims, reps);
  } catch (e) {
    out.webWasmError = String(e.message ?? e);
  }
  try {
    const ortNode = await import('onnxruntime-node');
    out.nodeMs = await timeSession(ortNode, bytes, input, dims, reps);
  } catch (e) {
    out.nodeError = e.code === 'ERR_MODULE_NOT_FOUND' ? 'onnxruntime-node is not installed (npm i --ignore-scripts onnxruntime-node)' : String(e.message ?? e);
  }
  return out;
}

/** Markdown rows for `npm run bench`: ONNX Runtime inference of the exported generator beside the tfjs rows. */
export async function deployRows({ sizes = [256], reps = 5, dist } = {}) {
  const rows = ['| engine (ONNX export, U-Net filters 64) | size | infer ms (median) |', '|---|---|---|'];
  for (const size of sizes) {
    const t = await onnxTimes({ size, reps, dist });
    rows.push(`| onnxruntime-web (wasm, 1 thread, in Node) | ${size} | ${t.webWasmMs ? median(t.webWasmMs).toFixed(0) : `skipped: ${t.webWasmError}`} |`);
    rows.push(`| onnxruntime-node (cpu) | ${size} | ${t.nodeMs ? median(t.nodeMs).toFixed(0) : `skipped: ${t.nodeError}`} |`);
  }
  return rows.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const get = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
  const sizes = get('--sizes', '256').split(',').map(Number);
  const reps = Number(get('--reps', '5'));
  for (const size of sizes) {
    const f = await deployFigures({ size, reps });
    const m = (xs) => (xs ? median(xs).toFixed(0) : 'n/a');
    process.stdout.write(`${JSON.stringify({ ...f, onnx: { ...f.onnx, webWasmMedianMs: m(f.onnx.webWasmMs), nodeMedianMs: m(f.onnx.nodeMs) } }, null, 2)}\n`);
  }
  process.exit(0);
}
