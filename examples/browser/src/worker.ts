// The training worker: owns tfjs, the backend, the generator, the discriminator and the Trainer, so the
// page stays responsive while it trains. It speaks the messages of protocol.ts.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { CHECKPOINT_FORMAT, compositeLoss, enableWasmTraining, facadeBatches, generatorDivisor, patchDiscriminator, Trainer, unetGenerator } from './pix2pix';
import type { FromWorker, Rgba, ToWorker } from './protocol';

/** The bits of a dedicated worker's global scope this file uses (the DOM lib types `self` as a Window). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Seed of the synthetic facades the example trains on (label map -> photo). */
const DATA_SEED = 7;
/** Facades in the training set (generated on demand, never downloaded). */
const DATA_COUNT = 200;

interface Session {
  size: number;
  filters: number;
  seed: number;
  generator: tfl.LayersModel;
  discriminator: tfl.LayersModel;
  trainer: Trainer;
  step: number;
  batches: AsyncIterator<{ input: tf.Tensor4D; target: tf.Tensor4D }> | undefined;
}
let session: Session | undefined;
let stopRequested = false;
let busy: Promise<void> = Promise.resolve();

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

async function selectBackend(name: string): Promise<string> {
  if (name === 'wasm') {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
    });
    // wasm lacks Conv2DBackpropFilter: the package registers its training kernels on request.
    enableWasmTraining();
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not initialise in this browser`);
  await tf.ready();
  return tf.getBackend();
}

/**
 * A `pix2pix train` checkpoint's model.json holds a Trainer (both networks, optimizer state), not a
 * generator tf.loadLayersModel can read: say what to load instead.
 */
async function refuseTrainerCheckpoint(files: File[]): Promise<void> {
  const json = files.find((f) => f.name.endsWith('.json'));
  if (!json) throw new Error('pick the model.json of an exported generator together with its weights.bin');
  const format = (JSON.parse(await json.text()) as { modelTopology?: { format?: unknown } }).modelTopology?.format;
  if (format === CHECKPOINT_FORMAT) {
    throw new Error(`${json.name} is a pix2pix train checkpoint, not a generator: export it first with 'pix2pix export --model <run> --out <dir>' and load <dir>/model.json + weights.bin`);
  }
}

/** A session around `generator` (a loaded one) or a fresh U-Net, with a fresh 70x70 PatchGAN and Trainer. */
function newSession(size: number, filters: number, seed: number, generator?: tfl.LayersModel): Session {
  disposeSession();
  const g = generator ?? unetGenerator({ imageSize: size, inputChannels: 3, outputChannels: 3, filters, norm: 'batch', seed });
  const d = patchDiscriminator({ receptiveField: 70, inputChannels: 3, targetChannels: 3, filters, norm: 'batch', seed: seed + 1 });
  const loss = compositeLoss({ lambda: 100, gan: 'vanilla', reconstruction: 'l1' });
  const trainer = new Trainer({ generator: g, discriminator: d, loss, seed: seed + 2 });
  return { size, filters, seed, generator: g, discriminator: d, trainer, step: 0, batches: undefined };
}

function disposeSession(): void {
  if (!session) return;
  const s = session;
  session = undefined;
  void s.batches?.return?.();
  s.trainer.dispose();
  s.generator.dispose();
  s.discriminator.dispose();
}

/** Endless training batches: one epoch of the facades data set after another. */
async function* endlessBatches(size: number): AsyncGenerator<{ input: tf.Tensor4D; target: tf.Tensor4D }> {
  const data = facadeBatches({ count: DATA_COUNT, size, seed: DATA_SEED, batchSize: 1 });
  for (;;) for await (const batch of data) yield batch;
}

/** An NHWC [-1, 1] image tensor (batch 1, RGB) as RGBA bytes, read asynchronously (no dataSync on GPUs). */
async function toRgba(image: tf.Tensor): Promise<Rgba> {
  const [, height, width] = image.shape as [number, number, number, number];
  const values = await image.data();
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.round((values[3 * p + c]! + 1) * 127.5);
    data[4 * p + 3] = 255;
  }
  return { width, height, data };
}

/** RGBA bytes as a [1, h, w, 3] tensor in [-1, 1]. */
function fromRgba(image: Rgba): tf.Tensor4D {
  const n = image.width * image.height;
  const values = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) values[3 * p + c] = image.data[4 * p + c]! / 127.5 - 1;
  return tf.tensor4d(values, [1, image.height, image.width, 3]);
}

async function train(steps: number, sampleEvery: number): Promise<void> {
  const s = session;
  if (!s) throw new Error('no model: initialise first');
  stopRequested = false;
  s.batches ??= endlessBatches(s.size);
  let done = 0;
  let started = performance.now();
  for (; done < steps && !stopRequested; done++) {
    const next = await s.batches.next();
    if (next.done) break;
    const { input, target } = next.value;
    const stats = await s.trainer.trainStep({ input, target });
    s.step++;
    const now = performance.now();
    const losses: Record<string, number> = { D: stats.dLoss, G: stats.gLoss };
    const l1 = stats.generator['reconstruction'];
    if (l1 !== undefined) losses['L1'] = l1;
    post({ type: 'progress', step: done + 1, total: steps, msPerStep: now - started, losses });
    started = now;
    if ((done + 1) % sampleEvery === 0 || done + 1 === steps) {
      const output = s.trainer.generate(input, { mode: 'inference' });
      const [i, o, t] = await Promise.all([toRgba(input), toRgba(output), toRgba(target)]);
      output.dispose();
      post({ type: 'sample', step: s.step, input: i, output: o, target: t }, [i.data.buffer, o.data.buffer, t.data.buffer]);
    }
    input.dispose();
    target.dispose();
  }
  post({ type: 'trained', steps: done, stopped: stopRequested });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'init': {
      const backend = await selectBackend(message.backend);
      session = newSession(message.size, message.filters, message.seed);
      post({ type: 'ready', backend, size: message.size, filters: message.filters, params: session.generator.countParams() });
      return;
    }
    case 'train':
      return train(message.steps, message.sampleEvery);
    case 'stop':
      stopRequested = true;
      return;
    case 'translate': {
      const s = session;
      if (!s) throw new Error('no model: initialise first');
      const t0 = performance.now();
      const x = fromRgba(message.image);
      const y = s.trainer.generate(x, { mode: message.mode });
      const image = await toRgba(y);
      x.dispose();
      y.dispose();
      post({ type: 'translated', image, ms: performance.now() - t0 }, [image.data.buffer]);
      return;
    }
    case 'save': {
      if (!session) throw new Error('no model to save');
      await session.generator.save(message.url);
      post({ type: 'saved', url: message.url });
      return;
    }
    case 'load':
    case 'loadFiles': {
      if (message.type === 'loadFiles') await refuseTrainerCheckpoint(message.files);
      const handler = message.type === 'load' ? message.url : tf.io.browserFiles(message.files);
      const generator = await tfl.loadLayersModel(handler);
      const shape = generator.inputs[0]!.shape;
      // Generators are fully convolutional ([null, null, 3]); this demo draws at the square size its depth was made for.
      const size = shape[1] ?? generatorDivisor(generator);
      if (typeof size !== 'number' || (shape[2] ?? size) !== size || shape[3] !== 3) {
        generator.dispose();
        throw new Error(`the loaded model is not a square RGB generator (input shape ${JSON.stringify(shape)})`);
      }
      const filters = session?.filters ?? 8;
      const seed = session?.seed ?? 1;
      session = newSession(size, filters, seed, generator);
      post({ type: 'loaded', size, params: generator.countParams(), from: message.type === 'load' ? message.url : message.files.map((f) => f.name).join(', ') });
      return;
    }
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  // 'stop' must act at once; everything else runs in order.
  if (message.type === 'stop') {
    stopRequested = true;
    return;
  }
  busy = busy
    .then(() => handle(message))
    .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
};
