/**
 * `estimateWasmHeap()` / `checkWasmCapacity()`: will a training step (or an inference) at a given
 * image size fit in the wasm backend's heap?
 *
 * The wasm backend keeps every tensor in one WebAssembly memory, which cannot grow past 4 GiB. A step
 * too large for it used to fail deep inside XNNPACK; this module refuses such sizes up front, from
 * the models alone: it walks each model's layer graph at the requested size, sums the activations the
 * step keeps for its backward pass and the parameter-sized state (weights, Adam moments, gradients),
 * and scales them by factors measured on this package's U-Net + PatchGAN steps (see `FIT` below).
 */

import type * as tfl from '@tensorflow/tfjs-layers';
import { check, checkInt, checkKeys, checkOneOf } from '../../util/validate.js';

/** The most bytes a wasm32 heap can hold (65536 pages of 64 KiB, less one page as tfjs' build allows). */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30 - 2 ** 16;

/** What the estimate is for. */
export type WasmWorkload = 'train' | 'inference';

/** Every accepted {@link WasmWorkload}. */
export const WASM_WORKLOADS: readonly WasmWorkload[] = ['train', 'inference'];

/**
 * The estimate is `base + perActivation * activations + perParameter * parameters` (bytes), a least-squares
 * fit to the peak wasm heap (the heap only grows, so its final size is the peak, growth overshoot
 * included) of one default pix2pix step and one generator inference (U-Net filters 64 built for the size
 * + 70x70 PatchGAN, batch norm, vanilla GAN, the Trainer with the fused Adam update) on a fresh backend:
 * `npm run bench -- --sizes 64,128,256 --backends wasm --reps 5 --warmup 1` and
 * `node bench/run.mjs --sizes 512 --backends wasm --no-torch --reps 2 --warmup 1` measured
 * 787 / 1049 / 1526 / 2882 MB per step at 64 / 128 / 256 / 512 and 226 / 345 / 465 / 612 MB per
 * inference; the step fit is within 1% of each, the inference fit within 2%. Per parameter a step holds
 * ~4 floats (weights, two Adam moments, the gradient); per activation float ~4 floats (the activation
 * kept for the backward pass, its gradient, kernel temporaries); the base is the backend's own memory
 * and scratch (~290 MB).
 */
const FIT: Record<WasmWorkload, { base: number; perActivation: number; perParameter: number }> = {
  train: { base: 301e6, perActivation: 16.2, perParameter: 15.6 },
  inference: { base: 0, perActivation: 0.7, perParameter: 9.6 },
};

/** Options of {@link estimateWasmHeap} and {@link checkWasmCapacity}. */
export interface WasmCapacityOptions {
  /** The networks the step runs (e.g. `[generator, discriminator]`), or one network for inference. Required. */
  models: tfl.LayersModel[];
  /** Image height in pixels (replaces the height the models' NHWC inputs were built for). Required. */
  height: number;
  /** Image width in pixels. Default: `height`. */
  width?: number;
  /** Batch size. Default 1. */
  batch?: number;
  /** `'train'` (one training step with Adam) or `'inference'` (one forward pass). Default `'train'`. */
  workload?: WasmWorkload;
}

const ALLOWED_KEYS = ['models', 'height', 'width', 'batch', 'workload'] as const;

/** An estimate of the wasm heap one step needs. */
export interface WasmHeapEstimate {
  /** Estimated peak heap in bytes. */
  readonly bytes: number;
  /** {@link WASM_HEAP_LIMIT_BYTES}. */
  readonly limitBytes: number;
  /** Whether `bytes <= limitBytes`. */
  readonly fits: boolean;
  /** Floats in all layer outputs of all models at this size (one forward pass). */
  readonly activations: number;
  /** Floats in all weights (trainable and not) of all models. */
  readonly parameters: number;
  /** The largest single layer output, in floats, and its layer name. */
  readonly largestActivation: {
    /** The layer's name. */
    readonly layer: string;
    /** Its output's size in float32 values. */
    readonly floats: number;
  };
}

type Shape = (number | null)[];

/**
 * An NHWC image input shape at the requested size: batch, height and width replaced (the models are
 * fully convolutional, whatever size they were built for), channels kept.
 */
function concrete(shape: Shape, batch: number, height: number, width: number): number[] {
  if (shape.length !== 4) return shape.map((d, i) => (i === 0 ? batch : (d ?? 1)));
  return [batch, height, width, shape[3] ?? 1];
}

function elements(shape: number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

interface NodeLike {
  inputTensors: { id: number }[];
  outputTensors: { id: number }[];
}

interface LayerLike {
  name: string;
  inboundNodes: NodeLike[];
  batchInputShape?: Shape;
  computeOutputShape(shape: number[] | number[][]): Shape | Shape[];
  countParams(): number;
}

/** Sums the output floats of every layer of `model` at the given size (walking its graph in order). */
function walk(model: tfl.LayersModel, batch: number, height: number, width: number, largest: { layer: string; floats: number }): number {
  const shapes = new Map<number, number[]>();
  const inputs = model.inputs as unknown as { id: number; shape: Shape }[];
  for (const t of inputs) shapes.set(t.id, concrete(t.shape, batch, height, width));
  let total = 0;
  for (const layer of model.layers as unknown as LayerLike[]) {
    for (const node of layer.inboundNodes) {
      const ins = node.inputTensors.map((t) => shapes.get(t.id));
      if (ins.length === 0 || ins.some((s) => s === undefined)) continue; // an InputLayer, or a node of another graph
      const out = layer.computeOutputShape(ins.length === 1 ? ins[0]! : (ins as number[][]));
      const outs = (Array.isArray(out[0]) ? out : [out]) as Shape[];
      node.outputTensors.forEach((t, i) => {
        const s = outs[i]!.map((d) => d ?? 1);
        shapes.set(t.id, s);
        const n = elements(s);
        total += n;
        if (n > largest.floats) {
          largest.layer = layer.name;
          largest.floats = n;
        }
      });
    }
  }
  return total;
}

/**
 * Estimates the peak wasm heap of one training step (both networks, Adam) or one inference of
 * `models` at `height` x `width`. The estimate comes from the models' layer shapes and factors
 * measured on pix2pix steps (within 2% of the measured peaks at 64..512 for the default networks); it is
 * meant to refuse sizes that cannot fit, not to predict the last megabyte of other architectures.
 */
export function estimateWasmHeap(options: WasmCapacityOptions): WasmHeapEstimate {
  checkKeys(options, ALLOWED_KEYS, 'estimateWasmHeap');
  const { models, height } = options;
  check(Array.isArray(models) && models.length > 0, 'models', 'a non-empty array of LayersModels', models);
  checkInt(height, 'height');
  const width = options.width ?? height;
  checkInt(width, 'width');
  const batch = options.batch ?? 1;
  checkInt(batch, 'batch');
  const workload = options.workload ?? 'train';
  checkOneOf(workload, 'workload', WASM_WORKLOADS);
  const largest = { layer: '', floats: 0 };
  let activations = 0;
  let parameters = 0;
  for (const m of models) {
    activations += walk(m, batch, height, width, largest);
    parameters += m.countParams();
  }
  const fit = FIT[workload];
  const bytes = fit.base + activations * fit.perActivation + parameters * fit.perParameter;
  return { bytes, limitBytes: WASM_HEAP_LIMIT_BYTES, fits: bytes <= WASM_HEAP_LIMIT_BYTES, activations, parameters, largestActivation: largest };
}

/**
 * Throws a `RangeError` naming the size, the estimate and the limit when one step of `models` at this
 * size cannot fit in the wasm backend's 4 GiB heap ({@link estimateWasmHeap}); returns the estimate
 * otherwise. Call it before training or translating on wasm.
 *
 * ```ts
 * checkWasmCapacity({ models: [G, D], height: 4096 });
 * // RangeError: a training step at 4096x4096 needs ~... GB of wasm heap; the wasm backend holds at most 4.0 GB ...
 * ```
 */
export function checkWasmCapacity(options: WasmCapacityOptions): WasmHeapEstimate {
  const e = estimateWasmHeap(options);
  if (!e.fits) {
    const gb = (b: number) => (b / 2 ** 30).toFixed(1);
    const w = options.width ?? options.height;
    const what = (options.workload ?? 'train') === 'train' ? 'a training step' : 'an inference';
    throw new RangeError(
      `${what} at ${options.height}x${w} (batch ${options.batch ?? 1}) needs ~${gb(e.bytes)} GB of wasm heap; ` +
        `the wasm backend holds at most ${gb(e.limitBytes)} GB (its largest layer output alone, '${e.largestActivation.layer}', ` +
        `is ${(e.largestActivation.floats * 4 / 2 ** 20).toFixed(0)} MB): use a smaller size, tiles, or another backend`,
    );
  }
  return e;
}
