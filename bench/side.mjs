#!/usr/bin/env node
// One JS side of `npm run bench` (bench/run.mjs), as a server so the parent can interleave the sides one
// repetition at a time: it builds the networks for one (engine, size), warms up, prints `@@READY {...}`,
// then answers each stdin line: `infer` and `step` with `@@MS <ms>` (one timed repetition), `profile` with
// `@@PROFILE [...]` (one profiled step), `profile-calls` with one profiled step's kernels grouped by name
// and input shapes, slowest first, a line each (`printf 'step\nprofile-calls\nfinish\n' | node
// bench/side.mjs wasm 256`: where a step's time goes), `profile-infer-calls` the same for one inference, `finish` with `@@DONE {...}` (memory, leaks) and exits.
//
//   node bench/side.mjs <wasm|cpu|tensorflow|onnxruntime> <size> [--warmup 1] [--threads N] [--xnnpack-threads N] [--dist DIR]
//                       [--gan vanilla] [--norm batch]
// `onnxruntime` runs the generator's ONNX export in onnxruntime-node (inference only; `step` answers
// `@@MS null`). Uses the BUILT package (dist/).
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { engine: argv[0], size: Number(argv[1]), warmup: 1, threads: null, xnnpackThreads: null, dist: path.join(here, '..', 'dist'), gan: 'vanilla', norm: 'batch' };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--xnnpack-threads') o.xnnpackThreads = Number(next());
    else if (a === '--dist') o.dist = path.resolve(next());
    else if (a === '--gan') o.gan = next();
    else if (a === '--norm') o.norm = next();
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** Multiply-add flops of one forward pass (2 per MAC) of a LayersModel, from its conv layers' shapes. */
export function forwardFlops(model, size) {
  // The networks are fully convolutional (spatial dims unknown): walk the graph with concrete shapes.
  const shapes = new Map();
  let flops = 0;
  for (const layer of model.layers) {
    const node = layer.inboundNodes[0];
    const ins = node.inboundLayers.map((l) => shapes.get(l.name));
    const out = ins.length === 0 ? [1, size, size, layer.batchInputShape[3]] : layer.computeOutputShape(ins.length === 1 ? ins[0] : ins);
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

/** Sets up the tfjs backend of `engine`; returns its thread count and notes. */
async function setBackend(tf, o) {
  if (o.engine === 'wasm') {
    const { initWasmBackend } = await import(pathToFileURL(path.join(o.dist, 'wasm.js')).href);
    const info = await initWasmBackend({ ...(o.threads ? { threads: o.threads } : {}), ...(o.xnnpackThreads ? { xnnpackThreads: o.xnnpackThreads } : {}) });
    return { threads: info.threads, note: `simd=${info.simd}` };
  }
  if (o.engine === 'cpu' || o.engine === 'onnxruntime') {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    return { threads: o.engine === 'onnxruntime' ? (o.threads ?? 2) : 1, note: '' };
  }
  if (o.engine === 'tensorflow') {
    await import('@tensorflow/tfjs-node');
    await tf.setBackend('tensorflow');
    return { threads: null, note: '' };
  }
  throw new Error(`unknown engine ${o.engine}`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-layers');
  const { threads, note } = await setBackend(tf, o);
  await tf.ready();
  const p2p = await import(pathToFileURL(path.join(o.dist, 'index.js')).href);
  const size = o.size;
  const G = p2p.unetGenerator({ imageSize: size, inputChannels: 3, outputChannels: 3, filters: 64, norm: o.norm, dropout: 0.5, seed: 1 });
  const input = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 4);
  const gFlops = forwardFlops(G, size);
  let infer;
  let step = null;
  let D = null;
  if (o.engine === 'onnxruntime') {
    const { onnxruntimeEngine } = await import(pathToFileURL(path.join(o.dist, 'node.js')).href);
    const engine = await onnxruntimeEngine(G, { threads });
    infer = async () => (await engine.run(input, { mode: 'inference', seed: 0 })).dispose();
  } else {
    D = p2p.patchDiscriminator({ receptiveField: 70, inputChannels: 3, targetChannels: 3, filters: 64, norm: o.norm, conditional: true, imageSize: size, seed: 2 });
    const trainer = new p2p.Trainer({ generator: G, discriminator: D, loss: p2p.compositeLoss({ lambda: 100, gan: o.gan, reconstruction: 'l1' }), seed: 3 });
    const target = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 5);
    infer = async () => {
      const y = G.predict(input);
      await y.data();
      y.dispose();
    };
    step = () => trainer.trainStep({ input, target });
  }
  const dFlops = D ? forwardFlops(D, size) : 0;
  // The wasm heap only grows, so its size after a phase is that phase's peak (plus fragmentation).
  const heapBytes = () => (o.engine === 'wasm' ? tf.backend().wasm.HEAPU8.length : null);
  for (let i = 0; i < o.warmup; i++) await infer();
  const inferHeap = heapBytes();
  if (step) for (let i = 0; i < o.warmup; i++) await step(); // Adam's state is created in the warm-up step
  const tensorsAfterWarmup = tf.memory().numTensors;
  let steps = 0;
  const out = (line) => process.stdout.write(`${line}\n`);
  out(`@@READY ${JSON.stringify({ engine: o.engine, size, threads, note, flops: { generatorForward: gFlops, discriminatorForward: dFlops, step: 3 * gFlops + 9 * dFlops } })}`);
  const lines = readline.createInterface({ input: process.stdin });
  for await (const cmd of lines) {
    if (cmd === 'infer' || cmd === 'step') {
      const fn = cmd === 'infer' ? infer : step;
      if (!fn) {
        out('@@MS null');
        continue;
      }
      const t0 = performance.now();
      await fn();
      out(`@@MS ${performance.now() - t0}`);
      if (cmd === 'step') steps++;
    } else if (cmd === 'profile' || cmd === 'profile-calls' || cmd === 'profile-infer-calls') {
      // By kernel name, or (profile-calls) by kernel name and input shapes; an op's time also shows as its kernel's.
      const fn = cmd === 'profile-infer-calls' ? infer : step;
      const prof = fn ? await tf.profile(fn) : { kernels: [] };
      const byKernel = new Map();
      for (const k of prof.kernels) {
        if (cmd !== 'profile' && k.name.endsWith('__op')) continue;
        const key = cmd === 'profile' ? k.name : `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
        const t = await k.kernelTimeMs;
        const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
        e.ms += typeof t === 'number' ? t : 0;
        e.calls++;
        byKernel.set(key, e);
      }
      const list = [...byKernel.entries()].map(([name, e]) => ({ name, ms: Math.round(e.ms * 10) / 10, calls: e.calls })).sort((a, b) => b.ms - a.ms);
      if (cmd === 'profile') out(`@@PROFILE ${JSON.stringify(list)}`);
      else for (const e of list) out(`${String(e.ms).padStart(8)} ms ${String(e.calls).padStart(4)}x  ${e.name}`);
    } else if (cmd === 'finish') {
      const stepHeap = heapBytes();
      out(`@@DONE ${JSON.stringify({
        peakRssKb: process.resourceUsage().maxRSS,
        heapMb: stepHeap === null ? null : { infer: Math.round(inferHeap / 2 ** 20), step: Math.round(stepHeap / 2 ** 20) },
        leakedTensorsPerStep: steps > 0 ? (tf.memory().numTensors - tensorsAfterWarmup) / steps : null,
      })}`);
      break;
    }
  }
  process.exit(0);
}

await main();
