// Property tests of our own wasm GEMM (gemm_simd.ts, gemm_threads.ts) against the cpu backend's
// matMul (the independent reference): random shapes and operand orientations, both microkernels
// (mul+add, the path of engines without relaxed SIMD, and the fused relaxed-SIMD one), 1 and 2 threads.
// On Node 20 the fused kernel needs V8's relaxed-SIMD flag, which this file turns on after recording
// what the engine reported without it.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../src/backends/wasm/index.js';
import { gemmHeap, gemmKernelsFor, gemmScratchLength, hasRelaxedSimd, IN_PLACE_B_MAX_ROWS, KC, MC, type GemmKernels } from '../../src/backends/wasm/gemm_simd.js';
import { KernelScope, type WasmBackendLike } from '../../src/backends/wasm/kernel_scope.js';
import { backendMemory } from '../../src/backends/wasm/wasm_module.js';
import { Rng } from '../../src/util/random.js';
import { bundleWasmEntry, on, randomData, relErr } from './wasm_helpers.js';

const nodeMajor = Number(process.versions.node.split('.')[0]);
const relaxedWithoutFlag = hasRelaxedSimd();
const root = resolve(__dirname, '../..');
const dir = join(root, 'node_modules', '.cache', `pix2pix-wasm-gemm-${process.pid}`);

beforeAll(async () => {
  if (!relaxedWithoutFlag) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const info = await initWasmBackend({ threads: 2 });
  // Our GEMM on 2 threads; XNNPACK's own pool left at 1 (the Node default with the training kernels).
  expect(info.threads).toBe(2);
  expect(info.xnnpackThreads).toBe(1);
  expect((tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } }).wasm.tfjs.getThreadsCount()).toBe(1);
});

it('initWasmBackend refuses thread counts outside [1, 8], naming the option', async () => {
  await expect(initWasmBackend({ threads: 0 })).rejects.toThrow(/threads/);
  await expect(initWasmBackend({ xnnpackThreads: 9 })).rejects.toThrow(/xnnpackThreads/);
  await expect(initWasmBackend({ xnnpackThreads: 1.5 })).rejects.toThrow(/xnnpackThreads/);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Case {
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** `a · b` on the cpu backend, operands stored as the case says. */
async function reference(c: Case, a: Float32Array, b: Float32Array): Promise<Float32Array> {
  return on('cpu', () =>
    tf.tidy(() => {
      const at = tf.tensor(a, c.transposeA ? [c.K, c.M] : [c.M, c.K]);
      const bt = tf.tensor(b, c.transposeB ? [c.N, c.K] : [c.K, c.N]);
      return tf.matMul(at, bt, c.transposeA, c.transposeB).dataSync().slice() as Float32Array;
    }),
  );
}

/** `a · b` on our GEMM with `kernels` on `threads` threads, on the wasm heap. */
async function ours(c: Case, a: Float32Array, b: Float32Array, kernels: GemmKernels, threads: number): Promise<Float32Array> {
  return on('wasm', () => {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const at = tf.tensor(a);
    const bt = tf.tensor(b);
    const out = backend.makeOutput([c.M, c.N], 'float32');
    const scratch = backend.makeOutput([gemmScratchLength(c.M, c.N, c.K)], 'float32');
    try {
      const heap = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
      const ok = gemmHeap(backend, { data: heap(at), transposed: c.transposeA }, { data: heap(bt), transposed: c.transposeB }, heap(out), c.M, c.N, c.K, heap(scratch), kernels, threads);
      expect(ok).toBe(true);
      return heap(out).slice();
    } finally {
      backend.disposeData(out.dataId);
      backend.disposeData(scratch.dataId);
      tf.dispose([at, bt]);
    }
  });
}

function randomCase(rng: Rng): Case {
  return { M: 1 + rng.int(40), N: 1 + rng.int(40), K: 1 + rng.int(40), transposeA: rng.int(2) === 1, transposeB: rng.int(2) === 1 };
}

describe('our wasm GEMM equals the cpu backend', () => {
  it('reports relaxed SIMD as the engine has it (Node 22+ without flags)', () => {
    expect(relaxedWithoutFlag).toBe(nodeMajor >= 22);
  });

  for (const fused of [false, true]) {
    it(`${fused ? 'fused (relaxed_madd)' : 'mul+add'} microkernel: 60 random shapes and orientations, blocking edges, 1 and 2 threads`, async () => {
      await on('wasm', () => undefined);
      const kernels = gemmKernelsFor(backendMemory(tf.backend()), fused);
      expect(kernels).not.toBeNull();
      expect(kernels!.fused).toBe(fused);
      const rng = new Rng(fused ? 22 : 21);
      const cases: Case[] = Array.from({ length: 60 }, () => randomCase(rng));
      // Past one K block, one M block, and both at once, with ragged edges.
      cases.push({ M: 9, N: 13, K: KC + 37, transposeA: false, transposeB: true });
      cases.push({ M: MC + 21, N: 70, K: 33, transposeA: true, transposeB: false });
      cases.push({ M: MC + 5, N: 45, K: 2 * KC + 3, transposeA: false, transposeB: false });
      cases.push({ M: 64, N: 1, K: 100, transposeA: true, transposeB: true });
      // Few rows: B read where it lies (IN_PLACE_B_MAX_ROWS), across K blocks, panels split between threads.
      cases.push({ M: 5, N: 48, K: 2 * KC + 9, transposeA: false, transposeB: false });
      cases.push({ M: IN_PLACE_B_MAX_ROWS, N: 8, K: 31, transposeA: true, transposeB: false });
      for (const c of cases) {
        const a = randomData(rng, c.M * c.K);
        const b = randomData(rng, c.K * c.N);
        const ref = await reference(c, a, b);
        for (const threads of [1, 2]) {
          const got = await ours(c, a, b, kernels!, threads);
          expect(relErr(got, ref), `${JSON.stringify(c)} threads ${threads}`).toBeLessThanOrEqual(1e-5);
        }
      }
    });
  }

  it('KernelScope.gemm runs ours by default and XNNPACK on request, with the same result', async () => {
    const rng = new Rng(23);
    const c: Case = { M: 30, N: 20, K: 50, transposeA: true, transposeB: true };
    const a = randomData(rng, c.M * c.K);
    const b = randomData(rng, c.K * c.N);
    const ref = await reference(c, a, b);
    for (const engine of ['auto', 'xnnpack'] as const) {
      const got = await on('wasm', () => {
        const scope = new KernelScope(tf.backend() as unknown as WasmBackendLike);
        try {
          const [at, bt] = [tf.tensor(a), tf.tensor(b)];
          const out = scope.gemm(at, bt, c.M, c.K, c.N, { transposeA: true, transposeB: true, engine });
          const values = (scope.backend.typedArrayFromHeap(out) as Float32Array).slice();
          tf.dispose([at, bt]);
          return values;
        } finally {
          scope.dispose();
        }
      });
      expect(relErr(got, ref), engine).toBeLessThanOrEqual(1e-5);
    }
  });

  it("packs a convolution's input straight from its pixels: gemmImage equals the cpu backend's conv2d and weight gradient", async () => {
    const rng = new Rng(24);
    const paddings: Array<'same' | 'valid' | tf.backend_util.ExplicitPadding> = ['same', 'valid', [[0, 0], [1, 2], [2, 0], [0, 0]]];
    let cases = 0;
    for (let i = 0; i < 40; i++) {
      // Multiples of 4, and 3, 6, 7 channels (the weight gradient pads them to a multiple of 4 first).
      const x: [number, number, number, number] = [1 + rng.int(2), 1 + rng.int(9), 1 + rng.int(9), [3, 4, 6, 7, 8, 12, 16][rng.int(7)]!];
      const filter: [number, number, number, number] = [1 + rng.int(4), 1 + rng.int(4), x[3], 1 + rng.int(20)];
      const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
      const pad = paddings[rng.int(paddings.length)]!;
      const info = tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad, undefined, false, 'channelsLast');
      if (info.outHeight < 1 || info.outWidth < 1) continue;
      cases++;
      const P = x[0] * info.outHeight * info.outWidth;
      const xv = randomData(rng, x.reduce((a, b) => a * b, 1));
      const wv = randomData(rng, filter.reduce((a, b) => a * b, 1));
      const dyv = randomData(rng, P * filter[3]);
      const attrs = { strides, pad, dataFormat: 'NHWC' as const };
      const [yRef, dwRef] = await on('cpu', () =>
        tf.tidy(() => {
          const xt = tf.tensor4d(xv, x);
          const y = tf.conv2d(xt, tf.tensor4d(wv, filter), strides, pad).dataSync().slice();
          const dyShape = [x[0], info.outHeight, info.outWidth, filter[3]];
          const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: tf.tensor(dyv, dyShape) }, { ...attrs, filterShape: filter }) as tf.Tensor;
          return [y, dw.dataSync().slice()];
        }),
      );
      const [y, dw] = await on('wasm', () => {
        const scope = new KernelScope(tf.backend() as unknown as WasmBackendLike);
        const [xt, wt, dyt] = [tf.tensor4d(xv, x), tf.tensor(wv), tf.tensor(dyv)];
        try {
          const read = (t: tf.TensorInfo | null) => (scope.backend.typedArrayFromHeap(t!) as Float32Array).slice();
          // The forward product packs multiples of 4 channels only (null otherwise: the caller's im2col).
          const y = scope.gemmImage(xt, info, true, wt, filter[3]);
          expect(y === null, `forward with ${x[3]} channels`).toBe(x[3] % 4 !== 0);
          return [y === null ? null : read(y), read(scope.gemmImage(xt, info, false, dyt, filter[3]))];
        } finally {
          scope.dispose();
          tf.dispose([xt, wt, dyt]);
        }
      });
      const what = JSON.stringify({ x, filter, strides, pad });
      if (y !== null) expect(relErr(y, yRef), `forward ${what}`).toBeLessThanOrEqual(1e-5);
      expect(relErr(dw, dwRef), `weight gradient ${what}`).toBeLessThanOrEqual(1e-5);
    }
    expect(cases).toBeGreaterThan(20);
    // 5 channels (padding to 8 would cost 1.6x) are left to the im2col path, in both directions.
    const odd = tf.backend_util.computeConv2DInfo([1, 4, 4, 5], [2, 2, 5, 8], 1, 1, 'same');
    const none = await on('wasm', () => {
      const scope = new KernelScope(tf.backend() as unknown as WasmBackendLike);
      const [xt, wt, dyt] = [tf.ones([1, 4, 4, 5]), tf.ones([20, 8]), tf.ones([16, 8])];
      try {
        return [scope.gemmImage(xt, odd, true, wt, 8), scope.gemmImage(xt, odd, false, dyt, 8)];
      } finally {
        scope.dispose();
        tf.dispose([xt, wt, dyt]);
      }
    });
    expect(none).toEqual([null, null]);
  });

  it('lets the process exit by itself after its helper thread ran a product', async () => {
    await mkdir(dir, { recursive: true });
    await bundleWasmEntry(dir, ["export { helpersAvailable } from './gemm_threads.ts';", "export { backendMemory } from './wasm_module.ts';"]);
    const script = join(dir, 'exits.mjs');
    await writeFile(
      script,
      [
        "import * as tf from '@tensorflow/tfjs-core';",
        "import { backendMemory, helpersAvailable, initWasmBackend } from './wasm.mjs';",
        'const info = await initWasmBackend({ threads: 2 });',
        // 16 output pixels, 256 channels: the weight-GEMM path, whose 32 panels are cut into chunks for 2 threads.
        "const y = tf.conv2d(tf.ones([1, 4, 4, 64]), tf.ones([3, 3, 64, 256]), 1, 'same');",
        'const helpers = helpersAvailable(backendMemory(tf.backend()));',
        'console.log(JSON.stringify({ threads: info.threads, helpers, v: y.dataSync()[5 * 256 + 7] }));',
      ].join('\n'),
    );
    const result = await new Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [script], { cwd: dir, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; killed?: boolean }) | null;
        done({ code: e === null ? 0 : (e.code ?? null), killed: e?.killed ?? false, stdout, stderr });
      });
    });
    expect(result.killed, 'still running after 60 s: the GEMM helper keeps it alive').toBe(false);
    expect(result.code, result.stderr).toBe(0);
    // Pixel (1, 1) of the 4x4 output sees all 3x3 taps x 64 channels of ones.
    expect(JSON.parse(result.stdout)).toEqual({ threads: 2, helpers: true, v: 576 });
  }, 90_000);
});
