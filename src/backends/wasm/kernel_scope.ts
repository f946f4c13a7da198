/**
 * Calls other wasm kernels from inside a kernel and frees the intermediates it made.
 *
 * Kernels registered with `tf.registerKernel` run inside the engine's kernel dispatch, so they must
 * not call tfjs ops (those would be recorded on the gradient tape and counted as user tensors).
 * They call the backend's own kernel functions instead, which work on `TensorInfo`s, and must free
 * every intermediate `TensorInfo` they create. {@link KernelScope} does both.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { MR, NR, backendThreads, gemmHeap, gemmKernelsFor, gemmPanelsLength, gemmScratchLength, roundUp, type Operand } from './gemm_simd.js';
import { packedWeightsFor } from './packed_weights.js';
import { convGatherTable } from './im2col.js';
import { helpersAvailable } from './gemm_threads.js';
import { backendMemory } from './wasm_module.js';

/** The part of tfjs-backend-wasm's `BackendWasm` these kernels use (kept structural: no import). */
export interface WasmBackendLike extends tf.KernelBackend {
  /** Allocates an output tensor on the wasm heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A typed-array view of a tensor's bytes on the wasm heap (invalidated when the heap grows). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs: tf.NamedAttrMap;
}

/** tfjs-backend-wasm's own kernels that `enableWasmTraining()` replaced, by name. */
const baseKernels = new Map<string, tf.KernelConfig>();
/** The backends each base kernel's `setupFunc` has run for. */
const setUp = new WeakMap<tf.KernelConfig, WeakSet<object>>();

/**
 * Records `config` as the backend's own implementation of a kernel this package is about to replace,
 * so that the replacement (and every {@link KernelScope}) can still call it.
 */
export function rememberBaseKernel(config: tf.KernelConfig): void {
  baseKernels.set(config.kernelName, config);
}

/**
 * The wasm backend's own kernel function `name`: the one this package replaced, if any, else the one
 * registered. A replaced kernel was unregistered before tfjs could set it up for a backend that started
 * later, so its `setupFunc` runs here, once per backend.
 */
export function baseKernelFunc(name: string, backend: tf.KernelBackend): (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] {
  const config = baseKernels.get(name) ?? tf.getKernel(name, 'wasm');
  if (config === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
  if (baseKernels.has(name) && config.setupFunc !== undefined) {
    let done = setUp.get(config);
    if (done === undefined) setUp.set(config, (done = new WeakSet()));
    if (!done.has(backend)) {
      config.setupFunc(backend);
      done.add(backend);
    }
  }
  return config.kernelFunc as unknown as (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
}

/** Runs the wasm backend's own kernel `name` ({@link baseKernelFunc}), which must return one tensor. */
export function runBaseKernel(name: string, args: KernelArgs): tf.TensorInfo {
  const out = baseKernelFunc(name, args.backend)(args);
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out;
}

/** Attribute values accepted by kernels (mirrors tfjs' `NamedAttrMap`). */
export type Attrs = tf.NamedAttrMap;

/** See {@link KernelScope.gemm}. */
export const MATMUL_MAX_ROWS = 2048;

/**
 * Whether our own GEMM runs on `backend` (see {@link KernelScope.gemm}): wasm SIMD, and either one
 * thread or helper threads as many as XNNPACK's (Node's `worker_threads` on a shared memory).
 */
export function ownGemmAvailable(backend: tf.KernelBackend): boolean {
  const memory = backendMemory(backend);
  return memory !== undefined && gemmKernelsFor(memory) !== null && (backendThreads(backend) === 1 || helpersAvailable(memory));
}

/**
 * Whether {@link KernelScope.gemmImage} packs an input of `channels` channels straight from its pixels
 * for a weight gradient: a multiple of 4, or one it pads to the next multiple of 4 at most 4/3 the work
 * (3, 6, 7, 9-11, ...: the first layers' RGB and RGB pairs); 1, 2 and 5 channels would cost 1.6-4x and
 * keep im2col. The forward convolution packs multiples of 4 only.
 */
export function gatherableChannels(channels: number): boolean {
  return channels > 0 && 3 * roundUp(channels, 4) <= 4 * channels;
}

/** Copies `rows` rows of `width` values from `src` into rows of `stride >= width` in `dst`, zeros after each. */
function padRows(src: Float32Array, rows: number, width: number, dst: Float32Array, stride: number): void {
  if (stride === width) {
    dst.set(src.subarray(0, rows * width));
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = r * width;
    const d = r * stride;
    for (let c = 0; c < width; c++) dst[d + c] = src[s + c]!;
    dst.fill(0, d + width, d + stride);
  }
}

/** Panels kept for a right operand ({@link KernelScope.gemm}'s `keepB`). */
interface KeptPanels {
  readonly kept: { readonly panels: tf.TensorInfo; filled: boolean };
  readonly variant: string;
  readonly dataId: object;
}

/** Options of {@link KernelScope.gemm}. */
export interface GemmOptions {
  /** `a` holds the left operand transposed (`K x M`). Default `false`. */
  transposeA?: boolean;
  /** `b` holds the right operand transposed (`N x K`). Default `false`. */
  transposeB?: boolean;
  /** `'auto'` (default): our own GEMM where it can run, else XNNPACK; `'xnnpack'`: always XNNPACK. */
  engine?: 'auto' | 'xnnpack';
  /** A float32 tensor of `M * N` values to write the product into (returned); default: a new one. */
  out?: tf.TensorInfo;
  /**
   * `b` is a weight tensor that will be multiplied again: our GEMM keeps its packed panels while `b`
   * lives (packed_weights.ts, within a budget) and later calls with `keepB` read them instead of
   * packing `b`. Default `false`.
   */
  keepB?: boolean;
}

/**
 * Runs wasm kernels by name and remembers every output so that {@link KernelScope.dispose} can free
 * all of them except the ones passed to {@link KernelScope.keep}.
 * @internal
 */
export class KernelScope {
  private readonly made: tf.TensorInfo[] = [];
  private readonly kept = new Set<object>();

  /** @param backend - the wasm backend the calling kernel received. */
  constructor(readonly backend: WasmBackendLike) {}

  /**
   * Runs the wasm kernel `name` on `inputs` with `attrs` and tracks its output. Where this package
   * replaced the backend's kernel of that name, the backend's own one runs ({@link runBaseKernel}).
   */
  run(name: string, inputs: Record<string, tf.TensorInfo> | tf.TensorInfo[], attrs: Attrs = {}): tf.TensorInfo {
    const out = runBaseKernel(name, { inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs });
    this.made.push(out);
    return out;
  }

  /** Allocates a tracked output tensor on the wasm heap. */
  alloc(shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
    const out = this.backend.makeOutput(shape, dtype);
    this.made.push(out);
    return out;
  }

  /** `Reshape` (shares the data; only the reference count changes). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** `Transpose` with permutation `perm`. */
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /**
   * The matrix product `a · b` of the `M x K` matrix `a` and the `K x N` matrix `b` (row-major, any
   * shapes with those sizes; `transposeA`: `a` holds `aT` as `K x M`, `transposeB`: `b` holds `bT` as
   * `N x K`), as an `M x N` tensor.
   *
   * By default it runs on our own packed SIMD GEMM ({@link gemmHeap}: fused multiply-add where the
   * engine has relaxed SIMD, multithreaded like XNNPACK), which beat XNNPACK on every product of the
   * pix2pix step, with a new operand on every call as in training (`node bench/kernels.mjs --own-gemm`:
   * XNNPACK packs its right operand on every call too, and tfjs transposes a convolution filter first).
   * Where our kernels cannot run (no wasm SIMD), or could run on one thread only while XNNPACK has
   * several (browsers: no `worker_threads`), and with `engine: 'xnnpack'`, it runs on XNNPACK:
   * below {@link MATMUL_MAX_ROWS} rows, or with a transposed operand, as `BatchMatMul` (XNNPACK's fully
   * connected operator, whose packing is several times cheaper than `Conv2D`'s); otherwise as a 1x1
   * `Conv2D`, whose GEMM ran ~15% faster there (`--gemm`). The result is tracked unless it is
   * `options.out`.
   */
  gemm(a: tf.TensorInfo, b: tf.TensorInfo, M: number, K: number, N: number, options: GemmOptions = {}): tf.TensorInfo {
    const { transposeA = false, transposeB = false, engine = 'auto' } = options;
    if (engine === 'auto' && this.ownGemm()) {
      const out = options.out ?? this.alloc([M, N]);
      const kept = options.keepB === true && M > 0 ? this.keptPanels(b, K, N, transposeB) : null;
      const scratch = this.alloc([gemmScratchLength(M, N, K, NR, kept !== null)]);
      // Views are taken after the last allocation: a heap growth would detach earlier ones.
      const heap = (t: tf.TensorInfo) => this.backend.typedArrayFromHeap(t) as Float32Array;
      const right = this.rightOperand(heap(b), transposeB, kept);
      if (gemmHeap(this.backend, { data: heap(a), transposed: transposeA }, right, heap(out), M, N, K, heap(scratch))) {
        this.panelsPacked(kept);
        return out;
      }
      this.panelsPacked(kept, false);
    }
    const prod = this.xnnpackGemm(a, b, M, K, N, transposeA, transposeB);
    if (options.out === undefined) return prod;
    const heap = (t: tf.TensorInfo) => this.backend.typedArrayFromHeap(t) as Float32Array;
    heap(options.out).set(heap(prod).subarray(0, M * N));
    return options.out;
  }

  /** Whether {@link KernelScope.gemm} runs on our own kernels here ({@link ownGemmAvailable}). */
  ownGemm(): boolean {
    return ownGemmAvailable(this.backend);
  }

  /**
   * The product of a convolution's NHWC float32 input `x` (geometry `info`), taken as its im2col
   * matrix (`pixelsAsRows`: `P x R`, `P` output pixels, `R = KH*KW*Ci`) or as that matrix transposed
   * (`R x P`), and the row-major `b` (`R x N` or `P x N`), on our own GEMM, which packs `x` straight
   * from its pixels (an {@link ImageOperand}): no im2col matrix is written. `null` where that cannot
   * run ({@link KernelScope.ownGemm} false, or `Ci` not a multiple of 4, except a weight gradient's
   * `Ci` that {@link gatherableChannels} pads); the caller then builds the matrix and calls
   * {@link KernelScope.gemm}. `keepB`: as {@link GemmOptions.keepB} (forward: `b` is the filter). The
   * result is tracked unless it is `out`.
   */
  gemmImage(x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, pixelsAsRows: boolean, b: tf.TensorInfo, N: number, out?: tf.TensorInfo, keepB = false): tf.TensorInfo | null {
    const Ci = info.inChannels;
    if (Ci === 0 || !this.ownGemm()) return null;
    if (Ci % 4 !== 0) return !pixelsAsRows && gatherableChannels(Ci) ? this.paddedWeightGradient(x, info, b, N, out) : null;
    const taps = info.filterHeight * info.filterWidth;
    const P = info.batchSize * info.outHeight * info.outWidth;
    const R = taps * Ci;
    const [M, K] = pixelsAsRows ? [P, R] : [R, P];
    const { table, stride } = this.gatherTable(x, info);
    const product = out ?? this.alloc([M, N]);
    const kept = keepB && M > 0 ? this.keptPanels(b, K, N, false) : null;
    const scratch = this.alloc([gemmScratchLength(M, N, K, NR, kept !== null)]);
    // Views are taken after the last allocation: a heap growth would detach earlier ones.
    const heap = (t: tf.TensorInfo) => this.backend.typedArrayFromHeap(t);
    const tableView = heap(table) as Int32Array;
    const image = { table: tableView, stride, channels: Ci, pixelsAsRows };
    const right = this.rightOperand(heap(b) as Float32Array, false, kept);
    const ok = gemmHeap(this.backend, image, right, heap(product) as Float32Array, M, N, K, heap(scratch) as Float32Array);
    this.panelsPacked(kept, ok);
    if (!ok) throw new Error('gemmImage: the GEMM kernels refused operands on the heap');
    return product;
  }

  /**
   * {@link KernelScope.gemmImage}'s weight gradient for an input whose channels are not a multiple of 4
   * (the 3- and 6-channel first layers): the input is copied with zero channels up to the next multiple
   * of 4, and the product's rows for those channels are dropped. (The forward convolution gains nothing
   * that way: `node bench/kernels.mjs --conv-methods --only fwd`, 3 -> 64 channels at 256x256, 8.9 ms
   * against XNNPACK's 6.2 on one thread; the weight gradients of the 256 step's 6-channel layer 33
   * against 44 ms on im2col.)
   */
  private paddedWeightGradient(x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, dy: tf.TensorInfo, N: number, out?: tf.TensorInfo): tf.TensorInfo | null {
    const Ci = info.inChannels;
    const Cp = roundUp(Ci, 4);
    const taps = info.filterHeight * info.filterWidth;
    const pixels = info.batchSize * info.inHeight * info.inWidth;
    const padded: tf.backend_util.Conv2DInfo = { ...info, inChannels: Cp, inShape: [info.batchSize, info.inHeight, info.inWidth, Cp] };
    const xp = this.alloc([info.batchSize, info.inHeight, info.inWidth, Cp]);
    // Views after the allocations: a heap growth would detach earlier ones.
    const heap = (t: tf.TensorInfo) => this.backend.typedArrayFromHeap(t) as Float32Array;
    padRows(heap(x), pixels, Ci, heap(xp), Cp);
    const product = this.gemmImage(xp, padded, false, dy, N);
    if (product === null) return null;
    const result = out ?? this.alloc([taps * Ci, N]);
    const src = heap(product);
    const dst = heap(result);
    for (let t = 0; t < taps; t++) dst.set(src.subarray(t * Cp * N, (t * Cp + Ci) * N), t * Ci * N);
    return result;
  }

  /**
   * `b`'s kept panels for a `K x N` right operand ({@link GemmOptions.keepB}): filled ones from an
   * earlier call, or new ones this call packs into (so only for a product with rows: `gemmHeap`
   * returns before packing anything when `M` is 0); `null` past the budget.
   */
  private keptPanels(b: tf.TensorInfo, K: number, N: number, transposed: boolean): KeptPanels | null {
    const cache = packedWeightsFor(this.backend);
    const variant = `${transposed ? 'T' : 'N'}${NR}:${K}x${N}`;
    const kept = cache.get(b.dataId, variant) ?? cache.reserve(b.dataId, variant, gemmPanelsLength(N, K, NR));
    return kept === null ? null : { kept, variant, dataId: b.dataId };
  }

  /** The GEMM's right operand: `data`, with its kept panels if any (views taken by the caller). */
  private rightOperand(data: Float32Array, transposed: boolean, kept: KeptPanels | null): Operand {
    if (kept === null) return { data, transposed };
    const view = this.backend.typedArrayFromHeap(kept.kept.panels) as Float32Array;
    return { data, transposed, panels: { view, filled: kept.kept.filled } };
  }

  /** After a product with kept panels: they hold the packing now (`ok`), or are freed if never filled. */
  private panelsPacked(kept: KeptPanels | null, ok = true): void {
    if (kept === null || kept.kept.filled) return;
    if (ok) kept.kept.filled = true;
    else packedWeightsFor(this.backend).forget(kept.dataId, kept.variant);
  }

  /**
   * A tracked table of the heap addresses a convolution of geometry `info` reads from the NHWC tensor
   * `x` ({@link convGatherTable}: `table[t * stride + p]` for tap `t` and output pixel `p`, rows padded
   * to whole panels of {@link MR}), its taps in the padding pointing at a tracked run of `inChannels`
   * zeros: what the GEMM's gathering packs read, and where col2im's padding taps land.
   */
  gatherTable(x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): { table: tf.TensorInfo; stride: number } {
    const stride = roundUp(info.batchSize * info.outHeight * info.outWidth, MR);
    const table = this.alloc([info.filterHeight * info.filterWidth * stride], 'int32');
    const zero = this.alloc([info.inChannels]);
    const heap = (t: tf.TensorInfo) => this.backend.typedArrayFromHeap(t);
    const zeros = heap(zero) as Float32Array;
    zeros.fill(0);
    convGatherTable(info, heap(x).byteOffset, zeros.byteOffset, heap(table) as Int32Array, stride);
    return { table, stride };
  }

  /** {@link KernelScope.gemm} on XNNPACK. */
  private xnnpackGemm(a: tf.TensorInfo, b: tf.TensorInfo, M: number, K: number, N: number, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
    if (M < MATMUL_MAX_ROWS || transposeA || transposeB) {
      const out = this.run(
        'BatchMatMul',
        { a: this.reshape(a, transposeA ? [1, K, M] : [1, M, K]), b: this.reshape(b, transposeB ? [1, N, K] : [1, K, N]) },
        { transposeA, transposeB },
      );
      return this.reshape(out, [M, N]);
    }
    const out = this.run(
      'Conv2D',
      { x: this.reshape(a, [1, 1, M, K]), filter: this.reshape(b, [1, 1, K, N]) },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
    );
    return this.reshape(out, [M, N]);
  }

  /** Marks `info` as the caller's result: {@link KernelScope.dispose} will not free it. */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    this.kept.add(info);
    return info;
  }

  /** Frees every tracked output that was not kept. */
  dispose(): void {
    for (const info of this.made) {
      if (!this.kept.has(info)) this.backend.disposeData(info.dataId);
    }
    this.made.length = 0;
  }
}

/**
 * A convolution's `pad` attribute for the NHWC layout: explicit paddings are given per dimension of the
 * data format, so NCHW's `[[0,0],[0,0],[t,b],[l,r]]` becomes `[[0,0],[t,b],[l,r],[0,0]]`.
 */
export function padForChannelsLast<T>(pad: T, dataFormat: string): T {
  if (dataFormat !== 'NCHW' || !Array.isArray(pad)) return pad;
  const p = pad as unknown as number[][];
  return [p[0], p[2], p[3], p[1]] as unknown as T;
}

/** `t` in NHWC: transposed (through `scope`, so it is freed) when `dataFormat` is NCHW. */
export function toChannelsLast(scope: KernelScope, t: tf.TensorInfo, dataFormat: string): tf.TensorInfo {
  return dataFormat === 'NCHW' ? scope.transpose(t, [0, 2, 3, 1]) : t;
}

/** The attributes both conv backprop kernels share with tfjs' conv ops. */
export interface ConvBackpropAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * tfjs' conv geometry (output size, padding, strides) for an NHWC input of shape `nhwcIn` and an HWIO
 * filter of shape `filterShape`, with the attributes' padding mapped from `dataFormat` to NHWC.
 */
export function channelsLastConvInfo(
  nhwcIn: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvBackpropAttrs,
  dataFormat: string,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    nhwcIn,
    filterShape,
    attrs.strides,
    1,
    padForChannelsLast(attrs.pad, dataFormat),
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * Transposes the `rows x cols` row-major matrix at `src[srcOff..]` into `dst[dstOff..]` (`cols x rows`),
 * in `T`x`T` blocks so that both sides stay in cache (an 8192x1024 matrix: 23 ms with the default 16,
 * against 56 ms with 32x32 blocks and 245 ms with the backend's `Transpose` kernel:
 * `node bench/kernels.mjs --transpose`).
 */
export function transposeInto(src: Float32Array, srcOff: number, rows: number, cols: number, dst: Float32Array, dstOff: number, T = 16): void {
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) {
        const s = srcOff + r * cols;
        for (let c = c0; c < c1; c++) dst[dstOff + c * rows + r] = src[s + c]!;
      }
    }
  }
}
