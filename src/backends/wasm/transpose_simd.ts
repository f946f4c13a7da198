/**
 * Matrix transposes on the wasm heap as WebAssembly SIMD: 4x4 blocks, each read as four `v128` rows,
 * turned by eight lane shuffles and written as four `v128` columns.
 *
 * The kernels transpose filters (the weight-GEMM convolution transposes every large filter once per
 * training step: ~54 million values at 256x256), inputs (im2col goes channels-first) and products.
 * The blocked JavaScript loop ({@link transposeInto}) moves ~3-5 ns a value; this one moves a 4x4 block
 * in about the time that loop moves two values (`node bench/kernels.mjs --transpose`). JavaScript
 * walks 32x32 tiles (so both sides stay in cache) and does the edges where a dimension is not a
 * multiple of 4.
 *
 * @internal
 */

import { transposeInto } from './kernel_scope.js';
import { I32, I32_GE_S, V128, addTo, backendMemory, compileFor, get, i32const, loop, set, simd, singleFunctionModule } from './wasm_module.js';

/** `tile(src, dst, rows, cols, r0, r1, c0, c1)`: byte offsets and element counts; multiples of 4. */
type TileFn = (src: number, dst: number, rows: number, cols: number, r0: number, r1: number, c0: number, c1: number) => void;

const LOAD = 0x00;
const STORE = 0x0b;
const SHUFFLE = 0x0d;
/** `i8x16.shuffle` lanes picking 32-bit lanes `l` (0-3 of the first operand, 4-7 of the second). */
const lanes = (...l: number[]): number[] => l.flatMap((k) => [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]);

/**
 * Appends to `body` the shuffles that turn the four `v128` rows in locals `a` into pairs in the
 * temporaries `t`, and returns the four instruction sequences that each leave one column of the 4x4
 * block on the stack.
 */
export function transpose4x4(a: readonly number[], t: readonly number[], body: number[]): number[][] {
  const shuffle = (x: number, y: number, l: number[]) => [...get(x), ...get(y), ...simd(SHUFFLE), ...lanes(...l)];
  body.push(...shuffle(a[0]!, a[1]!, [0, 4, 1, 5]), ...set(t[0]!)); // a0.x a1.x a0.y a1.y
  body.push(...shuffle(a[0]!, a[1]!, [2, 6, 3, 7]), ...set(t[1]!)); // a0.z a1.z a0.w a1.w
  body.push(...shuffle(a[2]!, a[3]!, [0, 4, 1, 5]), ...set(t[2]!)); // a2.x a3.x a2.y a3.y
  body.push(...shuffle(a[2]!, a[3]!, [2, 6, 3, 7]), ...set(t[3]!)); // a2.z a3.z a2.w a3.w
  return [
    shuffle(t[0]!, t[2]!, [0, 1, 4, 5]), // x column
    shuffle(t[0]!, t[2]!, [2, 3, 6, 7]), // y
    shuffle(t[1]!, t[3]!, [0, 1, 4, 5]), // z
    shuffle(t[1]!, t[3]!, [2, 3, 6, 7]), // w
  ];
}

function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  // Params 0 src, 1 dst, 2 rows, 3 cols, 4 r0, 5 r1, 6 c0, 7 c1. Locals: 8 r, 9 c, 10 s, 11 d,
  // 12 src stride (cols*4), 13 dst stride (rows*4); v128 14..17 rows a0..a3, 18..21 t0..t3.
  const memarg = [0x02, 0x00]; // align 4 bytes (a hint), offset 0
  const body: number[] = [];
  body.push(...get(3), ...i32const(2), 0x74, ...set(12)); // cols << 2
  body.push(...get(2), ...i32const(2), 0x74, ...set(13)); // rows << 2
  // One 4x4 block: s = src + (r*cols + c)*4; d = dst + (c*rows + r)*4
  const block: number[] = [];
  block.push(...get(0), ...get(8), ...get(3), 0x6c, ...get(9), 0x6a, ...i32const(2), 0x74, 0x6a, ...set(10));
  block.push(...get(1), ...get(9), ...get(2), 0x6c, ...get(8), 0x6a, ...i32const(2), 0x74, 0x6a, ...set(11));
  for (let k = 0; k < 4; k++) {
    block.push(...get(10)); // s + k*stride
    for (let j = 0; j < k; j++) block.push(...get(12), 0x6a);
    block.push(...simd(LOAD), ...memarg, ...set(14 + k));
  }
  const columns = transpose4x4([14, 15, 16, 17], [18, 19, 20, 21], block);
  columns.forEach((column, k) => {
    block.push(...get(11));
    for (let j = 0; j < k; j++) block.push(...get(13), 0x6a);
    block.push(...column, ...simd(STORE), ...memarg);
  });
  const cols = loop([...get(9), ...get(7), I32_GE_S], [...block, ...addTo(9, 4)]); // c from c0 to c1, 4 a step
  body.push(...get(4), ...set(8)); // r = r0
  body.push(...loop([...get(8), ...get(5), I32_GE_S], [...get(6), ...set(9), ...cols, ...addTo(8, 4)])); // r to r1, 4 a step
  return singleFunctionModule(shared, 'tile', Array<number>(8).fill(I32), [[6, I32], [8, V128]], body);
}

const cache = new WeakMap<object, TileFn | null>();

/** Tile size walked from JavaScript (a multiple of 4). */
const TILE = 32;

/**
 * Transposes the `rows x cols` row-major matrix at `src[srcOff..]` into `dst[dstOff..]` (`cols x rows`),
 * like {@link transposeInto}, with SIMD when both arrays are views of `backend`'s wasm memory.
 */
export function heapTranspose(backend: unknown, src: Float32Array, srcOff: number, rows: number, cols: number, dst: Float32Array, dstOff: number): void {
  const memory = backendMemory(backend);
  const tile = compileFor<TileFn>(cache, memory, 'tile', moduleBytes);
  if (tile === null || memory === undefined || src.buffer !== memory.buffer || dst.buffer !== memory.buffer || rows < 4 || cols < 4) {
    transposeInto(src, srcOff, rows, cols, dst, dstOff);
    return;
  }
  const s = src.byteOffset + 4 * srcOff;
  const d = dst.byteOffset + 4 * dstOff;
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  for (let r0 = 0; r0 < rows4; r0 += TILE) {
    const r1 = Math.min(rows4, r0 + TILE);
    for (let c0 = 0; c0 < cols4; c0 += TILE) tile(s, d, rows, cols, r0, r1, c0, Math.min(cols4, c0 + TILE));
  }
  // Edges: the last rows % 4 rows (all columns), and the last cols % 4 columns of the other rows.
  for (let r = rows4; r < rows; r++) {
    for (let c = 0; c < cols; c++) dst[dstOff + c * rows + r] = src[srcOff + r * cols + c]!;
  }
  for (let r = 0; r < rows4; r++) {
    for (let c = cols4; c < cols; c++) dst[dstOff + c * rows + r] = src[srcOff + r * cols + c]!;
  }
}
