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

/**
 * A module importing `env.memory` (shared or not, as `memory` is) and exporting one function `name`
 * of the given parameter types and no results, with `locals` (as `[count, type]` groups) and `body`
 * (the instructions, without the final `end`).
 */
export function singleFunctionModule(shared: boolean, name: string, params: number[], locals: Array<[number, number]>, body: number[]): Uint8Array<ArrayBuffer> {
  const type = [0x60, ...leb(params.length), ...params, 0x00];
  const memLimits = shared ? [0x03, ...leb(1), ...leb(65536)] : [0x00, ...leb(1)];
  const imp = [...leb(3), 0x65, 0x6e, 0x76, ...leb(6), ...Array.from('memory', (c) => c.charCodeAt(0)), 0x02, ...memLimits];
  const fn = [...leb(locals.length), ...locals.flatMap(([n, t]) => [...leb(n), t]), ...body, 0x0b];
  const nameBytes = Array.from(name, (c) => c.charCodeAt(0));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, vec([imp])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...leb(nameBytes.length), ...nameBytes, 0x00, 0x00]])),
    ...section(10, vec([[...leb(fn.length), ...fn]])),
  ]);
}

/**
 * Compiles `bytes(shared)` against `memory` and returns its export `name`, once per memory (cached in
 * `cache`), or `null` where this engine cannot (no wasm SIMD).
 */
export function compileFor<F>(cache: WeakMap<object, F | null>, memory: WebAssembly.Memory | undefined, name: string, bytes: (shared: boolean) => Uint8Array<ArrayBuffer>): F | null {
  if (memory === undefined) return null;
  const hit = cache.get(memory);
  if (hit !== undefined) return hit;
  let fn: F | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes(shared)), { env: { memory } });
    fn = instance.exports[name] as F;
  } catch {
    fn = null;
  }
  cache.set(memory, fn);
  return fn;
}

/** The `WebAssembly.Memory` of a tfjs wasm backend, or undefined. */
export function backendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  return wasm?.wasmMemory ?? wasm?.asm?.memory;
}
