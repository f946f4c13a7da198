/**
 * `Pix2pixAdamUpdate`: one Adam update of one variable as a single pass over the wasm heap.
 *
 * tfjs' Adam (and the Trainer's per-variable {@link applyAdam}) runs ~10 element-wise ops per variable,
 * each a full pass over parameter-sized tensors with its own output allocation. This kernel reads
 * `m`, `v`, `value` and the gradient once and writes the three new tensors once, with every
 * intermediate rounded to float32 exactly where the op sequence rounds it (`Math.fround` after each
 * IEEE operation; wasm's float32 arithmetic has no fused multiply-add), so its results are bit for
 * bit those of the op sequence:
 *
 * ```
 * m' = m*b1 + g*(1-b1)            v' = v*b2 + (g*g)*(1-b2)
 * value' = (m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps) * -lr + value
 * ```
 *
 * The loop runs as WebAssembly SIMD on the backend's memory ({@link adamSimdFor}, four lanes per
 * instruction; large variables on every thread, {@link ADAM_THREADS_MIN}), with this JavaScript loop
 * for the tail and where SIMD is unavailable.
 *
 * Registered for the wasm backend by `enableWasmTraining()`; `applyAdam` uses it when the current
 * backend has it. It writes new tensors (the old ones may be shared with snapshots), never in place.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { adamSimdFor } from './adam_simd.js';
import { backendThreads, gemmKernelsFor } from './gemm_simd.js';
import { helpersAvailable, runAdamJob } from './gemm_threads.js';
import type { KernelArgs, WasmBackendLike } from './kernel_scope.js';
import { backendMemory } from './wasm_module.js';

/** The kernel's registered name. */
export const ADAM_UPDATE_KERNEL = 'Pix2pixAdamUpdate';

/** Attributes of {@link ADAM_UPDATE_KERNEL} (plain numbers; each is rounded to float32 as tfjs' scalars are). */
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  /** `1 - beta1^t` as the float32 the op sequence computes (`tf.sub(1, accBeta1)`). */
  oneMinusAccBeta1: number;
  /** `1 - beta2^t`, likewise. */
  oneMinusAccBeta2: number;
  epsilon: number;
  learningRate: number;
}

/**
 * Variables of at least this many values are updated on every thread of the backend (the GEMM's
 * helper threads, {@link runAdamJob}); the update's divisions and square root make it compute-bound
 * enough to gain: the 256x256 step's Adam updates went from ~170 to ~100 ms on Node 24.
 */
export const ADAM_THREADS_MIN = 65536;

/** Inputs `{m, v, value, gradient}` (float32, one shape); outputs `[m', v', value']`. */
function adamUpdateWasm(args: KernelArgs): tf.TensorInfo[] {
  const { m, v, value, gradient } = args.inputs as Record<'m' | 'v' | 'value' | 'gradient', tf.TensorInfo>;
  const a = args.attrs as unknown as AdamUpdateAttrs;
  const backend = args.backend as WasmBackendLike;
  for (const t of [m, v, value, gradient]) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, value.shape)) {
      throw new Error(`${ADAM_UPDATE_KERNEL}: expects float32 tensors of one shape (got ${t.dtype} [${t.shape.join(', ')}] for [${value.shape.join(', ')}])`);
    }
  }
  const mOut = backend.makeOutput(value.shape, 'float32');
  const vOut = backend.makeOutput(value.shape, 'float32');
  const wOut = backend.makeOutput(value.shape, 'float32');
  // Views after the last allocation (a heap growth detaches earlier ones).
  const mi = backend.typedArrayFromHeap(m) as Float32Array;
  const vi = backend.typedArrayFromHeap(v) as Float32Array;
  const wi = backend.typedArrayFromHeap(value) as Float32Array;
  const gi = backend.typedArrayFromHeap(gradient) as Float32Array;
  const mo = backend.typedArrayFromHeap(mOut) as Float32Array;
  const vo = backend.typedArrayFromHeap(vOut) as Float32Array;
  const wo = backend.typedArrayFromHeap(wOut) as Float32Array;
  const f = Math.fround;
  const b1 = f(a.beta1);
  const c1 = f(1 - a.beta1);
  const b2 = f(a.beta2);
  const c2 = f(1 - a.beta2);
  const d1 = f(a.oneMinusAccBeta1);
  const d2 = f(a.oneMinusAccBeta2);
  const eps = f(a.epsilon);
  const nlr = f(-a.learningRate);
  const n = wi.length;
  const memory = backendMemory(backend);
  const vector = adamSimdFor(memory);
  let start = 0;
  if (vector !== null) {
    start = n - (n % 4);
    const pointers = [mi, vi, wi, gi, mo, vo, wo].map((t) => t.byteOffset);
    const floats = [b1, c1, b2, c2, d1, d2, eps, nlr];
    const threads = backendThreads(backend);
    const kernels = threads > 1 && n >= ADAM_THREADS_MIN && memory !== undefined && helpersAvailable(memory) ? gemmKernelsFor(memory) : null;
    if (kernels !== null && memory !== undefined) runAdamJob(memory, kernels.module, kernels, threads, pointers, start * 4, floats);
    else vector(...pointers, start * 4, ...floats);
  }
  for (let i = start; i < n; i++) {
    const g = gi[i]!;
    const mNext = f(f(mi[i]! * b1) + f(g * c1));
    const vNext = f(f(vi[i]! * b2) + f(f(g * g) * c2));
    mo[i] = mNext;
    vo[i] = vNext;
    const den = f(f(Math.sqrt(f(vNext / d2))) + eps);
    wo[i] = f(f(f(f(mNext / d1) / den) * nlr) + wi[i]!);
  }
  return [mOut, vOut, wOut];
}

/** The kernel config registered by `enableWasmTraining()`. */
export const adamUpdateWasmConfig: tf.KernelConfig = {
  kernelName: ADAM_UPDATE_KERNEL,
  backendName: 'wasm',
  kernelFunc: adamUpdateWasm as unknown as tf.KernelFunc,
};
