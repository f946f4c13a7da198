/**
 * `LeakyRelu` and the two kernels of its gradient (`Greater` against a scalar, `Select`) for the wasm
 * backend, as WebAssembly SIMD loops over the heap.
 *
 * tfjs-backend-wasm runs these as scalar loops that branch on each value's sign; on activations, whose
 * signs are random, the branch mispredicts half the time (~6 ns a value, ~100 ms of a 256x256 pix2pix
 * step for the discriminator's and encoder's activations and their gradients: tfjs' `LeakyRelu`
 * gradient is `select(greater(x, 0), dy, dy * alpha)`). Here each is a branch-free SIMD loop (compare
 * masks and `v128.bitselect`), bit for bit the same results; the tails, and every other case (other
 * dtypes, broadcasting), go to the backend's own kernels.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs, type WasmBackendLike } from './kernel_scope.js';
import { F32, I32, I32_GT_U, V128, addTo, backendMemory, compileFor, get, i32const, leb, loop, set, simd, singleFunctionModule } from './wasm_module.js';

const OP = {
  load: 0x00,
  load8x8U: 0x02,
  store: 0x0b,
  i8x16Splat: 0x0f,
  f32x4Splat: 0x13,
  i32x4Ne: 0x38,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  and: 0x4e,
  bitselect: 0x52,
  i8x16NarrowS: 0x65,
  i16x8NarrowS: 0x85,
  i32x4ExtendLowU: 0xa9,
  i32x4ExtendHighU: 0xaa,
  f32x4Mul: 0xe6,
} as const;
const memarg = [0x00, 0x00]; // align 1 (a hint), offset 0

/** Loops over `i` (local `iLocal`) from 0 by `step` while `i + step <= n` (local `nLocal`), running `body`. */
function stepLoop(iLocal: number, nLocal: number, step: number, body: number[]): number[] {
  return [...i32const(0), ...set(iLocal), ...loop([...get(iLocal), ...i32const(step), 0x6a, ...get(nLocal), I32_GT_U], [...body, ...addTo(iLocal, step)])];
}

/** `leaky(x, out, n, alpha)`: n floats (a multiple of 4); out = x < 0 ? x * alpha : x. */
function leakyBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Params 0 x, 1 out, 2 n (bytes), 3 alpha. Locals: 4 i, 5 alpha splat, 6 zero, 7 v.
  const body = [
    ...get(3), ...simd(OP.f32x4Splat), ...set(5),
    ...stepLoop(4, 2, 16, [
      ...get(0), ...get(4), 0x6a, ...simd(OP.load), ...memarg, ...set(7),
      ...get(1), ...get(4), 0x6a, // store address
      ...get(7), ...get(5), ...simd(OP.f32x4Mul), // x * alpha
      ...get(7), // x
      ...get(7), ...get(6), ...simd(OP.f32x4Lt), // x < 0
      ...simd(OP.bitselect), ...simd(OP.store), ...memarg,
    ]),
  ];
  return singleFunctionModule(shared, 'leaky', [I32, I32, I32, F32], [[1, I32], [3, V128]], body);
}

/** `greater(x, out, n, b)`: n floats (a multiple of 16) to n bytes; out = x > b ? 1 : 0. */
function greaterBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Params 0 x, 1 out (bytes), 2 n (float bytes), 3 b. Locals: 4 i, 5 b splat, 6 ones (bytes).
  const cmp = (k: number) => [...get(0), ...get(4), 0x6a, ...simd(OP.load), 0x00, ...leb(16 * k), ...get(5), ...simd(OP.f32x4Gt)];
  const body = [
    ...get(3), ...simd(OP.f32x4Splat), ...set(5),
    ...i32const(1), ...simd(OP.i8x16Splat), ...set(6),
    ...stepLoop(4, 2, 64, [
      ...get(1), ...get(4), ...i32const(2), 0x76, 0x6a, // out + i/4
      ...cmp(0), ...cmp(1), ...simd(OP.i16x8NarrowS),
      ...cmp(2), ...cmp(3), ...simd(OP.i16x8NarrowS),
      ...simd(OP.i8x16NarrowS), ...get(6), ...simd(OP.and),
      ...simd(OP.store), ...memarg,
    ]),
  ];
  return singleFunctionModule(shared, 'greater', [I32, I32, I32, F32], [[1, I32], [2, V128]], body);
}

/** `select(c, t, e, out, n)`: n floats (a multiple of 8), c bytes; out = c != 0 ? t : e. */
function selectBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Params 0 c, 1 t, 2 e, 3 out, 4 n (float bytes). Locals: 5 i, 6 wide condition, 7 zero.
  const half = (extend: number, at: number) => [
    ...get(3), ...get(5), 0x6a, // store address
    ...get(1), ...get(5), 0x6a, ...simd(OP.load), 0x00, ...leb(at),
    ...get(2), ...get(5), 0x6a, ...simd(OP.load), 0x00, ...leb(at),
    ...get(6), ...simd(extend), ...get(7), ...simd(OP.i32x4Ne),
    ...simd(OP.bitselect), ...simd(OP.store), 0x00, ...leb(at),
  ];
  const body = stepLoop(5, 4, 32, [
    ...get(0), ...get(5), ...i32const(2), 0x76, 0x6a, ...simd(OP.load8x8U), ...memarg, ...set(6), // 8 bytes -> 8 u16
    ...half(OP.i32x4ExtendLowU, 0),
    ...half(OP.i32x4ExtendHighU, 16),
  ]);
  return singleFunctionModule(shared, 'select', [I32, I32, I32, I32, I32], [[1, I32], [2, V128]], body);
}

type Fn = (...args: number[]) => void;
const caches = { leaky: new WeakMap<object, Fn | null>(), greater: new WeakMap<object, Fn | null>(), select: new WeakMap<object, Fn | null>() };

/** The compiled loop `name` for `backend`'s memory, or null (no SIMD, or arrays not on that memory). */
function loopFor(name: keyof typeof caches, backend: unknown, bytes: (shared: boolean) => Uint8Array<ArrayBuffer>, ...arrays: ArrayBufferView[]): Fn | null {
  const memory = backendMemory(backend);
  if (memory === undefined || arrays.some((a) => a.buffer !== memory.buffer)) return null;
  return compileFor(caches[name], memory, name, bytes);
}

function leakyReluWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const alpha = Math.fround((args.attrs as unknown as tf.LeakyReluAttrs).alpha);
  const backend = args.backend as WasmBackendLike;
  if (x.dtype !== 'float32') return runBaseKernel(tf.LeakyRelu, args);
  const out = backend.makeOutput(x.shape, 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const n = src.length;
  const fn = loopFor('leaky', backend, leakyBytes, src, dst);
  const head = fn === null ? 0 : n & ~3;
  if (head > 0) fn!(src.byteOffset, dst.byteOffset, 4 * head, alpha);
  for (let i = head; i < n; i++) {
    const v = src[i]!;
    dst[i] = v < 0 ? v * alpha : v;
  }
  return out;
}

function greaterWasm(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const backend = args.backend as WasmBackendLike;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || tf.util.sizeFromShape(b.shape) !== 1 || b.shape.length > a.shape.length) {
    return runBaseKernel(tf.Greater, args);
  }
  const out = backend.makeOutput(a.shape, 'bool');
  const src = backend.typedArrayFromHeap(a) as Float32Array;
  const bv = (backend.typedArrayFromHeap(b) as Float32Array)[0]!;
  const dst = backend.typedArrayFromHeap(out) as Uint8Array;
  const n = src.length;
  const fn = loopFor('greater', backend, greaterBytes, src, dst);
  const head = fn === null ? 0 : n & ~15;
  if (head > 0) fn!(src.byteOffset, dst.byteOffset, 4 * head, bv);
  for (let i = head; i < n; i++) dst[i] = src[i]! > bv ? 1 : 0;
  return out;
}

function selectWasm(args: KernelArgs): tf.TensorInfo {
  const { condition, t, e } = args.inputs as { condition: tf.TensorInfo; t: tf.TensorInfo; e: tf.TensorInfo };
  const backend = args.backend as WasmBackendLike;
  const same = (s: readonly number[]) => s.length === t.shape.length && s.every((d, i) => d === t.shape[i]);
  if (t.dtype !== 'float32' || e.dtype !== 'float32' || condition.dtype !== 'bool' || !same(e.shape) || !same(condition.shape)) {
    return runBaseKernel(tf.Select, args);
  }
  const out = backend.makeOutput(t.shape, 'float32');
  const c = backend.typedArrayFromHeap(condition) as Uint8Array;
  const tv = backend.typedArrayFromHeap(t) as Float32Array;
  const ev = backend.typedArrayFromHeap(e) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const n = dst.length;
  const fn = loopFor('select', backend, selectBytes, c, tv, ev, dst);
  const head = fn === null ? 0 : n & ~7;
  if (head > 0) fn!(c.byteOffset, tv.byteOffset, ev.byteOffset, dst.byteOffset, 4 * head);
  for (let i = head; i < n; i++) dst[i] = c[i] !== 0 ? tv[i]! : ev[i]!;
  return out;
}

/** The `LeakyRelu` config registered by `enableWasmTraining()`. */
export const leakyReluWasmConfig: tf.KernelConfig = { kernelName: tf.LeakyRelu, backendName: 'wasm', kernelFunc: leakyReluWasm as unknown as tf.KernelFunc };
/** The `Greater` config registered by `enableWasmTraining()`. */
export const greaterWasmConfig: tf.KernelConfig = { kernelName: tf.Greater, backendName: 'wasm', kernelFunc: greaterWasm as unknown as tf.KernelFunc };
/** The `Select` config registered by `enableWasmTraining()`. */
export const selectWasmConfig: tf.KernelConfig = { kernelName: tf.Select, backendName: 'wasm', kernelFunc: selectWasm as unknown as tf.KernelFunc };
