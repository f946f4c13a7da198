/**
 * The inner loop of the fused Adam update ({@link ADAM_UPDATE_KERNEL}) as a tiny WebAssembly SIMD
 * function that works directly on the tfjs wasm backend's memory (imported, shared or not).
 *
 * The module is assembled here from its opcodes (~200 bytes; no toolchain, no binary file). Every
 * operation is an IEEE float32 `f32x4` operation in the op sequence's order, so the results are bit for
 * bit those of tfjs' element-wise kernels; four lanes per instruction instead of the JavaScript loop's
 * one. Only whole groups of four run here; the caller does the tail.
 *
 * @internal
 */

import { F32, I32, I32_GE_U, V128, addTo, compileFor, functionsModule, get, loop, set, simd, type WasmFunction } from './wasm_module.js';

/** `update(m, v, w, g, mOut, vOut, wOut, byteLength, b1, c1, b2, c2, d1, d2, eps, negLr)`; pointers are byte offsets. */
export type AdamSimd = (...args: number[]) => void;

const LOAD = 0x00;
const STORE = 0x0b;
const SPLAT = 0x13;
const SQRT = 0xe3;
const ADD = 0xe4;
const MUL = 0xe6;
const DIV = 0xe7;

/**
 * The update loop as a module function named `name` (also part of the GEMM module, whose helper
 * threads run it on parts of a large variable: gemm_threads.ts).
 */
export function adamFunction(name = 'update'): WasmFunction {
  // Parameters: 0..7 i32 (m, v, w, g, mo, vo, wo, n), 8..15 f32 (b1, c1, b2, c2, d1, d2, eps, nlr).
  // Locals: 16 i32 i; 17..24 v128 splats of 8..15; 25 g, 26 m', 27 v'.
  const addr = (p: number) => [...get(p), ...get(16), 0x6a]; // p + i
  const load = (p: number) => [...addr(p), ...simd(LOAD), 0x04, 0x00]; // align 2^4, offset 0
  const body: number[] = [];
  for (let k = 0; k < 8; k++) body.push(...get(8 + k), ...simd(SPLAT), ...set(17 + k));
  const step: number[] = [];
  step.push(...load(3), ...set(25)); // g
  // m' = m*b1 + g*c1
  step.push(...load(0), ...get(17), ...simd(MUL), ...get(25), ...get(18), ...simd(MUL), ...simd(ADD), ...set(26));
  // v' = v*b2 + (g*g)*c2
  step.push(...load(1), ...get(19), ...simd(MUL), ...get(25), ...get(25), ...simd(MUL), ...get(20), ...simd(MUL), ...simd(ADD), ...set(27));
  step.push(...addr(4), ...get(26), ...simd(STORE), 0x04, 0x00);
  step.push(...addr(5), ...get(27), ...simd(STORE), 0x04, 0x00);
  // w' = ((m'/d1) / (sqrt(v'/d2) + eps)) * nlr + w
  step.push(...addr(6));
  step.push(...get(26), ...get(21), ...simd(DIV));
  step.push(...get(27), ...get(22), ...simd(DIV), ...simd(SQRT), ...get(23), ...simd(ADD));
  step.push(...simd(DIV), ...get(24), ...simd(MUL), ...load(2), ...simd(ADD));
  step.push(...simd(STORE), 0x04, 0x00);
  body.push(...loop([...get(16), ...get(7), I32_GE_U], [...step, ...addTo(16, 16)])); // until i >=u n, 16 bytes a step
  const params = [...Array<number>(8).fill(I32), ...Array<number>(8).fill(F32)];
  return { name, params, locals: [[1, I32], [11, V128]], body };
}

/** The module's bytes; `shared` must match the memory it will import. */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return functionsModule(shared, [adamFunction()]);
}

const cache = new WeakMap<object, AdamSimd | null>();

/**
 * The SIMD update bound to `memory` (the backend's `WebAssembly.Memory`), or `null` where this engine
 * cannot compile it (no wasm SIMD); compiled once per memory.
 */
export function adamSimdFor(memory: WebAssembly.Memory | undefined): AdamSimd | null {
  return compileFor(cache, memory, 'update', moduleBytes);
}
