/**
 * `Tile` for the wasm backend, as block copies.
 *
 * tfjs' batch-norm gradient tiles per-channel vectors up to the activation's full shape (e.g.
 * `[1, 1, 1, C]` to `[1, 128, 128, C]`), several times per training step; tfjs-backend-wasm's `Tile`
 * computes every output index separately (~1.3 s of a 256x256 pix2pix step). This version writes each
 * innermost row once and replicates whole blocks with `copyWithin` (a memmove), so a tile costs about
 * one pass over its output. Other dtypes go to the backend's own kernel.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';

type Heap = Float32Array | Int32Array | Uint8Array;

/** Writes `src` (shape `shape`) tiled `reps` times into `dst`, starting at offsets `so` / `dso`. */
function tileInto(src: Heap, shape: readonly number[], reps: readonly number[], dst: Heap, axis: number, so: number, dso: number, outStrides: number[], inStrides: number[]): void {
  const n = shape[axis]!;
  if (axis === shape.length - 1) {
    dst.set(src.subarray(so, so + n), dso);
  } else {
    for (let i = 0; i < n; i++) tileInto(src, shape, reps, dst, axis + 1, so + i * inStrides[axis]!, dso + i * outStrides[axis]!, outStrides, inStrides);
  }
  // One copy of this axis is in place: replicate it reps[axis] - 1 times, doubling the copied span.
  const total = n * outStrides[axis]! * reps[axis]!;
  for (let filled = n * outStrides[axis]!; filled < total; filled *= 2) {
    dst.copyWithin(dso + filled, dso, dso + Math.min(filled, total - filled));
  }
}

/** Row-major strides of `shape` (the last one is 1). */
function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** `Tile` on the wasm backend: float32 and int32 here, other dtypes and scalars by the backend's own kernel. */
function tileWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const reps = (args.attrs as unknown as tf.TileAttrs).reps;
  const backend = args.backend as WasmBackendLike;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length === 0 || reps.length !== x.shape.length) {
    return runBaseKernel(tf.Tile, args);
  }
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  if (outShape.some((d) => d === 0)) return out;
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  tileInto(src, x.shape, reps, dst, 0, 0, 0, strides(outShape), strides(x.shape));
  return out;
}

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's `Tile`. */
export const tileWasmConfig: tf.KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'wasm',
  kernelFunc: tileWasm as unknown as tf.KernelFunc,
};
