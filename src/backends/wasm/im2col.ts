/**
 * The transposed im2col matrix of a convolution's NHWC input, shared by the kernels that turn a
 * convolution into one matrix product.
 *
 * @internal
 */

import type * as tf from '@tensorflow/tfjs-core';
import { heapTranspose } from './transpose_simd.js';
import { I32, I32_GE_S, addTo, functionsModule, get, i32const, instantiateFor, loop, set, simd } from './wasm_module.js';

/**
 * Writes the `(KH*KW*Ci) x P` matrix `col[(kh, kw, ci), p] = x[b, oh*sh + kh - top, ow*sw + kw - left, ci]`
 * (0 outside the input) into `out`, where `p = (b, oh, ow)` runs over the `P = B*OH*OW` output
 * positions of the geometry `info` and rows are ordered like an HWIO filter's (`backend`: the wasm
 * backend whose memory the arrays view, for the SIMD transpose).
 *
 * The input is first rearranged channels-first with each row's columns split by their remainder
 * modulo the stride (`xs[ci, b, h, w mod sw, w div sw]`), so that every stretch of an output row is a
 * contiguous copy. On the 128x128x64 layers this takes ~8 ms against 32 ms for the direct loop,
 * which writes each pixel's channels `P` values apart. The rearranged input goes to `scratch`
 * ({@link im2colScratchLength} values; on the wasm heap, so that no large JavaScript allocation
 * triggers garbage collections).
 */
export function im2colTransposed(backend: unknown, x: Float32Array, info: tf.backend_util.Conv2DInfo, out: Float32Array, scratch: Float32Array): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const P = B * OH * OW;
  const Wp = Math.ceil(W / sw); // columns per remainder class
  const rowLen = sw * Wp;
  const xs = splitByStride(backend, x, B * H, W, Ci, sw, Wp, scratch);
  for (let kw = 0; kw < KW; kw++) {
    // Output columns ow whose input column ow*sw + kw - left lies inside [0, W), and where they start in xs.
    const first = Math.min(OW, Math.max(0, Math.ceil((left - kw) / sw)));
    const end = Math.max(first, Math.min(OW, Math.floor((W - 1 - kw + left) / sw) + 1));
    const iw0 = first * sw + kw - left;
    const start = (iw0 % sw) * Wp + Math.floor(iw0 / sw);
    const n = end - first;
    for (let kh = 0; kh < KH; kh++) {
      for (let ci = 0; ci < Ci; ci++) {
        let d = ((kh * KW + kw) * Ci + ci) * P;
        for (let b = 0; b < B; b++) {
          const plane = (ci * B + b) * H;
          for (let oh = 0; oh < OH; oh++, d += OW) {
            const ih = oh * sh + kh - top;
            if (ih < 0 || ih >= H || n === 0) {
              out.fill(0, d, d + OW);
              continue;
            }
            if (first > 0) out.fill(0, d, d + first);
            const s = (plane + ih) * rowLen + start;
            if (n >= 64) out.set(xs.subarray(s, s + n), d + first);
            else for (let i = 0; i < n; i++) out[d + first + i] = xs[s + i]!;
            if (end < OW) out.fill(0, d + end, d + OW);
          }
        }
      }
    }
  }
}

/** The length of the scratch buffer {@link im2colTransposed} needs for `info`. */
export function im2colScratchLength(info: tf.backend_util.Conv2DInfo): number {
  const sw = info.strideWidth;
  const pixels = info.batchSize * info.inHeight * info.inWidth;
  const split = sw === 1 ? 0 : info.batchSize * info.inHeight * sw * Math.ceil(info.inWidth / sw);
  return info.inChannels * (pixels + split);
}

/**
 * Writes `x` (`rows` image rows of `W` pixels with `Ci` channels) channels-first into `scratch`, each
 * row's columns grouped by remainder modulo `sw`: `[(ci, row), (w mod sw) * Wp + (w div sw)]`; returns
 * the view holding it. A blocked transpose, then (for `sw > 1`) one sequential pass that splits rows.
 */
function splitByStride(backend: unknown, x: Float32Array, rows: number, W: number, Ci: number, sw: number, Wp: number, scratch: Float32Array): Float32Array {
  const n = rows * W * Ci;
  const xT = scratch.subarray(0, n);
  heapTranspose(backend, x, 0, rows * W, Ci, xT, 0);
  if (sw === 1) return xT;
  const rowLen = sw * Wp;
  const xs = scratch.subarray(n, n + Ci * rows * rowLen);
  for (let r = 0, src = 0, dst = 0; r < rows * Ci; r++, src += W, dst += rowLen) {
    for (let ph = 0; ph < sw; ph++) {
      for (let w = ph, j = dst + ph * Wp; w < W; w += sw, j++) xs[j] = xT[src + w]!;
    }
  }
  return xs;
}

/**
 * Fills `table` (see gemm_simd.ts's `ImageOperand`) for the convolution geometry `info` whose NHWC input starts
 * at byte `x` of the heap; `zero` is the byte address of `inChannels` zeros, read for taps that fall
 * in the padding and for the rows past the last pixel.
 */
export function convGatherTable(info: tf.backend_util.Conv2DInfo, x: number, zero: number, table: Int32Array, stride: number): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const P = B * OH * OW;
  for (let kh = 0, t = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++, t++) {
      let i = t * stride;
      for (let b = 0; b < B; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh + kh - top;
          const rowOk = ih >= 0 && ih < H;
          const row = x + 4 * Ci * (b * H + ih) * W;
          for (let ow = 0; ow < OW; ow++, i++) {
            const iw = ow * sw + kw - left;
            table[i] = rowOk && iw >= 0 && iw < W ? row + 4 * Ci * iw : zero;
          }
        }
      }
      table.fill(zero, t * stride + P, (t + 1) * stride);
    }
  }
}

/**
 * `scatter(table, stride, cols, P, taps, channelBytes)`: col2im as a SIMD loop. For every output pixel
 * `p < P` and tap `t < taps` it adds the `channels` floats of row `p` of `cols` (a `P x (taps *
 * channels)` row-major matrix at byte `cols`) at tap `t` into the input pixel at byte address
 * `table[t * stride + p]` (a convolution's gather table, gemm_simd.ts: taps in the padding point at a
 * scratch run that receives them). One thread: input pixels receive several taps. `channels` is a
 * multiple of 4.
 */
export type Col2imFn = (table: number, stride: number, cols: number, P: number, taps: number, channelBytes: number) => void;

const cache = new WeakMap<object, Col2imFn | null>();

/** {@link Col2imFn} compiled against `memory`, or `null` without wasm SIMD; once per memory. */
export function col2imFor(memory: WebAssembly.Memory | undefined): Col2imFn | null {
  return instantiateFor(cache, memory, col2imBytes, (e) => e.scatter as Col2imFn);
}

function col2imBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Params 0 table, 1 stride, 2 cols, 3 P, 4 taps, 5 channelBytes; locals 6 p, 7 t, 8 d, 9 c, 10 src.
  const [TABLE, STRIDE, COLS, PP, TAPS, CB, P, T, D, C, SRC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const m = [0x02, 0x00];
  const channels = loop([...get(C), ...get(CB), I32_GE_S], [ // 4 a step
    ...get(D), ...get(C), 0x6a, ...get(D), ...get(C), 0x6a, ...simd(0x00), ...m, ...get(SRC), ...simd(0x00), ...m, ...simd(0xe4), ...simd(0x0b), ...m,
    ...addTo(SRC, 16), ...addTo(C, 16),
  ]);
  const taps = loop([...get(T), ...get(TAPS), I32_GE_S], [
    // d = table[t*stride + p]
    ...get(TABLE), ...get(T), ...get(STRIDE), 0x6c, ...get(P), 0x6a, ...i32const(2), 0x74, 0x6a, 0x28, 0x02, 0x00, ...set(D),
    ...i32const(0), ...set(C), ...channels, ...addTo(T, 1),
  ]);
  const body = [...get(COLS), ...set(SRC), ...i32const(0), ...set(P), ...loop([...get(P), ...get(PP), I32_GE_S], [...i32const(0), ...set(T), ...taps, ...addTo(P, 1)])];
  return functionsModule(shared, [{ name: 'scatter', params: Array<number>(6).fill(I32), locals: [[5, I32]], body }]);
}
