/**
 * `Concat` for the wasm backend, with a copy loop for short runs.
 *
 * The U-Net's skip connections concatenate along channels: for a `[1, 128, 128, 64]` pair that is
 * 16384 runs of 64 values per input. tfjs-backend-wasm copies each run with `subarray` + `set`, whose
 * per-call cost exceeds the copy (~10 ms a concat, ~100 ms of a 256x256 step). Runs shorter than
 * {@link SHORT_RUN} are copied by a plain loop here; longer runs still use `set`. Strings and
 * single-input concatenations go to the backend's own kernel.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';

/** Runs shorter than this many values are copied element by element. */
export const SHORT_RUN = 256;

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
  live.forEach((t, i) => {
    const src = backend.typedArrayFromHeap(t);
    const n = widths[i]!;
    let offset = widths.slice(0, i).reduce((a, b) => a + b, 0);
    if (n >= SHORT_RUN || rows === 1) {
      for (let r = 0; r < rows; r++, offset += total) dst.set(src.subarray(r * n, r * n + n), offset);
    } else {
      for (let r = 0, s = 0; r < rows; r++, offset += total) {
        for (let c = 0; c < n; c++) dst[offset + c] = src[s++]!;
      }
    }
  });
  return out;
}

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's `Concat`. */
export const concatWasmConfig: tf.KernelConfig = {
  kernelName: tf.Concat,
  backendName: 'wasm',
  kernelFunc: concatWasm as unknown as tf.KernelFunc,
};
