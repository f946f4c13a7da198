/**
 * `Sum` and `Mean` for the wasm backend over leading axes (the batch-norm gradient's per-channel sums
 * over `[N, H, W]`) and over all axes (the Trainer's finiteness markers over every gradient), as
 * WebAssembly SIMD passes that accumulate in float64.
 *
 * tfjs-backend-wasm reduces only innermost axes: for leading ones it first transposes the input with
 * its element-by-element `Transpose`, ~30 ns a value, on every activation-sized gradient; and its
 * whole-tensor sum is a scalar float32 loop (~3.5 GB/s on the U-Net's 8-million-value gradients).
 * Here `out[j] = sum_i x[i, j]` over the `[outer, inner]` view (`inner = 1` for a whole-tensor sum),
 * accumulated in float64 (as the cpu backend does) and rounded to float32 once: rows are added
 * four columns at a time into a float64 accumulator row ({@link reduceSimdFor}; a whole-tensor sum
 * keeps four float64 lanes), with a JavaScript loop where SIMD is missing or `inner` is not a
 * multiple of 4. Other axes and dtypes go to the backend's own kernels.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';
import { I32, I32_GE_S, I32_GE_U, V128, addTo, backendMemory, functionsModule, get, i32const, instantiateFor, loop, set, simd, type WasmFunction } from './wasm_module.js';

/**
 * The number of leading axes `axis` reduces when it is exactly `[0, .., k-1]` with `0 < k <= rank`
 * (`k = rank`: every axis), else 0.
 */
export function leadingAxes(axis: number | number[], shape: readonly number[]): number {
  const axes = [...tf.util.parseAxisParam(axis, shape as number[])].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length > shape.length) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/** `cols(src, rows, innerBytes, acc)`, `all(src, bytes, acc)`: byte addresses; see {@link reduceSimdFor}. */
export interface ReduceSimd {
  cols(src: number, rows: number, innerBytes: number, acc: number): void;
  all(src: number, bytes: number, acc: number): void;
}

const LOAD = 0x00;
const STORE = 0x0b;
const SHUFFLE = 0x0d;
const PROMOTE_LOW = 0x5f;
const F64X2_ADD = 0xf0;
/** `i8x16.shuffle` immediates moving float32 lanes 2 and 3 of the first operand down to 0 and 1. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const m = (offset: number): number[] => [0x03, offset]; // align 8, small offset

/**
 * `cols`: params 0 src, 1 rows, 2 innerBytes, 3 acc (float64, `innerBytes / 4` of them): adds every
 * row of the `rows x inner` float32 matrix at `src` into `acc`, four columns a step. Locals 4 p, 5 r,
 * 6 q, 7 q end; v128 8.
 */
function colsFunction(): WasmFunction {
  const [SRC, ROWS, IB, ACC, P, R, Q, QEND, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const columns = loop([...get(Q), ...get(QEND), I32_GE_U], [ // 4 a step
    ...get(P), ...simd(LOAD), ...m(0), ...set(V),
    ...get(Q), ...get(Q), ...simd(LOAD), ...m(0), ...get(V), ...simd(PROMOTE_LOW), ...simd(F64X2_ADD), ...simd(STORE), ...m(0),
    ...get(Q), ...get(Q), ...simd(LOAD), ...m(16), ...get(V), ...get(V), ...simd(SHUFFLE), ...HIGH_HALF, ...simd(PROMOTE_LOW), ...simd(F64X2_ADD), ...simd(STORE), ...m(16),
    ...addTo(P, 16), ...addTo(Q, 32),
  ]);
  const body = [
    ...get(SRC), ...set(P), ...i32const(0), ...set(R),
    ...get(ACC), ...get(IB), ...i32const(1), 0x74, 0x6a, ...set(QEND),
    ...loop([...get(R), ...get(ROWS), I32_GE_S], [...get(ACC), ...set(Q), ...columns, ...addTo(R, 1)]),
  ];
  return { name: 'cols', params: [I32, I32, I32, I32], locals: [[4, I32], [1, V128]], body };
}

/**
 * `all`: params 0 src, 1 bytes (a multiple of 16), 2 acc (four float64): the sum of the float32
 * values at `src` in four float64 lanes, written to `acc`. 64 bytes a step into four pairs of
 * accumulators (one pair's chain of float64 additions ran at a third of the memory's speed), then
 * 16 bytes a step. Locals 3 p, 4 end, 5 end of the 64-byte steps; v128 6 v, 7.. the pairs (low, high).
 */
function allFunction(): WasmFunction {
  const [SRC, BYTES, ACC, P, END, END64, V] = [0, 1, 2, 3, 4, 5, 6];
  const lo = (u: number) => 7 + 2 * u;
  const hi = (u: number) => 8 + 2 * u;
  const add = (u: number, offset: number): number[] => [
    ...get(P), ...simd(LOAD), ...m(offset), ...set(V),
    ...get(lo(u)), ...get(V), ...simd(PROMOTE_LOW), ...simd(F64X2_ADD), ...set(lo(u)),
    ...get(hi(u)), ...get(V), ...get(V), ...simd(SHUFFLE), ...HIGH_HALF, ...simd(PROMOTE_LOW), ...simd(F64X2_ADD), ...set(hi(u)),
  ];
  const body: number[] = [];
  body.push(...get(SRC), ...set(P), ...get(SRC), ...get(BYTES), 0x6a, ...set(END));
  body.push(...get(SRC), ...get(BYTES), ...i32const(-64), 0x71, 0x6a, ...set(END64)); // src + (bytes & ~63)
  body.push(...loop([...get(P), ...get(END64), I32_GE_U], [...[0, 1, 2, 3].flatMap((u) => add(u, 16 * u)), ...addTo(P, 64)])); // 64 bytes a step
  body.push(...loop([...get(P), ...get(END), I32_GE_U], [...add(0, 0), ...addTo(P, 16)])); // 16 bytes a step
  for (const part of [lo, hi]) {
    body.push(...get(part(0)), ...get(part(1)), ...simd(F64X2_ADD), ...get(part(2)), ...get(part(3)), ...simd(F64X2_ADD), ...simd(F64X2_ADD), ...set(part(0)));
  }
  body.push(...get(ACC), ...get(lo(0)), ...simd(STORE), ...m(0));
  body.push(...get(ACC), ...get(hi(0)), ...simd(STORE), ...m(16));
  return { name: 'all', params: [I32, I32, I32], locals: [[3, I32], [9, V128]], body };
}

const cache = new WeakMap<object, ReduceSimd | null>();

/** The SIMD reductions bound to `memory`, or `null` where this engine cannot compile them; once per memory. */
export function reduceSimdFor(memory: WebAssembly.Memory | undefined): ReduceSimd | null {
  const bytes = (shared: boolean) => functionsModule(shared, [colsFunction(), allFunction()]);
  return instantiateFor(cache, memory, bytes, (e) => ({ cols: e.cols as ReduceSimd['cols'], all: e.all as ReduceSimd['all'] }));
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
  const acc = sumRows(backend, x, outer, inner);
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  if (kernel === tf.Mean) for (let j = 0; j < inner; j++) dst[j] = acc[j]! / outer;
  else dst.set(acc);
  return out;
}

/** `acc[j] = sum_i x[i, j]` over `x` as `outer x inner` float32 values, in float64. */
function sumRows(backend: WasmBackendLike, x: tf.TensorInfo, outer: number, inner: number): Float64Array {
  const vector = reduceSimdFor(backendMemory(backend));
  if (vector !== null && (inner % 4 === 0 || inner === 1)) {
    // Four float64 lanes (a whole-tensor sum) or one per column, on the heap.
    const slots = inner === 1 ? 4 : inner;
    const scratch = backend.makeOutput([2 * slots], 'float32');
    try {
      const src = backend.typedArrayFromHeap(x) as Float32Array;
      const buf = backend.typedArrayFromHeap(scratch) as Float32Array;
      if (buf.byteOffset % 8 !== 0) throw new Error('reduce: the heap gave a scratch buffer not aligned for float64');
      const acc = new Float64Array(buf.buffer, buf.byteOffset, slots);
      acc.fill(0);
      const n = outer * inner;
      if (inner === 1) {
        const body = n - (n % 4);
        vector.all(src.byteOffset, 4 * body, acc.byteOffset);
        let total = acc[0]! + acc[1]! + acc[2]! + acc[3]!;
        for (let i = body; i < n; i++) total += src[i]!;
        return Float64Array.of(total);
      }
      vector.cols(src.byteOffset, outer, 4 * inner, acc.byteOffset);
      return acc.slice();
    } finally {
      backend.disposeData(scratch.dataId);
    }
  }
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const acc = new Float64Array(inner);
  for (let i = 0, o = 0; i < outer; i++, o += inner) {
    for (let j = 0; j < inner; j++) acc[j]! += src[o + j]!;
  }
  return acc;
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
