/**
 * Runs the blocked loops of our own GEMM ({@link gemmHeap}) on several threads in Node: the main
 * thread and `threads - 1` helper workers (`worker_threads`), each with its own instance of the
 * microkernel module bound to the backend's shared `WebAssembly.Memory`.
 *
 * A product is cut into chunks (groups of `B` panels, or of `A` row blocks when `B` has few panels).
 * Every thread, the caller included, claims chunks one at a time with a compare-and-swap on a counter
 * that also carries the job's sequence number, so a helper that wakes late claims nothing of a later
 * job, and a helper that never started (or is descheduled on a busy machine) only means the caller
 * runs more chunks itself. The caller returns when every chunk is done. Helpers are unreferenced: they
 * never keep the process alive. Without `worker_threads` (browsers), or with one thread, the caller
 * runs every chunk.
 *
 * @internal
 */

/** Indices of the control array shared with the helpers. */
const SEQ = 0;
const NEXT = 1;
const DONE = 2;
/** Set by a helper whose chunk threw (its chunk is lost: the caller throws). */
const FAILED = 3;
/** Job parameters from here on, in the order {@link runChunks} reads them. */
const PARAMS = 4;
const CONTROL_LENGTH = 32;

/** The microkernel's signature (see gemm_simd.ts). */
export type KernelFn = (pa: number, pb: number, pc: number, mBlocks: number, nPanels: number, kc: number, ldc: number, accumulate: number, paStride: number, pbStride: number, bStep: number) => void;
/** The copying pack's signature (see gemm_simd.ts). */
export type PackFn = (src: number, dst: number, rows: number, ld: number, panels: number, width: number) => void;
/** The transposing pack's signature (see gemm_simd.ts). */
export type PackTFn = (src: number, dst: number, K: number, p0: number, p1: number, width: number) => void;
/** The gathering packs' signature (see gemm_simd.ts): a table of addresses instead of a source matrix. */
export type GatherFn = (table: number, dst: number, K: number, channels: number, p0: number, p1: number, stride: number) => void;

/** The exports of one instance of the GEMM module. */
export interface GemmExports {
  adam: (...args: number[]) => void;
  kernel: KernelFn;
  pack: PackFn;
  packT: PackTFn;
  gather: GatherFn;
  gatherT: GatherFn;
}

/**
 * How {@link runPackJob} packs an operand: `copy` from a row-major `K x ld` source; `transpose` a
 * row-major `panels*width x K` source (its rows run across the panel); `gather` and `gatherT` read a
 * convolution's input through a table of addresses (`src`; `ld` is then the input's channel count and
 * `stride` the table's row length) as the transposed im2col matrix and as the im2col matrix.
 */
export const PACK_MODES = { copy: 0, transpose: 1, gather: 2, gatherT: 3 } as const;

/** Packing one operand into panels of `width`, for {@link runPackJob}. Byte addresses. */
export interface PackTask {
  src: number;
  dst: number;
  K: number;
  ld: number;
  panels: number;
  width: number;
  mode: keyof typeof PACK_MODES;
  /** The gathers' table row length (entries); 0 otherwise. */
  stride: number;
}

/** One product for {@link runChunks}: byte addresses of the packed operands and of `C`, and its blocking. */
export interface GemmJob {
  pa: number;
  pb: number;
  pc: number;
  /** Depth `K`. */
  K: number;
  /** Row blocks of `MR` rows and panels of `NR` columns. */
  mBlocks: number;
  nPanels: number;
  MR: number;
  NR: number;
  KC: number;
  /** Row blocks per pass over a `KC` slice (an `MC x KC` block of `A`). */
  mcBlocks: number;
  /** `C`'s row stride in floats. */
  ldc: number;
  /** 0: chunks are groups of panels; 1: groups of row blocks. */
  axis: 0 | 1;
  /** `B`'s row stride in floats when it is read in place (row-major `K x N`, no packing); 0: packed panels. */
  ldb: number;
  /** Panels or row blocks per chunk, and the number of chunks. */
  chunk: number;
  chunks: number;
}

/**
 * Claims and runs chunks of the job published under `seq` in `ctl` until none is left: a product's
 * panels or row blocks (kind 0) or parts of packing its operands (kind 1). Self-contained (only its
 * arguments and globals): helpers run its source text.
 */
export function runChunks(fns: GemmExports, ctl: Int32Array, seq: number): void {
  const p = (i: number): number => ctl[5 + i]!;
  const kind = ctl[4]!;
  const chunks = kind === 0 ? p(13) : kind === 2 ? Math.ceil(p(7) / p(8)) : p(0) + p(1);
  const tag = (seq & 0x7fff) << 16;
  for (;;) {
    const v = Atomics.load(ctl, 1);
    if ((v & ~0xffff) !== tag || (v & 0xffff) >= chunks) return;
    if (Atomics.compareExchange(ctl, 1, v, v + 1) !== v) continue;
    const c = v & 0xffff;
    if (kind === 0) {
      const [pa, pb, pc, K, mBlocks, nPanels, MR, NR, KC, mcBlocks, ldc, axis, chunk, ldb] = [p(0), p(1), p(2), p(3), p(4), p(5), p(6), p(7), p(8), p(9), p(10), p(11), p(12), p(14)];
      // A panel of B: packed ([K][NR] after the previous panels) or read in place (NR columns of a K x ldb matrix).
      const panel = ldb === 0 ? 4 * NR * K : 4 * NR;
      const bStep = ldb === 0 ? 4 * NR : 4 * ldb;
      const j0 = axis === 0 ? c * chunk : 0;
      const j1 = axis === 0 ? Math.min(nPanels, j0 + chunk) : nPanels;
      const i0 = axis === 1 ? c * chunk : 0;
      const i1 = axis === 1 ? Math.min(mBlocks, i0 + chunk) : mBlocks;
      for (let k0 = 0; k0 < K; k0 += KC) {
        const kc = Math.min(KC, K - k0);
        for (let i = i0; i < i1; i += mcBlocks) {
          const mb = Math.min(mcBlocks, i1 - i);
          fns.kernel(pa + 4 * (i * MR * K + k0 * MR), pb + j0 * panel + k0 * bStep, pc + 4 * (i * MR * ldc + j0 * NR), mb, j1 - j0, kc, 4 * ldc, k0 > 0 ? 1 : 0, 4 * MR * K, panel, bStep);
        }
      }
    } else if (kind === 2) {
      // A part of an Adam update: byte range c*p(8) .. of the 7 arrays at p(0..6), floats from p(9).
      const f = new Float32Array(ctl.buffer, ctl.byteOffset, ctl.length);
      const off = c * p(8);
      const len = Math.min(p(8), p(7) - off);
      const at = (i: number) => p(i) + off;
      fns.adam(at(0), at(1), at(2), at(3), at(4), at(5), at(6), len, f[14]!, f[15]!, f[16]!, f[17]!, f[18]!, f[19]!, f[20]!, f[21]!);
    } else {
      // Operand t (0 or 1) in parts p(t) of its panels; its task at 2 + 8t (PackTask's fields in order).
      const t = c < p(0) ? 0 : 1;
      const part = t === 0 ? c : c - p(0);
      const [src, dst, K, ld, panels, width, mode, stride] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => p(2 + 8 * t + i)) as number[];
      const per = Math.ceil(panels! / p(t));
      const q0 = part * per;
      const q1 = Math.min(panels!, q0 + per);
      if (q1 > q0) {
        if (mode === 0) fns.pack(src! + 4 * q0 * width!, dst! + 4 * q0 * K! * width!, K!, ld!, q1 - q0, width!);
        else if (mode === 1) fns.packT(src!, dst!, K!, q0, q1, width!);
        else if (mode === 2) fns.gather(src!, dst!, K!, ld!, q0, q1, stride!);
        else fns.gatherT(src!, dst!, K!, ld!, q0, q1, stride!);
      }
    }
    Atomics.add(ctl, 2, 1);
    Atomics.notify(ctl, 2);
  }
}

/** The helper's source: instantiate the module on the shared memory, then wait for jobs. */
const HELPER = `
const { parentPort } = require('node:worker_threads');
const runChunks = __RUN__;
parentPort.once('message', ({ module, memory, ctl }) => {
  const fns = new WebAssembly.Instance(module, { env: { memory } }).exports;
  let seen = Atomics.load(ctl, ${SEQ});
  for (;;) {
    Atomics.wait(ctl, ${SEQ}, seen);
    seen = Atomics.load(ctl, ${SEQ});
    try {
      runChunks(fns, ctl, seen);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
      Atomics.notify(ctl, ${DONE});
      throw e;
    }
  }
});
`;

/** A pool of helpers bound to one memory and one compiled microkernel module. */
interface Pool {
  readonly ctl: Int32Array;
  seq: number;
}

const pools = new WeakMap<object, Pool | null>();

/** `worker_threads`' `Worker` in Node, or undefined. */
function workerClass(): (new (src: string, opts: object) => { postMessage(v: unknown): void; unref(): void; on(e: string, f: () => void): void }) | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('worker_threads') as { Worker?: new (src: string, opts: object) => never } | undefined;
  return wt?.Worker;
}

/**
 * Whether {@link runGemmJob} can run helpers on `memory`: it is shared (tfjs' threaded binary) and
 * this runtime has `worker_threads` (Node).
 */
export function helpersAvailable(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer && workerClass() !== undefined;
}

/**
 * The pool for `memory` and `module` with `threads - 1` helpers, started on first use; `null` where
 * helpers cannot run (one thread, no shared memory, no `worker_threads`).
 */
function poolFor(memory: WebAssembly.Memory, module: WebAssembly.Module, threads: number): Pool | null {
  // A one-thread call needs no pool and must not settle the question for later calls with more.
  if (threads <= 1) return null;
  const hit = pools.get(module);
  if (hit !== undefined) return hit;
  let pool: Pool | null = null;
  const Worker = workerClass();
  if (Worker !== undefined && helpersAvailable(memory)) {
    try {
      const ctl = new Int32Array(new SharedArrayBuffer(4 * CONTROL_LENGTH));
      const src = HELPER.replace('__RUN__', runChunks.toString());
      for (let t = 1; t < threads; t++) {
        const w = new Worker(src, { eval: true });
        w.on('error', () => undefined); // a helper that fails leaves its chunks to the caller
        w.unref();
        w.postMessage({ module, memory, ctl });
      }
      pool = { ctl, seq: 0 };
    } catch {
      pool = null;
    }
  }
  pools.set(module, pool);
  return pool;
}

/** Runs a job of `chunks` chunks (`params` from index 4 of the control array) on `threads` threads, the caller included. */
function runJob(memory: WebAssembly.Memory, module: WebAssembly.Module, fns: GemmExports, threads: number, chunks: number, params: number[]): void {
  const pool = chunks > 1 ? poolFor(memory, module, threads) : null;
  const ctl = pool?.ctl ?? new Int32Array(CONTROL_LENGTH);
  const seq = pool === null ? 1 : (pool.seq = (pool.seq + 1) & 0x7fff);
  params.forEach((v, i) => (ctl[PARAMS + i] = v));
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, FAILED, 0);
  Atomics.store(ctl, NEXT, (seq & 0x7fff) << 16);
  if (pool !== null) {
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
  }
  runChunks(fns, ctl, seq);
  for (;;) {
    const done = Atomics.load(ctl, DONE);
    if (done >= chunks) return;
    if (Atomics.load(ctl, FAILED) !== 0) throw new Error('gemm: a helper thread failed');
    Atomics.wait(ctl, DONE, done, 50);
  }
}

/**
 * Runs `job` with `fns` (an instance of `module` on `memory`) on `threads` threads, the caller
 * included; returns when every chunk is done.
 */
export function runGemmJob(memory: WebAssembly.Memory, module: WebAssembly.Module, fns: GemmExports, threads: number, job: GemmJob): void {
  const params = [0, job.pa, job.pb, job.pc, job.K, job.mBlocks, job.nPanels, job.MR, job.NR, job.KC, job.mcBlocks, job.ldc, job.axis, job.chunk, job.chunks, job.ldb];
  runJob(memory, module, fns, threads, job.chunks, params);
}

/** Packs both operands ({@link PackTask}s) on `threads` threads, each cut into parts of whole panels. */
export function runPackJob(memory: WebAssembly.Memory, module: WebAssembly.Module, fns: GemmExports, threads: number, a: PackTask, b: PackTask): void {
  const parts = (t: PackTask) => (t.panels === 0 ? 0 : Math.min(t.panels, threads > 1 ? 2 * threads : 1));
  const task = (t: PackTask) => [t.src, t.dst, t.K, t.ld, t.panels, t.width, PACK_MODES[t.mode], t.stride];
  const [pa, pb] = [parts(a), parts(b)];
  if (pa + pb === 0) return;
  runJob(memory, module, fns, threads, pa + pb, [1, pa, pb, ...task(a), ...task(b)]);
}

/**
 * Runs the Adam update loop (adam_simd.ts) over `byteLength` bytes (a multiple of 16) of the seven
 * arrays at byte addresses `pointers` (m, v, w, g, m', v', w') on `threads` threads, in parts of
 * whole cache lines; `floats` are its eight float32 parameters. The result is the one-thread loop's,
 * bit for bit (every element runs the same instructions).
 */
export function runAdamJob(memory: WebAssembly.Memory, module: WebAssembly.Module, fns: GemmExports, threads: number, pointers: number[], byteLength: number, floats: number[]): void {
  const part = Math.max(64, Math.ceil(byteLength / (4 * threads) / 64) * 64);
  const bits = new Int32Array(new Float32Array(floats).buffer);
  runJob(memory, module, fns, threads, Math.ceil(byteLength / part), [2, ...pointers, byteLength, part, ...bits]);
}
