/**
 * A matrix product of our own on the wasm heap: a register-blocked WebAssembly SIMD microkernel over
 * packed operands (hand-assembled like the transpose and Adam loops), with fused multiply-add
 * (`f32x4.relaxed_madd`) where the engine has relaxed SIMD and `f32x4.mul` + `f32x4.add` elsewhere.
 *
 * `C[M x N] = A[M x K] · B[K x N]`, all row-major float32 on the heap. Either operand may be given
 * transposed (`AT[K x M]`, `BT[N x K]`), which is how the convolution kernels hold them. Both are
 * first copied into panels ("packing"): `A` into `[M/MR][K][MR]` and `B` into `[N/NR][K][NR]`, zero
 * padded, so the microkernel reads each operand with one pointer and constant offsets. A panel is a
 * plain copy from the orientation whose rows run along the panel (`AT`, `B`) and a 4x4-block SIMD
 * transpose from the other. The microkernel keeps an `MR x NR` tile of `C` in `2*MR` `v128`
 * registers; JavaScript walks `K` in blocks of {@link KC} (a `KC x NR` panel of `B` stays in L1
 * while every row block of `A` passes it) and row blocks of `MC` rows (an `MC x KC` block of `A` stays
 * in L2), the classic Goto blocking.
 *
 * A training step's weights are new every step, so both operands are packed on every call (XNNPACK
 * packs its operand on every call there too). A right operand may bring panels kept from an earlier
 * call ({@link Operand.panels}, packed_weights.ts): a filter's second and later products, as in
 * inference, then skip packing it.
 *
 * @internal
 */

import { I32, I32_EQZ, I32_GE_S, I32_GE_U, I32_LT_S, V128, addTo, backendMemory, functionsModule, get, i32const, leb, loop, set, simd, type WasmFunction } from './wasm_module.js';
import { adamFunction, type AdamSimd } from './adam_simd.js';
import { transpose4x4 } from './transpose_simd.js';
import { runGemmJob, runPackJob, type GatherFn, type GemmExports, type GemmJob, type KernelFn, type PackFn, type PackTFn, type PackTask } from './gemm_threads.js';

/** Rows of the microkernel's tile of `C`. */
export const MR = 4;
/** Columns of the microkernel's tile of `C` by default (two `v128`; 12 is the other choice). */
export const NR = 8;
/** Depth steps per iteration of the microkernel's inner loop by default. */
export const UNROLL = 1;
/**
 * Products with at most this many rows read `B` where it lies (a row-major `K x N` operand whose `N`
 * is a multiple of the tile width) instead of packing it: each panel is read about once then, so the
 * copy would cost more than it saves. See {@link gemmHeap}.
 */
export const IN_PLACE_B_MAX_ROWS = 16;

/** Depth of one pass over the packed panels (a `KC x NR` panel of `B` is 8 KiB). */
export const KC = 256;
/** Rows of `A` per pass (an `MC x KC` block of `A` is 128 KiB). */
export const MC = 128;


/** The microkernel and the packing loops, one module instance. */
export interface GemmKernels extends GemmExports {
  /**
   * `kernel(pa, pb, pc, mBlocks, nPanels, kc, ldc, accumulate, paStride, pbStride)`: for every panel
   * `j < nPanels` and row block `i < mBlocks`, `C[i*MR.., j*NR..] (+)= Apanel_i[0..kc] · Bpanel_j[0..kc]`.
   * Pointers and strides in bytes; `accumulate` 0 overwrites the tile, 1 adds to it.
   */
  readonly kernel: KernelFn;
  /**
   * `pack(src, dst, rows, ld, panels, width)`: copies `panels` column panels of `width` floats (a
   * multiple of 4) of a row-major `rows x ld` matrix at byte `src` into `[panels][rows][width]` at `dst`.
   */
  readonly pack: PackFn;
  /** `packT(src, dst, K, p0, p1, width)`: the transposing pack of panels `p0..p1` ({@link packTFunction}). */
  readonly packT: PackTFn;
  /** `gather(table, dst, K, channels, q0, q1, stride)`: panels `q0..q1` of a transposed im2col matrix ({@link gatherFunction}). */
  readonly gather: GatherFn;
  /** `gatherT(table, dst, K, channels, p0, p1, stride)`: panels `p0..p1` of an im2col matrix ({@link gatherTFunction}). */
  readonly gatherT: GatherFn;
  /** The fused Adam update's loop (adam_simd.ts), here so that the helper threads can run parts of it. */
  readonly adam: AdamSimd;
  /** The compiled module (helper threads instantiate it on the same memory) and that memory. */
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Whether the microkernel uses fused multiply-add (relaxed SIMD). */
  readonly fused: boolean;
  /** Columns of its tile (the width of `B`'s panels). */
  readonly nr: number;
  /** Depth steps per iteration of its inner loop. */
  readonly unroll: number;
}

const LOAD = 0x00;
const LOAD32_SPLAT = 0x09;
const STORE = 0x0b;
const ADD = 0xe4;
const MUL = 0xe6;
const RELAXED_MADD = 0x105;
const V128_CONST = 0x0c;

/** A memarg: alignment hint (log2 bytes) and a constant byte offset. */
const mem = (align: number, offset: number): number[] => [align, ...leb(offset)];

/** The module's bytes: the microkernel (`fused`: relaxed SIMD; an `MR x nr` tile, depth loop unrolled `unroll` times) and the packing loop; `shared` must match the memory. */
export function gemmModuleBytes(shared: boolean, fused: boolean, nr = NR, unroll = UNROLL): Uint8Array<ArrayBuffer> {
  return functionsModule(shared, [kernelFunction(fused, nr, unroll), packFunction(), packTFunction(), gatherFunction(), gatherTFunction(), adamFunction('adam')]);
}

/**
 * The microkernel: params 0..10 as {@link KernelFn} (10: bytes from one depth step of a `B` panel to
 * the next: `4 * nr` packed, `4 * N` for a row-major `B` read in place; the unrolled loop assumes
 * packed panels); locals 11 jr, 12 ir, 13 k, 14 ap, 15 bp, 16 cp, 17 t; v128 from 18.
 */
function kernelFunction(fused: boolean, nr: number, unroll: number): WasmFunction {
  const mr = MR;
  const nv = nr / 4;
  const [PA, PB, PC, MB, NP, KCP, LDC, ACC, PAS, PBS, BK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [JR, IR, K, AP, BP, CP, T] = [11, 12, 13, 14, 15, 16, 17];
  const acc = (r: number, h: number) => 18 + nv * r + h;
  const Bv = (h: number) => 18 + nv * mr + h;
  const A = 18 + nv * mr + nv;
  // One step of depth at element offset `u` of both panels.
  const step = (u: number): number[] => {
    const out: number[] = [];
    for (let h = 0; h < nv; h++) out.push(...get(BP), ...simd(LOAD), ...mem(4, 4 * nr * u + 16 * h), ...set(Bv(h)));
    for (let r = 0; r < mr; r++) {
      out.push(...get(AP), ...simd(LOAD32_SPLAT), ...mem(2, 4 * mr * u + 4 * r), ...set(A));
      for (let h = 0; h < nv; h++) {
        if (fused) out.push(...get(A), ...get(Bv(h)), ...get(acc(r, h)), ...simd(RELAXED_MADD), ...set(acc(r, h)));
        else out.push(...get(A), ...get(Bv(h)), ...simd(MUL), ...get(acc(r, h)), ...simd(ADD), ...set(acc(r, h)));
      }
    }
    return out;
  };
  const advance = (u: number): number[] => [
    ...get(AP), ...i32const(4 * mr * u), 0x6a, ...set(AP),
    ...get(BP), ...(u === 1 ? get(BK) : i32const(4 * nr * u)), 0x6a, ...set(BP),
    ...get(K), ...i32const(u), 0x6b, ...set(K),
  ];
  // One tile: ap = pa + ir*paStride; bp = pb + jr*pbStride; cp = pc + ir*mr*ldc + jr*nr*4.
  const tile: number[] = [];
  tile.push(...get(PA), ...get(IR), ...get(PAS), 0x6c, 0x6a, ...set(AP));
  tile.push(...get(PB), ...get(JR), ...get(PBS), 0x6c, 0x6a, ...set(BP));
  tile.push(...get(PC), ...get(IR), ...i32const(mr), 0x6c, ...get(LDC), 0x6c, 0x6a, ...get(JR), ...i32const(nr * 4), 0x6c, 0x6a, ...set(CP));
  // Accumulators: the tile of C (accumulate) or zeros.
  tile.push(...get(ACC), 0x04, 0x40); // if
  tile.push(...get(CP), ...set(T));
  for (let r = 0; r < mr; r++) {
    for (let h = 0; h < nv; h++) tile.push(...get(T), ...simd(LOAD), ...mem(2, 16 * h), ...set(acc(r, h)));
    tile.push(...get(T), ...get(LDC), 0x6a, ...set(T));
  }
  tile.push(0x05); // else
  for (let r = 0; r < mr; r++) {
    for (let h = 0; h < nv; h++) tile.push(...simd(V128_CONST), ...Array<number>(16).fill(0), ...set(acc(r, h)));
  }
  tile.push(0x0b); // end if
  tile.push(...get(KCP), ...set(K));
  // Depth: unrolled while k >= unroll, then one step at a time until k == 0.
  if (unroll > 1) tile.push(...loop([...get(K), ...i32const(unroll), I32_LT_S], [...Array.from({ length: unroll }, (_, u) => step(u)).flat(), ...advance(unroll)]));
  tile.push(...loop([...get(K), I32_EQZ], [...step(0), ...advance(1)]));
  tile.push(...get(CP), ...set(T));
  for (let r = 0; r < mr; r++) {
    for (let h = 0; h < nv; h++) tile.push(...get(T), ...get(acc(r, h)), ...simd(STORE), ...mem(2, 16 * h));
    tile.push(...get(T), ...get(LDC), 0x6a, ...set(T));
  }
  const rowBlocks = loop([...get(IR), ...get(MB), I32_GE_S], [...tile, ...addTo(IR, 1)]);
  const body = [...i32const(0), ...set(JR), ...loop([...get(JR), ...get(NP), I32_GE_S], [...i32const(0), ...set(IR), ...rowBlocks, ...addTo(JR, 1)])];
  return { name: 'kernel', params: Array<number>(11).fill(I32), locals: [[7, I32], [nv * mr + nv + 1, V128]], body };
}

/** The packing loop: params 0..5 as {@link PackFn}; locals 6 p, 7 r, 8 s, 9 d, 10 row end. */
function packFunction(): WasmFunction {
  const [SRC, DST, ROWS, LD, PANELS, WIDTH] = [0, 1, 2, 3, 4, 5];
  const [P, R, S, D, END] = [6, 7, 8, 9, 10];
  // s = src + (r*ld + p*width)*4; copy width floats, 4 at a time
  const vectors = loop([...get(S), ...get(END), I32_GE_U], [
    ...get(D), ...get(S), ...simd(LOAD), ...mem(2, 0), ...simd(STORE), ...mem(2, 0),
    ...addTo(S, 16), ...addTo(D, 16),
  ]);
  const rows = loop([...get(R), ...get(ROWS), I32_GE_S], [
    ...get(SRC), ...get(R), ...get(LD), 0x6c, ...get(P), ...get(WIDTH), 0x6c, 0x6a, ...i32const(2), 0x74, 0x6a, ...set(S),
    ...get(S), ...get(WIDTH), ...i32const(2), 0x74, 0x6a, ...set(END),
    ...vectors, ...addTo(R, 1),
  ]);
  const body = [
    ...get(DST), ...set(D), ...i32const(0), ...set(P),
    ...loop([...get(P), ...get(PANELS), I32_GE_S], [...i32const(0), ...set(R), ...rows, ...addTo(P, 1)]),
  ];
  return { name: 'pack', params: Array<number>(6).fill(I32), locals: [[5, I32]], body };
}

/**
 * The transposing pack: params 0 src, 1 dst, 2 K, 3 p0, 4 p1, 5 width (as {@link PackTFn}). Panel `p`
 * holds source rows `p*width ..` of a row-major `rows x K` matrix, written as `[K][width]`; 4x4 blocks,
 * the first `K & ~3` columns (the caller copies the rest). Locals 6 p, 7 g, 8 k, 9 s, 10 d, 11 K*4,
 * 12 width*4, 13 K & ~3; v128 14..17 rows, 18..21 temporaries.
 */
function packTFunction(): WasmFunction {
  const [SRC, DST, KK, P0, P1, W] = [0, 1, 2, 3, 4, 5];
  const [P, G, K, S, D, KB, WB, K4] = [6, 7, 8, 9, 10, 11, 12, 13];
  const rows = [14, 15, 16, 17];
  const body: number[] = [];
  body.push(...get(KK), ...i32const(2), 0x74, ...set(KB));
  body.push(...get(W), ...i32const(2), 0x74, ...set(WB));
  body.push(...get(KK), ...i32const(-4), 0x71, ...set(K4));
  // One 4x4 block: s = src + ((p*width + g)*K + k)*4; d = dst + ((p*K + k)*width + g)*4
  const block: number[] = [];
  block.push(...get(SRC), ...get(P), ...get(W), 0x6c, ...get(G), 0x6a, ...get(KK), 0x6c, ...get(K), 0x6a, ...i32const(2), 0x74, 0x6a, ...set(S));
  block.push(...get(DST), ...get(P), ...get(KK), 0x6c, ...get(K), 0x6a, ...get(W), 0x6c, ...get(G), 0x6a, ...i32const(2), 0x74, 0x6a, ...set(D));
  rows.forEach((r, i) => {
    block.push(...get(S));
    for (let j = 0; j < i; j++) block.push(...get(KB), 0x6a);
    block.push(...simd(LOAD), ...mem(2, 0), ...set(r));
  });
  transpose4x4(rows, [18, 19, 20, 21], block).forEach((column, i) => {
    block.push(...get(D));
    for (let j = 0; j < i; j++) block.push(...get(WB), 0x6a);
    block.push(...column, ...simd(STORE), ...mem(2, 0));
  });
  const columns = loop([...get(K), ...get(K4), I32_GE_S], [...block, ...addTo(K, 4)]); // 4 at a time
  const groups = loop([...get(G), ...get(W), I32_GE_S], [...i32const(0), ...set(K), ...columns, ...addTo(G, 4)]); // of 4 rows
  body.push(...get(P0), ...set(P));
  body.push(...loop([...get(P), ...get(P1), I32_GE_S], [...i32const(0), ...set(G), ...groups, ...addTo(P, 1)]));
  return { name: 'packT', params: Array<number>(6).fill(I32), locals: [[8, I32], [8, V128]], body };
}

/**
 * The gathering pack of a transposed im2col matrix (`A` of a weight gradient: `M = taps * channels`
 * rows `(tap, channel)`, `K = P` output pixels), straight from the convolution's NHWC input: params
 * 0 table, 1 dst, 2 K, 3 channels, 4 q0, 5 q1, 6 stride (as {@link GatherFn}). `table[t * stride + p]`
 * is the byte address of output pixel `p`'s input pixel at tap `t` (or of a run of zeros), so panel
 * `q` (rows `4q..4q+3`: tap `t = 4q div channels`, channels `4q mod channels ..`; `channels` a
 * multiple of 4) is one `v128` load and store per pixel. Locals 7 q, 8 channel byte offset, 9 table
 * pointer, 10 its end, 11 d.
 */
function gatherFunction(): WasmFunction {
  const [TABLE, DST, KK, CH, Q0, Q1, STRIDE] = [0, 1, 2, 3, 4, 5, 6];
  const [Q, C4, TP, TEND, D] = [7, 8, 9, 10, 11];
  const pixels = loop([...get(TP), ...get(TEND), I32_GE_U], [
    ...get(D), ...get(TP), 0x28, ...mem(2, 0), ...get(C4), 0x6a, ...simd(LOAD), ...mem(2, 0), ...simd(STORE), ...mem(2, 0),
    ...addTo(TP, 4), ...addTo(D, 16),
  ]);
  const panel = [
    // tp = table + (4q div channels) * stride * 4; c4 = (4q mod channels) * 4; tend = tp + K*4; d = dst + q*K*16
    ...get(TABLE), ...get(Q), ...i32const(2), 0x74, ...get(CH), 0x6e, ...get(STRIDE), 0x6c, ...i32const(2), 0x74, 0x6a, ...set(TP),
    ...get(Q), ...i32const(2), 0x74, ...get(CH), 0x70, ...i32const(2), 0x74, ...set(C4),
    ...get(TP), ...get(KK), ...i32const(2), 0x74, 0x6a, ...set(TEND),
    ...get(DST), ...get(Q), ...get(KK), 0x6c, ...i32const(4), 0x74, 0x6a, ...set(D),
    ...pixels, ...addTo(Q, 1),
  ];
  const body = [...get(Q0), ...set(Q), ...loop([...get(Q), ...get(Q1), I32_GE_S], panel)];
  return { name: 'gather', params: Array<number>(7).fill(I32), locals: [[5, I32]], body };
}

/**
 * The gathering pack of an im2col matrix (`A` of a convolution: `M = P` output pixels, `K = taps *
 * channels`), straight from the NHWC input through the table of {@link gatherFunction} (its rows
 * padded to whole panels with addresses of zeros): params as {@link GatherFn}, panels `p0..p1` of 4
 * pixels. For every tap the four pixels' addresses are read once, then each group of 4 channels is
 * four `v128` loads, a 4x4 transpose and four stores. Locals 7 panel, 8 tap, 9 taps, 10 table
 * pointer, 11 d, 12 channel byte offset, 13 channels * 4, 14..17 the four addresses; v128 18..21
 * rows, 22..25 temporaries.
 */
function gatherTFunction(): WasmFunction {
  const [TABLE, DST, KK, CH, P0, P1, STRIDE] = [0, 1, 2, 3, 4, 5, 6];
  const [PP, T, TAPS, TP, D, C, CEND] = [7, 8, 9, 10, 11, 12, 13];
  const addr = [14, 15, 16, 17];
  const rows = [18, 19, 20, 21];
  const body: number[] = [];
  body.push(...get(KK), ...get(CH), 0x6e, ...set(TAPS));
  body.push(...get(CH), ...i32const(2), 0x74, ...set(CEND));
  body.push(...get(DST), ...get(P0), ...get(KK), 0x6c, ...i32const(4), 0x74, 0x6a, ...set(D));
  // Four channels of the four pixels: loads, a 4x4 transpose, stores.
  const block: number[] = [];
  rows.forEach((r, i) => block.push(...get(addr[i]!), ...get(C), 0x6a, ...simd(LOAD), ...mem(2, 0), ...set(r)));
  transpose4x4(rows, [22, 23, 24, 25], block).forEach((column, i) => block.push(...get(D), ...column, ...simd(STORE), ...mem(2, 16 * i)));
  const channels = loop([...get(C), ...get(CEND), I32_GE_S], [...block, ...addTo(D, 64), ...addTo(C, 16)]); // 4 at a time
  const tap = [
    // tp = table + (t*stride + pp*4)*4
    ...get(TABLE), ...get(T), ...get(STRIDE), 0x6c, ...get(PP), ...i32const(2), 0x74, 0x6a, ...i32const(2), 0x74, 0x6a, ...set(TP),
    ...addr.flatMap((a, i) => [...get(TP), 0x28, ...mem(2, 4 * i), ...set(a)]),
    ...i32const(0), ...set(C), ...channels, ...addTo(T, 1),
  ];
  const taps = loop([...get(T), ...get(TAPS), I32_GE_S], tap);
  body.push(...get(P0), ...set(PP));
  body.push(...loop([...get(PP), ...get(P1), I32_GE_S], [...i32const(0), ...set(T), ...taps, ...addTo(PP, 1)]));
  return { name: 'gatherT', params: Array<number>(7).fill(I32), locals: [[11, I32], [8, V128]], body };
}

/** Whether this engine validates relaxed SIMD (Node 22+, current Chrome and Edge; Node 20 only with a flag). */
export function hasRelaxedSimd(): boolean {
  if (relaxed === undefined) relaxed = WebAssembly.validate(gemmModuleBytes(false, true));
  return relaxed;
}
let relaxed: boolean | undefined;

const cache = new WeakMap<object, Map<string, GemmKernels | null>>();

/**
 * The kernels bound to `memory`, compiled once per memory and variant: `fused` picks the relaxed-SIMD
 * microkernel (default: whenever the engine has it). `null` without wasm SIMD, or when `fused` is asked
 * for and the engine lacks relaxed SIMD.
 */
export function gemmKernelsFor(memory: WebAssembly.Memory | undefined, fused = hasRelaxedSimd(), nr = NR, unroll = UNROLL): GemmKernels | null {
  if (memory === undefined) return null;
  let byVariant = cache.get(memory);
  if (byVariant === undefined) cache.set(memory, (byVariant = new Map()));
  const key = `${fused ? 'fma' : 'mul'}-${nr}-${unroll}`;
  const hit = byVariant.get(key);
  if (hit !== undefined) return hit;
  let out: GemmKernels | null = null;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const module = new WebAssembly.Module(gemmModuleBytes(shared, fused, nr, unroll));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    const fn = <F>(name: string) => instance.exports[name] as F;
    out = { kernel: fn<KernelFn>('kernel'), pack: fn<PackFn>('pack'), packT: fn<PackTFn>('packT'), gather: fn<GatherFn>('gather'), gatherT: fn<GatherFn>('gatherT'), adam: fn<AdamSimd>('adam'), fused, nr, unroll, module, memory };
  } catch {
    out = null;
  }
  byVariant.set(key, out);
  return out;
}

/** Rounds `n` up to a multiple of `m`. */
export const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** An operand on the heap: its view (the matrix starts at element 0) and whether it is stored transposed. */
export interface Operand {
  readonly data: Float32Array;
  /** `false`: `A` as `M x K` (`B` as `K x N`); `true`: `AT` as `K x M` (`BT` as `N x K`). */
  readonly transposed: boolean;
  /**
   * `B` only: where its panels are kept between calls (packed_weights.ts; {@link gemmPanelsLength}
   * floats). `filled` panels are read instead of packing `data`; otherwise `data` is packed into them.
   */
  readonly panels?: { readonly view: Float32Array; readonly filled: boolean };
}

/** Floats of `B`'s panels for a product of depth `K` and `N` columns (see {@link Operand.panels}). */
export function gemmPanelsLength(N: number, K: number, nr = NR): number {
  return roundUp(N, nr) * K;
}

/**
 * A convolution's input as the left operand, never written out as a matrix: its im2col matrix
 * (`pixelsAsRows`: `M = P` output pixels by `K = taps * channels`, a forward convolution) or that
 * matrix transposed (`M = taps * channels` by `K = P`, a weight gradient), packed straight from the
 * input through a table of addresses (im2col.ts: `convGatherTable`, `KernelScope.gatherTable`).
 */
export interface ImageOperand {
  /** `table[t * stride + p]`: byte address of output pixel `p`'s input pixel at tap `t`, or of `channels` zeros. */
  readonly table: Int32Array;
  /** The table's row length: at least `P` rounded up to {@link MR} (the extra entries point at zeros). */
  readonly stride: number;
  /** Channels of the input: a multiple of 4. */
  readonly channels: number;
  /** See the interface. */
  readonly pixelsAsRows: boolean;
}

/**
 * Floats of scratch {@link gemmHeap} needs: the packed `A` and `B` (and, for edges, a padded `C`);
 * `keptB`: without `B`'s panels (the operand brings its own, {@link Operand.panels}).
 */
export function gemmScratchLength(M: number, N: number, K: number, nr = NR, keptB = false): number {
  const Mp = roundUp(M, MR);
  const Np = roundUp(N, nr);
  return Mp * K + (keptB ? 0 : Np * K) + (Mp !== M || Np !== N ? Mp * Np : 0);
}

/**
 * `c = a · b` (`M x N`, row-major) with every array a view of `backend`'s wasm memory; `scratch` holds
 * at least {@link gemmScratchLength} floats. `a` may be a convolution's input ({@link ImageOperand}).
 * Returns `false` (nothing written) where the kernels cannot run here (no wasm SIMD, or a view not on
 * the heap).
 */
export function gemmHeap(
  backend: unknown,
  a: Operand | ImageOperand,
  b: Operand,
  c: Float32Array,
  M: number,
  N: number,
  K: number,
  scratch: Float32Array,
  kernels = gemmKernelsFor(backendMemory(backend)),
  threads = backendThreads(backend),
  inPlaceRows = IN_PLACE_B_MAX_ROWS,
): boolean {
  const memory = backendMemory(backend);
  if (kernels === null || memory === undefined) return false;
  const image = 'table' in a ? a : null;
  for (const v of [image?.table ?? (a as Operand).data, b.data, c, scratch]) if (v.buffer !== memory.buffer) return false;
  if (M === 0 || N === 0) return true;
  if (K === 0) {
    c.fill(0, 0, M * N);
    return true;
  }
  const nr = kernels.nr;
  const Mp = roundUp(M, MR);
  const Np = roundUp(N, nr);
  if (b.panels !== undefined && (b.panels.view.buffer !== memory.buffer || b.panels.view.length < Np * K)) return false;
  const pa = scratch.subarray(0, Mp * K);
  const pbEnd = b.panels === undefined ? Mp * K + Np * K : Mp * K;
  const pb = b.panels?.view.subarray(0, Np * K) ?? scratch.subarray(Mp * K, pbEnd);
  // Few rows of A: B's panels are read where B lies, each about once, instead of copied first.
  const inPlace = b.panels === undefined && M <= inPlaceRows && !b.transposed && N % nr === 0 && kernels.unroll === 1;
  const packA = image === null ? packEdges((a as Operand).data, !(a as Operand).transposed, M, K, MR, pa) : gatherTask(image, M, K, pa);
  // In place, or with panels kept from an earlier call, B has nothing to pack (a task of 0 rows).
  const packB = packEdges(b.data, b.transposed, inPlace || b.panels?.filled === true ? 0 : N, K, nr, pb);
  runPackJob(memory, kernels.module, kernels, threads, packA, packB);
  const padded = Mp !== M || Np !== N;
  const out = padded ? scratch.subarray(pbEnd, pbEnd + Mp * Np) : c;
  const job = blocking(pa.byteOffset, inPlace ? b.data.byteOffset : pb.byteOffset, out.byteOffset, Mp / MR, Np / nr, nr, K, threads);
  runGemmJob(memory, kernels.module, kernels, threads, { ...job, ldb: inPlace ? N : 0 });
  if (padded) {
    for (let i = 0; i < M; i++) {
      if (N >= 16) c.set(out.subarray(i * Np, i * Np + N), i * N);
      else for (let j = 0; j < N; j++) c[i * N + j] = out[i * Np + j]!;
    }
  }
  return true;
}

/** The {@link PackTask} that packs a convolution's input as `A` (`M x K`) into `dst`. */
function gatherTask(image: ImageOperand, M: number, K: number, dst: Float32Array): PackTask {
  const { table, stride, channels, pixelsAsRows } = image;
  if (channels % 4 !== 0 || (pixelsAsRows ? stride < roundUp(M, MR) || K % channels !== 0 : M % channels !== 0 || stride < K)) {
    throw new Error(`gemm: an image operand of ${channels} channels, table stride ${stride}, cannot be a ${M} x ${K} matrix`);
  }
  const panels = roundUp(M, MR) / MR;
  return { src: table.byteOffset, dst: dst.byteOffset, K, ld: channels, panels, width: MR, mode: pixelsAsRows ? 'gatherT' : 'gather', stride };
}

/**
 * The threads our kernels (GEMM, Adam) use on `backend`: the caller and helpers. What
 * `initWasmBackend` set ({@link setKernelThreads}), else XNNPACK's thread count (a backend set up
 * without it), else 1.
 */
export function backendThreads(backend: unknown): number {
  const set = kernelThreads.get(backend as object);
  if (set !== undefined) return set;
  const tfjs = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs;
  return tfjs?.getThreadsCount?.() ?? 1;
}

const kernelThreads = new WeakMap<object, number>();

/** Sets {@link backendThreads} for `backend` (`initWasmBackend`: our kernels' threads apart from XNNPACK's). */
export function setKernelThreads(backend: object, threads: number): void {
  kernelThreads.set(backend, threads);
}

/**
 * How a product of `mBlocks x nPanels` tiles is cut for `threads` threads: about four chunks a thread
 * (so a descheduled thread costs little). A chunk reads all of the operand it is not cut along, so
 * the cut goes along the larger one: row blocks of `A` (given two a thread) when `A` has more rows
 * than `B` has columns or `B` has too few panels, else panels of `B`.
 * Cutting along panels only, the 4096 x 1024 x 128 product (a 128x128 layer of the 256 step) read its
 * 16 MB `A` once per chunk and ran at one thread's speed: 42.7 ms against 21.1 cut along rows
 * (`node bench/kernels.mjs --own-gemm --mkn 4096,1024,128`, Node 24, same run; 961 x 4096 x 512 92 -> 79 ms).
 */
function blocking(pa: number, pb: number, pc: number, mBlocks: number, nPanels: number, nr: number, K: number, threads: number): GemmJob {
  const base = { pa, pb, pc, K, mBlocks, nPanels, MR, NR: nr, KC, mcBlocks: MC / MR, ldc: nPanels * nr, ldb: 0 };
  const want = threads > 1 ? 4 * threads : 1;
  const alongRows = mBlocks >= 2 * threads && (nPanels < 2 * threads || mBlocks * MR > nPanels * nr);
  if (threads > 1 && alongRows) {
    const chunk = Math.ceil(mBlocks / want);
    return { ...base, axis: 1, chunk, chunks: Math.ceil(mBlocks / chunk) };
  }
  const chunk = Math.ceil(nPanels / want);
  return { ...base, axis: 0, chunk, chunks: Math.ceil(nPanels / chunk) };
}

/**
 * Packs what the SIMD packing loops leave of a `rows x K` operand (`across`: stored row-major as
 * `rows x K`; otherwise as `K x rows`) into `[rows/width][K][width]` panels in `dst`: the last, partial
 * panel (zero padded) and, across, the last `K % 4` columns of every panel. Returns the
 * {@link PackTask} for the rest, whole panels, which {@link runPackJob} runs on every thread.
 */
function packEdges(src: Float32Array, across: boolean, rows: number, K: number, width: number, dst: Float32Array): PackTask {
  const full = Math.floor(rows / width);
  if (across) {
    for (let p = 0; p < full; p++) {
      for (let k = K & ~3; k < K; k++) {
        for (let j = 0; j < width; j++) dst[(p * K + k) * width + j] = src[(p * width + j) * K + k]!;
      }
    }
  }
  const rest = rows - full * width;
  if (rest > 0) {
    const base = full * width * K;
    dst.fill(0, base, base + width * K);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < rest; j++) {
        const row = full * width + j;
        dst[base + k * width + j] = across ? src[row * K + k]! : src[k * rows + row]!;
      }
    }
  }
  return { src: src.byteOffset, dst: dst.byteOffset, K, ld: rows, panels: full, width, mode: across ? 'transpose' : 'copy', stride: 0 };
}
