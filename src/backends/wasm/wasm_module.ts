/**
 * A few helpers to assemble small WebAssembly modules from their opcodes (no toolchain, no binary
 * file), for the SIMD loops that work directly on the tfjs wasm backend's memory.
 *
 * @internal
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** `i32.const n` (its immediate is a signed LEB128: 64 as an unsigned LEB would read as -64). */
export function i32const(n: number): number[] {
  const out: number[] = [0x41];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** A section: id, byte length, body. */
export function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

/** A vector: count, then the items. */
export function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

/** A SIMD instruction (prefix 0xfd). */
export const simd = (op: number): number[] => [0xfd, ...leb(op)];

/** `local.get i` / `local.set i`. */
export const get = (i: number): number[] => [0x20, ...leb(i)];
export const set = (i: number): number[] => [0x21, ...leb(i)];

/** `i32.lt_s`, `i32.ge_s`, `i32.ge_u`, `i32.gt_u`, `i32.eqz`: the comparisons the loops exit on. */
export const I32_LT_S = 0x48;
export const I32_GE_S = 0x4e;
export const I32_GE_U = 0x4f;
export const I32_GT_U = 0x4b;
export const I32_EQZ = 0x45;

/**
 * A loop that leaves when `exit` (instructions leaving an i32 on the stack) is true, else runs `body`
 * and starts over: `block`, `loop`, `exit`, `br_if 1`, `body`, `br 0`, `end`, `end`. Every loop of the
 * hand-assembled kernels has this shape.
 */
export function loop(exit: number[], body: number[]): number[] {
  return [0x02, 0x40, 0x03, 0x40, ...exit, 0x0d, 0x01, ...body, 0x0c, 0x00, 0x0b, 0x0b];
}

/** `local += n` (i32). */
export function addTo(local: number, n: number): number[] {
  return [...get(local), ...i32const(n), 0x6a, ...set(local)];
}

/** One exported function: its name, parameter types (no results), locals (`[count, type]` groups) and body (without the final `end`). */
export interface WasmFunction {
  readonly name: string;
  readonly params: number[];
  readonly locals: Array<[number, number]>;
  readonly body: number[];
}

/** A module importing `env.memory` (shared or not, as `memory` is) and exporting `functions`. */
export function functionsModule(shared: boolean, functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const memLimits = shared ? [0x03, ...leb(1), ...leb(65536)] : [0x00, ...leb(1)];
  const name = (s: string) => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  const imp = [...name('env'), ...name('memory'), 0x02, ...memLimits];
  const code = (f: WasmFunction) => {
    const fn = [...leb(f.locals.length), ...f.locals.flatMap(([n, t]) => [...leb(n), t]), ...f.body, 0x0b];
    return [...leb(fn.length), ...fn];
  };
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(functions.map((f) => [0x60, ...leb(f.params.length), ...f.params, 0x00]))),
    ...section(2, vec([imp])),
    ...section(3, vec(functions.map((_, i) => leb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(functions.map(code))),
  ]);
}

/** {@link functionsModule} with one function `name`. */
export function singleFunctionModule(shared: boolean, name: string, params: number[], locals: Array<[number, number]>, body: number[]): Uint8Array<ArrayBuffer> {
  return functionsModule(shared, [{ name, params, locals, body }]);
}

/**
 * Compiles `bytes(shared)` against `memory` and returns `pick` of its exports, once per memory
 * (cached in `cache`), or `null` where this engine cannot (no wasm SIMD).
 */
export function instantiateFor<T>(cache: WeakMap<object, T | null>, memory: WebAssembly.Memory | undefined, bytes: (shared: boolean) => Uint8Array<ArrayBuffer>, pick: (exports: WebAssembly.Exports) => T): T | null {
  if (memory === undefined) return null;
  const hit = cache.get(memory);
  if (hit !== undefined) return hit;
  let out: T | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes(shared)), { env: { memory } });
    out = pick(instance.exports);
  } catch {
    out = null;
  }
  cache.set(memory, out);
  return out;
}

/** {@link instantiateFor} of the one export `name`. */
export function compileFor<F>(cache: WeakMap<object, F | null>, memory: WebAssembly.Memory | undefined, name: string, bytes: (shared: boolean) => Uint8Array<ArrayBuffer>): F | null {
  return instantiateFor(cache, memory, bytes, (exports) => exports[name] as F);
}

/** The `WebAssembly.Memory` of a tfjs wasm backend, or undefined. */
export function backendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  return wasm?.wasmMemory ?? wasm?.asm?.memory;
}
