/**
 * `Concat` and `SplitV` (its gradient) for the wasm backend, with a copy loop for short runs.
 *
 * The U-Net's skip connections concatenate along channels: for a `[1, 128, 128, 64]` pair that is
 * 16384 runs of 64 values per input. tfjs-backend-wasm's `Concat` copies each run with `subarray` +
 * `set`, whose per-call cost exceeds the copy (~10 ms a concat, ~100 ms of a 256x256 step), and its
 * `SplitV` goes through the generic strided `Slice`. Runs shorter than {@link SHORT_RUN} are copied by
 * a plain loop here; longer runs still use `set`. Strings go to the backend's own kernels.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { baseKernelFunc, runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';

/** Runs shorter than this many values are copied element by element. */
export const SHORT_RUN = 256;

/** Copies `rows` runs of `n` values from `src` (runs `srcStride` apart) to `dst` (runs `dstStride` apart). */
function copyRuns(src: Heap, srcOffset: number, srcStride: number, dst: Heap, dstOffset: number, dstStride: number, rows: number, n: number): void {
  if (n >= SHORT_RUN || rows === 1) {
    for (let r = 0, s = srcOffset, d = dstOffset; r < rows; r++, s += srcStride, d += dstStride) dst.set(src.subarray(s, s + n), d);
    return;
  }
  for (let r = 0, s = srcOffset, d = dstOffset; r < rows; r++, s += srcStride, d += dstStride) {
    for (let c = 0; c < n; c++) dst[d + c] = src[s + c]!;
  }
}

type Heap = Float32Array | Int32Array | Uint8Array;

function concatWasm(args: KernelArgs): tf.TensorInfo {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const backend = args.backend as WasmBackendLike;
  const first = inputs[0];
  if (first === undefined || first.dtype === 'string' || inputs.some((t) => t.dtype !== first.dtype)) return runBaseKernel(tf.Concat, args);
  const axis = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis, first.shape)[0]!;
  tf.backend_util.assertParamsConsistent(
    inputs.map((t) => t.shape),
    axis,
  );
  const live = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (live.length < 2) return runBaseKernel(tf.Concat, args);
  const outShape = tf.backend_util.computeOutShape(
    inputs.map((t) => t.shape),
    axis,
  );
  const out = backend.makeOutput(outShape, first.dtype);
  const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
  const widths = live.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)));
  const total = widths.reduce((a, b) => a + b, 0);
  const dst = backend.typedArrayFromHeap(out);
  let offset = 0;
  live.forEach((t, i) => {
    const n = widths[i]!;
    copyRuns(backend.typedArrayFromHeap(t), 0, n, dst, offset, total, rows, n);
    offset += n;
  });
  return out;
}

function splitVWasm(args: KernelArgs): tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.SplitVAttrs;
  const backend = args.backend as WasmBackendLike;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const total = x.shape[axis]! * inner;
  if (x.dtype === 'string') return baseKernelFunc(tf.SplitV, backend)(args) as tf.TensorInfo[];
  const outs = sizes.map((s) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? s : d)), x.dtype));
  const src = backend.typedArrayFromHeap(x);
  let offset = 0;
  outs.forEach((o, i) => {
    const n = sizes[i]! * inner;
    if (n > 0 && rows > 0) copyRuns(src, offset, total, backend.typedArrayFromHeap(o), 0, n, rows, n);
    offset += n;
  });
  return outs;
}

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's `SplitV`. */
export const splitVWasmConfig: tf.KernelConfig = {
  kernelName: tf.SplitV,
  backendName: 'wasm',
  kernelFunc: splitVWasm as unknown as tf.KernelFunc,
};

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's `Concat`. */
export const concatWasmConfig: tf.KernelConfig = {
  kernelName: tf.Concat,
  backendName: 'wasm',
  kernelFunc: concatWasm as unknown as tf.KernelFunc,
};
