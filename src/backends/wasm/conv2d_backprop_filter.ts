/**
 * `Conv2DBackpropFilter` for the wasm backend (tfjs' wasm backend has none: tfjs issue #8474).
 *
 * The weight gradient of a convolution is one matrix product:
 * `dW[(kh,kw,ci), co] = sum_p col[(kh,kw,ci), p] * dy[p, co]`, where `p` runs over the
 * `batch * outHeight * outWidth` output positions and `col` is the transposed im2col matrix of the
 * input (row `(kh,kw,ci)` holds `x[b, oh*sh + kh - padTop, ow*sw + kw - padLeft, ci]`). Our GEMM
 * packs that matrix straight from the input's pixels where the input has a multiple of 4 channels
 * ({@link KernelScope.gemmImage}: on the 256x256 step's weight gradients 510 against 828 ms with
 * the matrix built first, `node bench/kernels.mjs --only dw` on Node 24); otherwise it is built in
 * JavaScript ({@link im2colTransposed}) and multiplied by {@link KernelScope.gemm}. Exactly the
 * convolution's flops (no zero-dilated or padded waste). See `bench/kernels.mjs` for the
 * alternatives measured on pix2pix shapes.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { isFrozenConvInput } from '../frozen_weights.js';
import { im2colScratchLength, im2colTransposed } from './im2col.js';
import { KernelScope, channelsLastConvInfo, toChannelsLast, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';

/**
 * The kernel function: inputs `{x, dy}`, attrs `{strides, pad, dataFormat, dimRoundingMode,
 * filterShape}` as tfjs' `conv2DBackpropFilter` op sends them.
 */
export function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  const scope = new KernelScope(args.backend as WasmBackendLike);
  try {
    if (isFrozenConvInput(x)) {
      // A gradient nobody reads (withFrozenWeights): zeros of the filter's shape, nothing computed.
      return scope.keep(scope.run('Fill', {}, { shape: attrs.filterShape, value: 0, dtype: 'float32' }));
    }
    const xs = toChannelsLast(scope, x, dataFormat);
    const dys = toChannelsLast(scope, dy, dataFormat);
    const info = channelsLastConvInfo(xs.shape as [number, number, number, number], attrs.filterShape, attrs, dataFormat);
    const { batchSize: B, inChannels: Ci, outHeight: OH, outWidth: OW } = info;
    const { filterHeight: KH, filterWidth: KW, outChannels: Co } = info;
    const P = B * OH * OW;
    if (P === 0 || Ci === 0 || Co === 0) {
      return scope.keep(scope.run('Fill', {}, { shape: [KH, KW, Ci, Co], value: 0, dtype: 'float32' }));
    }

    // dW = col · dy, col the transposed im2col matrix (rows (kh, kw, ci) like the filter, columns
    // p = (b, oh, ow)): packed straight from x where our GEMM can, else built first.
    const rows = KH * KW * Ci;
    const direct = scope.gemmImage(xs, info, false, dys, Co);
    if (direct !== null) return scope.keep(scope.reshape(direct, [KH, KW, Ci, Co]));
    const col = scope.alloc([rows, P]);
    const scratch = scope.alloc([im2colScratchLength(info)]);
    const heap = (t: tf.TensorInfo) => scope.backend.typedArrayFromHeap(t) as Float32Array;
    im2colTransposed(scope.backend, heap(xs), info, heap(col), heap(scratch));

    // dW = col · dy, with dy the packed operand.
    const prod = scope.gemm(col, dys, rows, P, Co);
    return scope.keep(scope.reshape(prod, [KH, KW, Ci, Co]));
  } finally {
    scope.dispose();
  }
}

/** Kernel config registered by `enableWasmTraining()`. */
export const conv2DBackpropFilterWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
};
