/**
 * `Sum` and `Mean` for the wasm backend when they reduce leading axes (the batch-norm gradient's
 * per-channel sums over `[N, H, W]`), as one pass that adds whole rows.
 *
 * tfjs-backend-wasm reduces only innermost axes: for leading ones it first transposes the input with
 * its element-by-element `Transpose`, ~30 ns a value, on every activation-sized gradient. Here
 * `out[j] = sum_i x[i, j]` over the `[outer, inner]` view, accumulated in float64 (as the cpu backend
 * does) and rounded to float32 once. Other axes and dtypes go to the backend's own kernels.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';

/** The number of leading axes `axis` reduces when it is exactly `[0, .., k-1]` with `0 < k < rank`, else 0. */
export function leadingAxes(axis: number | number[], shape: readonly number[]): number {
  const axes = [...tf.util.parseAxisParam(axis, shape as number[])].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= shape.length) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

function reduceLeading(args: KernelArgs, kernel: typeof tf.Sum | typeof tf.Mean): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const k = x.dtype === 'float32' ? leadingAxes(axis, x.shape) : 0;
  if (k === 0) return runBaseKernel(kernel, args);
  const backend = args.backend as WasmBackendLike;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, k));
  const inner = tf.util.sizeFromShape(x.shape.slice(k));
  const shape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
  const out = backend.makeOutput(shape, 'float32');
  if (inner === 0) return out;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const acc = new Float64Array(inner);
  for (let i = 0, o = 0; i < outer; i++, o += inner) {
    for (let j = 0; j < inner; j++) acc[j]! += src[o + j]!;
  }
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  if (kernel === tf.Mean) for (let j = 0; j < inner; j++) dst[j] = acc[j]! / outer;
  else dst.set(acc);
  return out;
}

/** The `Sum` config registered by `enableWasmTraining()`. */
export const sumWasmConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  kernelFunc: ((args: KernelArgs) => reduceLeading(args, tf.Sum)) as unknown as tf.KernelFunc,
};

/** The `Mean` config registered by `enableWasmTraining()`. */
export const meanWasmConfig: tf.KernelConfig = {
  kernelName: tf.Mean,
  backendName: 'wasm',
  kernelFunc: ((args: KernelArgs) => reduceLeading(args, tf.Mean)) as unknown as tf.KernelFunc,
};
