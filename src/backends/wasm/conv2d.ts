/**
 * `Conv2D` and `FusedConv2D` for the wasm backend: XNNPACK's convolution, except where packing a new
 * filter would cost more than the convolution itself.
 *
 * XNNPACK reorders ("packs") a convolution's filter when it first sees it and caches the packed copy
 * per filter tensor. That is free in inference, where the weights never change, but a training step
 * has new weights every step: the U-Net's 512- and 1024-channel filters (4-8 million values each) then
 * cost ~20 ns per value to pack (~90-190 ms a layer on these machines), on layers whose output is
 * 1x1 to 16x16 pixels and whose arithmetic takes a few milliseconds. About a quarter of a 256x256
 * pix2pix step went to it (reproduced by `node bench/kernels.mjs --conv-methods`).
 *
 * The weight-GEMM path computes a convolution as one matrix product,
 * `y[p, co] = sum_r col[p, r] * W[r, co]` with `r = (kh, kw, ci)`: the input's im2col matrix times
 * the filter as it lies in memory, written straight into the output, on our own GEMM
 * ({@link KernelScope.gemmImage}: the input is packed for the microkernel straight from its pixels,
 * and the filter with a plain SIMD copy). Where that cannot run, the im2col matrix is built first
 * (transposed, {@link im2colTransposed}) and multiplied by {@link KernelScope.gemm}. Exactly the
 * convolution's flops.
 *
 * {@link preferWeightGemm} picks the path per call. From a filter's second convolution on, our GEMM
 * keeps the filter's packed panels while the filter lives (packed_weights.ts), as XNNPACK keeps its
 * packed copy: inference packs once; a training step's filters are new every step.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { noteConvolution } from '../frozen_weights.js';
import { im2colScratchLength, im2colTransposed } from './im2col.js';
import { KernelScope, ownGemmAvailable, runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';

/** Which algorithm {@link conv2dWasm} uses: chosen per call (`auto`), or forced (tests, benchmarks). */
export type ConvMethod = 'auto' | 'xnnpack' | 'gemm';

/**
 * Whether the weight-GEMM path beats XNNPACK for this geometry, on the `use`-th convolution with this
 * filter (in training every filter is new every step: the U-Net's run once, the PatchGAN's three
 * times; in inference they stay). `own`: our own GEMM runs here ({@link ownGemmAvailable}).
 *
 * With our GEMM and an input of a multiple of 4 channels, the input is packed straight from its
 * pixels (no im2col matrix, {@link KernelScope.gemmImage}), and the product beat XNNPACK's
 * convolution on every pix2pix layer of at least {@link WEIGHT_GEMM_MIN_CHANNELS} output channels,
 * with a new filter (`node bench/kernels.mjs --conv-methods --only dw` on Node 24, 256x256 shapes:
 * 24 against 36 ms at 64->32 128->256, 105 against 144 ms on the PatchGAN's 31x31x512 layer, 10
 * against 75 ms on the 1x1 layers, where XNNPACK's packing of the new filter is nearly all its time)
 * and with a filter both have packed before (inference, panels kept from {@link KEEP_PANELS_FROM_USE}
 * on; `printf 'infer\ninfer\ninfer\nprofile-infer-calls\nfinish\n' | node bench/side.mjs wasm 256`
 * on Node 24: the 16x16x512 layer 9-12 against 19-27 ms, 8x8x512 3 against 5 ms, the 4x4 and 2x2
 * ones even). So every such layer takes our GEMM.
 *
 * Otherwise (no own GEMM, or 3 or 6 input channels: the first layers) the path builds an im2col
 * matrix first, which pays only when the output has few pixels for its channels: a first use and
 * more than {@link WEIGHT_GEMM_CHANNEL_RATIO} output channels per output pixel (measured before the
 * direct packing: the PatchGAN's 31x31x512 layer gained 1.5x, the 32x32x256 layers were even).
 */
export function preferWeightGemm(info: tf.backend_util.Conv2DInfo, use = 1, own = true): boolean {
  if (own && info.inChannels % 4 === 0 && info.outChannels >= WEIGHT_GEMM_MIN_CHANNELS) return true;
  const P = info.batchSize * info.outHeight * info.outWidth;
  return use === 1 && info.outChannels > WEIGHT_GEMM_CHANNEL_RATIO * P;
}

/** See {@link preferWeightGemm}. */
export const WEIGHT_GEMM_CHANNEL_RATIO = 0.5;
/** See {@link preferWeightGemm}: below this many output channels (the PatchGAN's last layer has 1) XNNPACK stays. */
export const WEIGHT_GEMM_MIN_CHANNELS = 8;
/**
 * From a filter's second convolution on, our GEMM keeps its packed panels while the filter lives
 * (packed_weights.ts): in training only the PatchGAN's filters run more than once (three times a step).
 */
export const KEEP_PANELS_FROM_USE = 2;

/** Activations the weight-GEMM path applies itself; others go to XNNPACK's fused kernel. */
const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'leakyrelu']);

/** How many convolutions each filter (by data id) has run. */
const uses = new WeakMap<object, number>();

/** The convolution attributes both kernels share. */
interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * `Conv2D` (`fused: false`) or `FusedConv2D` (`fused: true`, with `bias` and `activation`) on the wasm
 * backend; `base` is the backend's own kernel of that name.
 */
export function conv2dWasm(args: KernelArgs, fused: boolean, method: ConvMethod = 'auto'): tf.TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as ConvAttrs;
  const base = fused ? tf.FusedConv2D : tf.Conv2D;
  if (x === undefined || filter === undefined) return runBaseKernel(base, args);
  noteConvolution(x, filter, dataNumber(args.backend, x));
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') return runBaseKernel(base, args);
  const dilations = attrs.dilations ?? 1;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
  const eligible =
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    x.dtype === 'float32' &&
    filter.dtype === 'float32' &&
    preluActivationWeights == null &&
    ACTIVATIONS.has(activation) &&
    (bias == null || (bias.shape.length === 1 && bias.shape[0] === info.outChannels));
  const use = (uses.get(filter.dataId) ?? 0) + 1;
  uses.set(filter.dataId, use);
  if (eligible && (method === 'gemm' || (method === 'auto' && preferWeightGemm(info, use, ownGemmAvailable(args.backend))))) {
    return convByWeightGemm(args.backend as WasmBackendLike, x, filter, info, bias ?? null, activation, attrs.leakyreluAlpha ?? 0.2, use >= KEEP_PANELS_FROM_USE);
  }
  // XNNPACK's own "TensorFlow SAME" padding is wrong when the stride exceeds the filter size
  // (tfjs-backend-wasm 4.22: a 1x5 filter with stride 3 on 9x8 misplaces every output); the paddings
  // tfjs computed are passed explicitly instead, which gives the same output size.
  if (attrs.pad !== 'same') return runBaseKernel(base, args);
  const { top, bottom, left, right } = info.padInfo;
  const pad = [[0, 0], [top, bottom], [left, right], [0, 0]];
  return runBaseKernel(base, { ...args, attrs: { ...args.attrs, pad } as unknown as tf.NamedAttrMap });
}

/** The backend's numeric id of `t`'s data (increasing in creation order), or -1. */
function dataNumber(backend: tf.KernelBackend, t: tf.TensorInfo): number {
  const map = (backend as unknown as { dataIdMap?: { get(id: object): { id?: unknown } | undefined } }).dataIdMap;
  const id = map?.get(t.dataId)?.id;
  return typeof id === 'number' ? id : -1;
}

/** The weight-GEMM convolution (see the module comment), with bias and activation applied to its output. */
function convByWeightGemm(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  bias: tf.TensorInfo | null,
  activation: string,
  alpha: number,
  keepB: boolean,
): tf.TensorInfo {
  const { batchSize: B, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const R = info.filterHeight * info.filterWidth * Ci;
  const P = B * OH * OW;
  const y = backend.makeOutput([B, OH, OW, Co], 'float32');
  if (P === 0 || Co === 0) return y;
  if (R === 0) {
    (backend.typedArrayFromHeap(y) as Float32Array).fill(0);
    return finish(backend, y, P, Co, bias, activation, alpha);
  }
  const scope = new KernelScope(backend);
  try {
    // y[P, Co] = im2col(x)[P, R] · W[R, Co], packed straight from x where our GEMM can.
    if (scope.gemmImage(x, info, true, filter, Co, y, keepB) !== null) return finish(backend, y, P, Co, bias, activation, alpha);
    const colT = scope.alloc([R, P]);
    const scratch = scope.alloc([im2colScratchLength(info)]);
    const heap = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    im2colTransposed(backend, heap(x), info, heap(colT), heap(scratch));
    // y[P, Co] = col[P, R] · W[R, Co], with col given transposed.
    scope.gemm(colT, filter, P, R, Co, { transposeA: true, out: y, keepB });
  } catch (e) {
    backend.disposeData(y.dataId);
    throw e;
  } finally {
    scope.dispose();
  }
  return finish(backend, y, P, Co, bias, activation, alpha);
}

/** Adds `bias` and applies `activation` to the `P x Co` output in place, in float32 like XNNPACK. */
function finish(backend: WasmBackendLike, y: tf.TensorInfo, P: number, Co: number, bias: tf.TensorInfo | null, activation: string, alpha: number): tf.TensorInfo {
  if (bias === null && activation === 'linear') return y;
  const out = backend.typedArrayFromHeap(y) as Float32Array;
  const b = bias === null ? null : (backend.typedArrayFromHeap(bias) as Float32Array);
  const a = Math.fround(alpha);
  for (let p = 0, i = 0; p < P; p++) {
    for (let c = 0; c < Co; c++, i++) {
      let v = b === null ? out[i]! : Math.fround(out[i]! + b[c]!);
      if (activation === 'relu') v = v < 0 ? 0 : v;
      else if (activation === 'relu6') v = v < 0 ? 0 : v > 6 ? 6 : v;
      else if (activation === 'leakyrelu') v = v < 0 ? Math.fround(v * a) : v;
      out[i] = v;
    }
  }
  return y;
}

/** The `Conv2D` config registered by `enableWasmTraining()`. */
export const conv2DWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'wasm',
  kernelFunc: ((args: KernelArgs) => conv2dWasm(args, false)) as unknown as tf.KernelFunc,
};

/** The `FusedConv2D` config registered by `enableWasmTraining()`. */
export const fusedConv2DWasmConfig: tf.KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: 'wasm',
  kernelFunc: ((args: KernelArgs) => conv2dWasm(args, true)) as unknown as tf.KernelFunc,
};
