/**
 * `Conv2DBackpropInput` for the wasm backend.
 *
 * tfjs' own wasm kernel is a scalar C++ loop; it is both the input gradient of every convolution and
 * the forward pass of every transposed convolution (the U-Net decoder), so it dominates a pix2pix
 * step. This replacement has two algorithms, both multithreaded and both doing exactly the
 * transposed convolution's flops; {@link preferGemm} picks one per geometry:
 *
 * - Phases on XNNPACK's `Conv2D` (the PatchGAN's 1-channel last layer): the rows `i = s*m + r` of
 *   `dx` only receive filter taps `k ≡ (r + pad) mod s`, so each of the `strideH * strideW` phases is
 *   an ordinary stride-1 convolution of `dy` with a sub-filter (the flipped filter's taps
 *   `b0, b0+s, ...`, input and output channels swapped); for the pix2pix 4x4 stride-2 convolutions,
 *   four 2x2 convolutions. The phases are then interleaved into `dx`.
 * - Weight GEMM (every other pix2pix layer): one matrix product ({@link KernelScope.gemm}: our own
 *   GEMM where it runs, else XNNPACK's), then col2im ({@link dxByWeightGemm}). XNNPACK packs a
 *   convolution's filter on every call with a new filter (and a trained filter is new every step),
 *   and runs the phases' stride-1 convolutions slower than our GEMM runs the product.
 *
 * For one dimension with filter size `K`, stride `s`, leading pad `p`, phase `r`:
 * `c = (r + p) mod s`, `J = ceil((K - c) / s)` taps, `q = floor((r + p) / s)`, and
 * `dx[s*m + r] = sum_{t<J} dy[m + q - J + 1 + t] * wFlipped[K - 1 - c - s*(J - 1) + s*t]`.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { KernelScope, channelsLastConvInfo, toChannelsLast, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';
import { col2imFor } from './im2col.js';
import { heapTranspose } from './transpose_simd.js';
import { backendMemory } from './wasm_module.js';

/** One dimension of one phase of the input gradient. */
interface PhaseDim {
  /** Number of `dx` positions `s*m + r` inside the input (the phase's output length). */
  readonly count: number;
  /** Taps of the sub-filter along this dimension (0: the phase receives nothing). */
  readonly taps: number;
  /** First tap of the sub-filter in the flipped filter. */
  readonly first: number;
  /** `dy` index read by output 0 and tap 0 (may be negative: zero padding). */
  readonly offset: number;
}

/** Plans phase `r` of a dimension with filter `k`, stride `s`, leading pad `p`, input length `n`. */
export function planPhase(r: number, k: number, s: number, p: number, n: number): PhaseDim {
  const count = Math.max(0, Math.ceil((n - r) / s));
  const c = (((r + p) % s) + s) % s;
  const taps = c < k ? Math.ceil((k - c) / s) : 0;
  const q = Math.floor((r + p) / s);
  return { count, taps, first: k - 1 - c - s * (taps - 1), offset: q - taps + 1 };
}

/**
 * The kernel function: inputs `{dy, filter}`, attrs `{strides, pad, dataFormat, dimRoundingMode,
 * inputShape}` as tfjs' `conv2DBackpropInput` op (and `conv2dTranspose`) sends them.
 */
export function conv2DBackpropInputWasm(args: KernelArgs, method: 'auto' | 'phases' | 'gemm' = 'auto'): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  const backend = args.backend as WasmBackendLike;
  const scope = new KernelScope(backend);
  try {
    const nhwcIn =
      dataFormat === 'NCHW'
        ? ([attrs.inputShape[0], attrs.inputShape[2], attrs.inputShape[3], attrs.inputShape[1]] as [number, number, number, number])
        : (attrs.inputShape as [number, number, number, number]);
    const dys = toChannelsLast(scope, dy, dataFormat);
    const info = channelsLastConvInfo(nhwcIn, filter.shape as [number, number, number, number], attrs, dataFormat);
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW } = info;
    const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
    const use = (uses.get(filter.dataId) ?? 0) + 1;
    uses.set(filter.dataId, use);
    if (method === 'gemm' || (method === 'auto' && preferGemm(info))) {
      const dx = dxByWeightGemm(scope, dys, filter, info, use >= KEEP_PANELS_FROM_USE);
      return scope.keep(dataFormat === 'NCHW' ? scope.transpose(dx, [0, 3, 1, 2]) : dx);
    }

    // Plan the phases; build each phase's sub-filter [Jh, Jw, Co, Ci] (flipped taps, channels swapped)
    // in one JavaScript pass, then run the phase convolutions.
    const Co = info.outChannels;
    const plans: { rh: number; rw: number; ph: PhaseDim; pw: PhaseDim; sub: tf.TensorInfo | null }[] = [];
    for (let rh = 0; rh < sh; rh++) {
      const ph = planPhase(rh, KH, sh, info.padInfo.top, H);
      for (let rw = 0; rw < sw; rw++) {
        const pw = planPhase(rw, KW, sw, info.padInfo.left, W);
        const live = ph.count > 0 && pw.count > 0 && ph.taps > 0 && pw.taps > 0;
        plans.push({ rh, rw, ph, pw, sub: live ? scope.alloc([ph.taps, pw.taps, Co, Ci]) : null });
      }
    }
    const wv = backend.typedArrayFromHeap(filter) as Float32Array;
    for (const { ph, pw, sub } of plans) {
      if (sub === null) continue;
      const sv = backend.typedArrayFromHeap(sub) as Float32Array;
      for (let th = 0; th < ph.taps; th++) {
        const kh = KH - 1 - (ph.first + sh * th);
        for (let tw = 0; tw < pw.taps; tw++) {
          const kw = KW - 1 - (pw.first + sw * tw);
          heapTranspose(backend, wv, (kh * KW + kw) * Ci * Co, Ci, Co, sv, (th * pw.taps + tw) * Co * Ci);
        }
      }
    }
    const phases = plans.map((p) => ({ ...p, out: p.sub === null ? null : phaseConv(scope, dys, p.sub, p.ph, p.pw, [OH, OW]) }));

    if (phases.length === 1 && phases[0]!.out !== null) {
      const only = phases[0]!.out;
      return scope.keep(dataFormat === 'NCHW' ? scope.transpose(only, [0, 3, 1, 2]) : only);
    }

    // Interleave the phases: dx[b, s*m + rh, s*n + rw, :] = phase(rh, rw)[b, m, n, :].
    const dx = scope.alloc([B, H, W, Ci]);
    const out = backend.typedArrayFromHeap(dx) as Float32Array;
    for (const { rh, rw, ph, pw, out: res } of phases) {
      const src = res === null ? null : (backend.typedArrayFromHeap(res) as Float32Array);
      const Mh = ph.count;
      const Mw = pw.count;
      for (let b = 0; b < B; b++) {
        for (let m = 0; m < Mh; m++) {
          const rowBase = (b * H + m * sh + rh) * W;
          let s = ((b * Mh + m) * Mw) * Ci;
          for (let n = 0; n < Mw; n++, s += Ci) {
            const d = (rowBase + n * sw + rw) * Ci;
            if (src === null) out.fill(0, d, d + Ci);
            else if (Ci >= 16) out.set(src.subarray(s, s + Ci), d);
            else for (let c = 0; c < Ci; c++) out[d + c] = src[s + c]!;
          }
        }
      }
    }
    return scope.keep(dataFormat === 'NCHW' ? scope.transpose(dx, [0, 3, 1, 2]) : dx);
  } finally {
    scope.dispose();
  }
}

/**
 * Whether {@link dxByWeightGemm} is cheaper than the phase convolutions for this geometry. With our
 * own GEMM it is on every pix2pix layer whose GEMM depth (the convolution's output channels) is at
 * least {@link GEMM_MIN_DEPTH}: XNNPACK packs the phases' sub-filters on every call (a trained filter
 * is new every step) and runs their stride-1 convolutions at ~15-29 GFLOP/s, against ~31-48 for the
 * GEMM plus col2im. Measured with `node bench/kernels.mjs --dx-methods --only fwd` on Node 24 (both
 * algorithms, a new filter per call, 256x256 shapes): the 128x128 layers 34 against 64 ms (U-Net)
 * and 34 against 38 ms (PatchGAN), the 32x32 PatchGAN layer 84 against 155 ms. Below that depth (the
 * PatchGAN's last layer, 512 -> 1 channel: a `K = 1` product whose packing and col2im are all the
 * work, 26 against 1.3 ms) the phases stay, except where `dx` has at most {@link GEMM_MAX_CHANNELS}
 * channels (XNNPACK runs such phases at ~1-6 GFLOP/s).
 */
export function preferGemm(info: tf.backend_util.Conv2DInfo): boolean {
  return info.inChannels <= GEMM_MAX_CHANNELS || info.outChannels >= GEMM_MIN_DEPTH;
}

/** See {@link preferGemm}. */
export const GEMM_MIN_DEPTH = 16;

/**
 * From a filter's second input gradient on, the GEMM keeps its packed panels while the filter lives
 * (packed_weights.ts): a transposed convolution's filter in inference runs image after image, while
 * in training a filter runs here at most twice before the optimizer replaces it (the PatchGAN's, on
 * the real and the generated pair). `node bench/kernels.mjs --dx-methods` (Node 24, 256x256 decoder):
 * see the README's Performance section.
 */
export const KEEP_PANELS_FROM_USE = 2;

/** How many input gradients each filter (by data id) has run. */
const uses = new WeakMap<object, number>();
/** See {@link preferGemm}. */
export const GEMM_MAX_CHANNELS = 3;

/**
 * The input gradient as one GEMM, then col2im:
 * `cols[p, (kh,kw,ci)] = sum_co dy[p, co] * filter[(kh,kw,ci), co]` is one GEMM
 * ({@link KernelScope.gemm}) of `dy` and the filter's HWIO memory as the transposed right operand.
 * Each row `p` is then added into `dx`, `Ci` contiguous values a tap, at the input pixels the output
 * pixel `p` reads (the other orientation added one value at a time, `Ci` values apart).
 */
function dxByWeightGemm(scope: KernelScope, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, keepB = false): tf.TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const P = B * OH * OW;
  const R = KH * KW * Ci;
  const backend = scope.backend;
  const dx = scope.alloc([B, H, W, Ci]);
  if (P === 0 || R === 0 || Co === 0) {
    (backend.typedArrayFromHeap(dx) as Float32Array).fill(0);
    return dx;
  }
  const cols = scope.gemm(dy, filter, P, Co, R, { transposeB: true, keepB });
  const scatter = Ci % 4 === 0 ? col2imFor(backendMemory(backend)) : null;
  if (scatter !== null) {
    // col2im in SIMD through the convolution's gather table (taps in the padding land in its zero run).
    const { table, stride } = scope.gatherTable(dx, info);
    const heap = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t);
    (heap(dx) as Float32Array).fill(0);
    scatter(heap(table).byteOffset, stride, heap(cols).byteOffset, P, KH * KW, 4 * Ci);
    return dx;
  }
  // Views are taken after the last allocation: a heap growth would detach earlier ones.
  const cv = backend.typedArrayFromHeap(cols) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
  out.fill(0);
  // Row p of cols holds, for every tap (kh, kw), the Ci values output pixel p adds into one dx pixel.
  let p = 0;
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, p++) {
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sh + kh - top;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sw + kw - left;
            if (iw < 0 || iw >= W) continue;
            const d = ((b * H + ih) * W + iw) * Ci;
            const s = p * R + (kh * KW + kw) * Ci;
            for (let ci = 0; ci < Ci; ci++) out[d + ci] += cv[s + ci]!;
          }
        }
      }
    }
  }
  return dx;
}

/** The stride-1 convolution computing one phase with its sub-filter, or `null` when it is all zeros. */
function phaseConv(scope: KernelScope, dy: tf.TensorInfo, sub: tf.TensorInfo, ph: PhaseDim, pw: PhaseDim, [OH, OW]: [number, number]): tf.TensorInfo | null {
  // Rows of dy read: offset .. offset + count + taps - 2; clip to dy and pad the rest with zeros.
  const lastH = ph.offset + ph.count + ph.taps - 2;
  const lastW = pw.offset + pw.count + pw.taps - 2;
  const startH = Math.max(0, ph.offset);
  const startW = Math.max(0, pw.offset);
  const endH = Math.min(OH - 1, lastH);
  const endW = Math.min(OW - 1, lastW);
  if (endH < startH || endW < startW) return null;
  const src =
    startH > 0 || startW > 0 || endH < OH - 1 || endW < OW - 1
      ? scope.run('Slice', { x: dy }, { begin: [0, startH, startW, 0], size: [dy.shape[0]!, endH - startH + 1, endW - startW + 1, dy.shape[3]!] })
      : dy;
  const pad = [
    [0, 0],
    [Math.max(0, -ph.offset), Math.max(0, lastH - (OH - 1))],
    [Math.max(0, -pw.offset), Math.max(0, lastW - (OW - 1))],
    [0, 0],
  ];
  return scope.run('Conv2D', { x: src, filter: sub }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] });
}

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's scalar loop. */
export const conv2DBackpropInputWasmConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: ((args: KernelArgs) => conv2DBackpropInputWasm(args)) as unknown as tf.KernelFunc,
};
