/**
 * `Transpose` for the wasm backend: permutations that swap two groups of axes run as (batched) 2D
 * SIMD transposes ({@link heapTranspose}).
 *
 * tfjs-backend-wasm's `Transpose` walks every element with index arithmetic (~30 ns a value on an
 * 8192x1024 matrix, against ~1.6 ns here), and its reductions (`Sum`, `Mean`, `Max`, ...) over
 * leading axes transpose first: every batch-norm gradient's per-channel sum over `[N, H, W]` did.
 * A permutation that keeps some leading axes in place and rotates the rest (`[0, 3, 1, 2]`,
 * `[3, 0, 1, 2]`, `[1, 0]`, ...) is one 2D transpose per index of the kept axes. Other permutations
 * and dtypes go to the backend's own kernel.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';
import { heapTranspose } from './transpose_simd.js';

/**
 * For `perm` = `[0, .., b-1]` followed by the rotation of the remaining axes by `k` (`0 < k`), returns
 * `{ batch: b, split: b + k }`: the output is, for each index of the first `b` axes, the 2D transpose of
 * the `[axes b..split-1] x [axes split..]` matrix. Otherwise null.
 */
export function rotationOf(perm: readonly number[]): { batch: number; split: number } | null {
  const r = perm.length;
  let b = 0;
  while (b < r && perm[b] === b) b++;
  if (r - b < 2) return null; // identity (or a single trailing axis)
  const k = perm[b]! - b;
  for (let i = b; i < r; i++) {
    if (perm[i] !== b + ((i - b + k) % (r - b))) return null;
  }
  return { batch: b, split: b + k };
}

function transposeWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const perm = (args.attrs as unknown as tf.TransposeAttrs).perm;
  const plan = x.dtype === 'float32' ? rotationOf(perm) : null;
  if (plan === null) return runBaseKernel(tf.Transpose, args);
  const backend = args.backend as WasmBackendLike;
  const out = backend.makeOutput(
    perm.map((p) => x.shape[p]!),
    x.dtype,
  );
  const batches = tf.util.sizeFromShape(x.shape.slice(0, plan.batch));
  const rows = tf.util.sizeFromShape(x.shape.slice(plan.batch, plan.split));
  const cols = tf.util.sizeFromShape(x.shape.slice(plan.split));
  if (batches * rows * cols === 0) return out;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  for (let i = 0, o = 0; i < batches; i++, o += rows * cols) heapTranspose(backend, src, o, rows, cols, dst, o);
  return out;
}

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's `Transpose`. */
export const transposeWasmConfig: tf.KernelConfig = {
  kernelName: tf.Transpose,
  backendName: 'wasm',
  kernelFunc: transposeWasm as unknown as tf.KernelFunc,
};
