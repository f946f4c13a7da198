// Property tests: every kernel enableWasmTraining() registers on wasm matches the cpu backend's kernel
// (the independent reference) over random shapes, strides, paddings and data formats, rel. error <= 1e-4.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { enableWasmTraining, initWasmBackend, WASM_TRAINING_KERNELS } from '../../src/backends/wasm/index.js';
import { conv2DBackpropInputWasm, planPhase } from '../../src/backends/wasm/conv2d_backprop_input.js';
import { conv2dWasm, preferWeightGemm, type ConvMethod } from '../../src/backends/wasm/conv2d.js';
import { withFrozenWeights } from '../../src/backends/frozen_weights.js';
import { packedWeightsFor } from '../../src/backends/wasm/packed_weights.js';
import { transposeInto, type WasmBackendLike } from '../../src/backends/wasm/kernel_scope.js';
import { heapTranspose } from '../../src/backends/wasm/transpose_simd.js';
import { i32const } from '../../src/backends/wasm/wasm_module.js';
import { rotationOf } from '../../src/backends/wasm/transpose.js';
import { Rng } from '../../src/util/random.js';
import { on, randomData, relErr } from './wasm_helpers.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  x: [number, number, number, number]; // NHWC
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat: 'NHWC' | 'NCHW';
}

function nchw(s: readonly number[]): [number, number, number, number] {
  return [s[0]!, s[3]!, s[1]!, s[2]!];
}

// Weight gradients of 3, 6 and 7 channels are padded to a multiple of 4 for our GEMM (gatherableChannels); 1, 2 and 5 are not.
const CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8, 12];

/** A random valid convolution (output at least 1x1). */
function randomCase(rng: Rng): ConvCase {
  for (;;) {
    // Channel counts on both sides of the multiple-of-4 line (our GEMM packs those inputs straight from their pixels).
    const x: ConvCase['x'] = [1 + rng.int(2), 1 + rng.int(10), 1 + rng.int(10), CHANNELS[rng.int(CHANNELS.length)]!];
    const filter: ConvCase['filter'] = [1 + rng.int(5), 1 + rng.int(5), x[3], 1 + rng.int(5)];
    const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const kind = rng.int(4);
    const pad: Pad =
      kind === 0 ? 'same' : kind === 1 ? 'valid' : kind === 2 ? rng.int(3) : [[0, 0], [rng.int(3), rng.int(3)], [rng.int(3), rng.int(3)], [0, 0]];
    const dimRoundingMode = typeof pad === 'number' ? (['floor', 'round', 'ceil'] as const)[rng.int(3)] : undefined;
    const dataFormat = rng.int(5) === 0 ? 'NCHW' : 'NHWC';
    try {
      const info = tf.backend_util.computeConv2DInfo(x, filter, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      if (info.outHeight < 1 || info.outWidth < 1) continue;
    } catch {
      continue;
    }
    return { x, filter, strides, pad, dataFormat, ...(dimRoundingMode !== undefined ? { dimRoundingMode } : {}) };
  }
}

function outShapeOf(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode, false, 'channelsLast');
  return info.outShape;
}

function attrsOf(c: ConvCase): tf.NamedAttrMap {
  return {
    strides: c.strides,
    pad: c.dataFormat === 'NCHW' && Array.isArray(c.pad) ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]] : c.pad,
    dataFormat: c.dataFormat,
    dimRoundingMode: c.dimRoundingMode,
  } as unknown as tf.NamedAttrMap;
}

/** Runs Conv2DBackpropFilter and Conv2DBackpropInput for `c` on `backend` with the given data. */
async function backprops(backend: string, c: ConvCase, data: { x: Float32Array; dy: Float32Array; w: Float32Array }) {
  return on(backend, () =>
    tf.tidy(() => {
      const xs = c.dataFormat === 'NCHW' ? nchw(c.x) : c.x;
      const ys = c.dataFormat === 'NCHW' ? nchw(outShapeOf(c)) : outShapeOf(c);
      const x = tf.tensor(data.x, xs);
      const dy = tf.tensor(data.dy, ys);
      const w = tf.tensor(data.w, c.filter);
      const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrsOf(c), filterShape: c.filter }) as tf.Tensor;
      const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...attrsOf(c), inputShape: xs }) as tf.Tensor;
      // Both dx algorithms, whichever the registered kernel picks for this geometry.
      const dxBy = (method: 'phases' | 'gemm'): Float32Array => {
        if (backend !== 'wasm') return dx.dataSync() as Float32Array;
        const info = conv2DBackpropInputWasm({ inputs: { dy, filter: w }, backend: tf.backend(), attrs: { ...attrsOf(c), inputShape: xs } }, method);
        return tf.engine().makeTensorFromTensorInfo(info).dataSync().slice() as Float32Array;
      };
      return {
        dw: dw.dataSync().slice(),
        dwShape: dw.shape,
        dx: dx.dataSync().slice(),
        dxShape: dx.shape,
        dxPhases: dxBy('phases'),
        dxGemm: dxBy('gemm'),
      };
    }),
  );
}

function randomData3(rng: Rng, c: ConvCase) {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return { x: randomData(rng, size(c.x)), dy: randomData(rng, size(outShapeOf(c))), w: randomData(rng, size(c.filter)) };
}

beforeAll(async () => {
  // Threads: 2 also exercises the Node worker_threads path of the threaded SIMD binary.
  const info = await initWasmBackend({ threads: 2 });
  expect(info.training).toBe(true);
  expect(info.simd).toBe(true);
  expect(info.threads).toBe(2);
});

describe('enableWasmTraining', () => {
  it('registers its kernels for the wasm backend only, idempotently', () => {
    const funcs = WASM_TRAINING_KERNELS.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    const cpuFuncs = WASM_TRAINING_KERNELS.map((name) => tf.getKernel(name, 'cpu')?.kernelFunc);
    expect(enableWasmTraining()).toEqual({ registered: [], replaced: [] });
    WASM_TRAINING_KERNELS.forEach((name, i) => {
      expect(tf.getKernel(name, 'wasm')?.kernelFunc).toBe(funcs[i]); // unchanged by the second call
      expect(funcs[i]).not.toBe(cpuFuncs[i]);
      expect(tf.getKernel(name, 'cpu')?.kernelFunc).toBe(cpuFuncs[i]); // cpu untouched
    });
    expect(tf.getKernelsForBackend('wasm').map((k) => k.kernelName)).toContain('Conv2DBackpropFilter');
  });
});

describe('planPhase (hand-derived: 4x4 stride-2 pad-1 transposed conv)', () => {
  it('splits rows into two 2-tap phases reading dy[m-1], dy[m] and dy[m], dy[m+1]', () => {
    // dx[2m] = dy[m-1] w3 + dy[m] w1; flipped filter wr[k] = w[3-k] -> taps wr[0], wr[2].
    expect(planPhase(0, 4, 2, 1, 8)).toEqual({ count: 4, taps: 2, first: 0, offset: -1 });
    // dx[2m+1] = dy[m] w2 + dy[m+1] w0 -> taps wr[1], wr[3].
    expect(planPhase(1, 4, 2, 1, 8)).toEqual({ count: 4, taps: 2, first: 1, offset: 0 });
    // A 1-tap filter with stride 2 leaves odd rows without taps.
    expect(planPhase(1, 1, 2, 0, 5).taps).toBe(0);
  });
});

describe('wasm backprop kernels equal the cpu kernels', () => {
  it('on pix2pix layer shapes (4x4 s2 same, 4x4 s1 explicit pad 1, 1x1)', async () => {
    const rng = new Rng(7);
    const cases: ConvCase[] = [
      { x: [1, 16, 16, 6], filter: [4, 4, 6, 8], strides: [2, 2], pad: 'same', dataFormat: 'NHWC' },
      { x: [2, 8, 8, 8], filter: [4, 4, 8, 16], strides: [2, 2], pad: 'same', dataFormat: 'NHWC' },
      { x: [1, 8, 8, 8], filter: [4, 4, 8, 1], strides: [1, 1], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], dataFormat: 'NHWC' },
      { x: [1, 16, 16, 6], filter: [1, 1, 6, 8], strides: [1, 1], pad: 'valid', dataFormat: 'NHWC' },
      { x: [1, 2, 2, 16], filter: [4, 4, 16, 16], strides: [2, 2], pad: 'same', dataFormat: 'NHWC' },
    ];
    for (const c of cases) {
      const data = randomData3(rng, c);
      const ref = await backprops('cpu', c, data);
      const got = await backprops('wasm', c, data);
      expect(got.dwShape).toEqual(ref.dwShape);
      expect(got.dxShape).toEqual(ref.dxShape);
      expect(relErr(got.dw, ref.dw), `dW ${JSON.stringify(c)}`).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dx, ref.dx), `dx ${JSON.stringify(c)}`).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dxPhases, ref.dx), `dx (phases) ${JSON.stringify(c)}`).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dxGemm, ref.dx), `dx (weight GEMM) ${JSON.stringify(c)}`).toBeLessThanOrEqual(1e-4);
    }
  });

  it('on 80 random shapes, strides 1-3, paddings same/valid/number/explicit, NHWC and NCHW', async () => {
    const rng = new Rng(20261128);
    for (let i = 0; i < 80; i++) {
      const c = randomCase(rng);
      const data = randomData3(rng, c);
      const ref = await backprops('cpu', c, data);
      const got = await backprops('wasm', c, data);
      const what = JSON.stringify(c);
      expect(got.dwShape, what).toEqual(ref.dwShape);
      expect(got.dxShape, what).toEqual(ref.dxShape);
      expect(relErr(got.dw, ref.dw), `dW ${what}`).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dx, ref.dx), `dx ${what}`).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dxPhases, ref.dx), `dx (phases) ${what}`).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dxGemm, ref.dx), `dx (weight GEMM) ${what}`).toBeLessThanOrEqual(1e-4);
    }
  });

  it('Tile: random shapes (rank 1-4), reps 1-3, float32 and int32, equals cpu exactly', async () => {
    const rng = new Rng(99);
    for (let i = 0; i < 40; i++) {
      const rank = 1 + rng.int(4);
      const shape = Array.from({ length: rank }, () => 1 + rng.int(4));
      const reps = Array.from({ length: rank }, () => 1 + rng.int(3));
      const dtype = rng.int(3) === 0 ? 'int32' : 'float32';
      const data = Array.from(randomData(rng, shape.reduce((a, b) => a * b, 1)), (v) => (dtype === 'int32' ? Math.round(10 * v) : v));
      const run = (b: string) => on(b, () => tf.tidy(() => Array.from(tf.tile(tf.tensor(data, shape, dtype), reps).dataSync())));
      const ref = await run('cpu');
      const got = await run('wasm');
      expect(got, JSON.stringify({ shape, reps, dtype })).toEqual(ref);
    }
    // The batch-norm gradient's case: a per-channel vector to a full activation.
    const v = Array.from(randomData(rng, 8));
    const big = (b: string) => on(b, () => tf.tidy(() => Array.from(tf.tile(tf.tensor(v, [1, 1, 1, 8]), [1, 16, 16, 1]).dataSync())));
    expect(await big('wasm')).toEqual(await big('cpu'));
  });

  it('Conv2D and FusedConv2D, both algorithms: random shapes, bias, linear/relu/relu6/leakyrelu', async () => {
    const rng = new Rng(20261129);
    const activations = ['linear', 'relu', 'relu6', 'leakyrelu'] as const;
    for (let i = 0; i < 60; i++) {
      const r = randomCase(rng);
      // tfjs-core sizes a numeric pad's output with the filter's and stride's height for both dimensions,
      // which no convolution matches when they are not square: the same padding is given explicitly.
      const c: ConvCase =
        typeof r.pad === 'number'
          ? { x: r.x, filter: r.filter, strides: r.strides, dataFormat: 'NHWC', pad: [[0, 0], [r.pad, r.pad], [r.pad, r.pad], [0, 0]] }
          : { ...r, dataFormat: 'NHWC' };
      // That explicit padding can leave no output column (XNNPACK then never returns): skip such cases.
      const out = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad as tf.backend_util.ExplicitPadding);
      if (out.outHeight < 1 || out.outWidth < 1) continue;
      const fused = rng.int(2) === 1;
      const activation = fused ? activations[rng.int(4)]! : 'linear';
      const alpha = 0.05 + rng.next() / 2;
      const withBias = fused && rng.int(3) !== 0;
      const data = randomData3(rng, c);
      const bias = randomData(rng, c.filter[3]);
      const attrs = { ...attrsOf(c), dilations: [1, 1], activation, leakyreluAlpha: alpha } as unknown as tf.NamedAttrMap;
      const inputs = () => ({
        x: tf.tensor(data.x, c.x),
        filter: tf.tensor(data.w, c.filter),
        ...(withBias ? { bias: tf.tensor(bias, [c.filter[3]]) } : {}),
      });
      const ref = await on('cpu', () =>
        tf.tidy(() => (tf.engine().runKernel(fused ? tf.FusedConv2D : tf.Conv2D, inputs(), attrs) as tf.Tensor).dataSync().slice()),
      );
      const what = JSON.stringify({ ...c, fused, activation, withBias });
      for (const method of ['xnnpack', 'gemm', 'auto'] as ConvMethod[]) {
        const got = await on('wasm', () =>
          tf.tidy(() => {
            const info = conv2dWasm({ inputs: inputs(), backend: tf.backend(), attrs }, fused, method);
            return tf.engine().makeTensorFromTensorInfo(info).dataSync().slice();
          }),
        );
        expect(relErr(got, ref), `${method} ${what}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });

  it('Conv2D and conv2dTranspose through tf ops: panels kept from a filter\'s second use, right on every use, freed with the filter', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const kept = packedWeightsFor(tf.backend());
    // 4x4 stride 2 from 4x4x32 to 2x2x64 (4 output pixels, 64 channels): our GEMM on every use.
    const info = tf.backend_util.computeConv2DInfo([1, 4, 4, 32], [4, 4, 32, 64], 2, 1, 'same');
    expect([1, 2, 3, 4, 5].map((use) => preferWeightGemm(info, use))).toEqual([true, true, true, true, true]);
    const rng = new Rng(5);
    // 68 output channels: the forward GEMM's last 8-column panel of B is a partial one (zero padded).
    const x = randomData(rng, 4 * 4 * 32);
    const w = randomData(rng, 4 * 4 * 32 * 68);
    const dy = randomData(rng, 2 * 2 * 68);
    const ref = await on('cpu', () =>
      tf.tidy(() => {
        const wt = tf.tensor4d(w, [4, 4, 32, 68]);
        return [tf.conv2d(tf.tensor4d(x, [1, 4, 4, 32]), wt, 2, 'same').dataSync().slice(), tf.conv2dTranspose(tf.tensor4d(dy, [1, 2, 2, 68]), wt, [1, 4, 4, 32], 2, 'same').dataSync().slice()];
      }),
    );
    const got = await on('wasm', () => {
      const before = backend.numDataIds();
      const xt = tf.tensor4d(x, [1, 4, 4, 32]);
      const wt = tf.tensor4d(w, [4, 4, 32, 68]);
      const dyt = tf.tensor4d(dy, [1, 2, 2, 68]);
      const outs: Float32Array[][] = [];
      const bytes: number[] = [];
      for (let i = 0; i < 4; i++) {
        outs.push(tf.tidy(() => [tf.conv2d(xt, wt, 2, 'same').dataSync().slice(), tf.conv2dTranspose(dyt, wt, [1, 4, 4, 32], 2, 'same').dataSync().slice()]) as Float32Array[]);
        bytes.push(kept.bytes);
      }
      // Kept from the second use on, one panel set per orientation: the forward product's B is the filter
      // as 512 x 68 (columns rounded up to 72), the input gradient's its transpose, 68 x 512.
      const both = (72 * 512 + 512 * 68) * 4;
      expect(bytes).toEqual([0, both, both, both]);
      tf.dispose([xt, wt, dyt]);
      expect(kept.bytes).toBe(0);
      expect(backend.numDataIds()).toBe(before);
      return outs;
    });
    for (const [y, dx] of got) {
      expect(relErr(y!, ref[0]!)).toBeLessThanOrEqual(1e-4);
      expect(relErr(dx!, ref[1]!)).toBeLessThanOrEqual(1e-4);
    }
    // The first layers (3 channels) keep XNNPACK; so does a browser without our GEMM.
    expect(preferWeightGemm(tf.backend_util.computeConv2DInfo([1, 128, 128, 3], [4, 4, 3, 8], 2, 1, 'same'))).toBe(false);
    expect(preferWeightGemm(tf.backend_util.computeConv2DInfo([1, 64, 64, 8], [4, 4, 8, 16], 2, 1, 'same'), 1, false)).toBe(false);
  });

  it('NCHW and dilated convolutions still go to the backend (same errors and results as before)', async () => {
    await tf.setBackend('wasm');
    const x = tf.ones([1, 3, 8, 8]);
    const w = tf.ones([3, 3, 3, 4]);
    expect(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NCHW')).toThrow(/dataFormat/);
    const xd = tf.ones([1, 8, 8, 3]);
    const y = tf.conv2d(xd as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid', 'NHWC', 2);
    expect(y.shape).toEqual([1, 4, 4, 4]);
    expect(Array.from(y.dataSync()).every((v) => v === 27)).toBe(true);
    tf.dispose([x, w, xd, y]);
  });

  it("'same' padding with a stride larger than the filter (wrong in tfjs-backend-wasm's own kernel) equals cpu", async () => {
    const rng = new Rng(11);
    const x = randomData(rng, 2 * 9 * 8 * 3);
    const w = randomData(rng, 1 * 5 * 3 * 2);
    const run = (b: string) =>
      on(b, () => tf.tidy(() => tf.conv2d(tf.tensor4d(x, [2, 9, 8, 3]), tf.tensor4d(w, [1, 5, 3, 2]), 3, 'same').dataSync().slice()));
    const ref = await run('cpu');
    const got = await run('wasm');
    expect(got.length).toBe(ref.length);
    expect(relErr(got, ref)).toBeLessThanOrEqual(1e-4);
  });

  it('Concat and SplitV: random shapes, axes, 1-3 inputs, float32 and int32, equal cpu exactly', async () => {
    const rng = new Rng(123);
    for (let i = 0; i < 40; i++) {
      const rank = 1 + rng.int(4);
      const base = Array.from({ length: rank }, () => 1 + rng.int(5));
      const axis = rng.int(rank);
      const dtype = rng.int(3) === 0 ? 'int32' : 'float32';
      // Along the axis, widths 0..4 (an empty input must be skipped) and one long run (>= 256 values).
      const widths = Array.from({ length: 1 + rng.int(3) }, () => rng.int(5));
      if (rng.int(4) === 0) widths.push(300);
      const parts = widths.map((w) => {
        const shape = base.map((d, k) => (k === axis ? w : d));
        const n = shape.reduce((a, b) => a * b, 1);
        return { shape, data: Array.from(randomData(rng, n), (v) => (dtype === 'int32' ? Math.round(100 * v) : v)) };
      });
      if (widths.every((w) => w === 0)) continue;
      const run = (b: string) =>
        on(b, () =>
          tf.tidy(() => {
            const xs = parts.map((p) => tf.tensor(p.data, p.shape, dtype));
            const joined = tf.concat(xs, axis);
            const back = tf.split(joined, widths, axis);
            return { joined: Array.from(joined.dataSync()), shape: joined.shape, back: back.map((t) => Array.from(t.dataSync())) };
          }),
        );
      const ref = await run('cpu');
      const got = await run('wasm');
      const what = JSON.stringify({ base, axis, widths, dtype });
      expect(got.shape, what).toEqual(ref.shape);
      expect(got.joined, what).toEqual(ref.joined);
      expect(got.back, what).toEqual(ref.back);
    }
  });

  it('i32const encodes a signed LEB128 (hand-encoded values)', () => {
    expect(i32const(0)).toEqual([0x41, 0x00]);
    expect(i32const(63)).toEqual([0x41, 0x3f]);
    expect(i32const(64)).toEqual([0x41, 0xc0, 0x00]); // 0x40 alone would be -64
    expect(i32const(-64)).toEqual([0x41, 0x40]);
    expect(i32const(-1)).toEqual([0x41, 0x7f]);
    expect(i32const(128)).toEqual([0x41, 0x80, 0x01]);
    expect(i32const(624485)).toEqual([0x41, 0xe5, 0x8e, 0x26]);
  });

  it('heapTranspose (SIMD 4x4 blocks, JavaScript edges) equals the plain loop, any size and offset', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as WasmBackendLike;
    const rng = new Rng(44);
    for (let i = 0; i < 60; i++) {
      const rows = 1 + rng.int(i < 50 ? 40 : 200);
      const cols = 1 + rng.int(i < 50 ? 40 : 200);
      const offIn = rng.int(5);
      const offOut = rng.int(5);
      const src = backend.makeOutput([offIn + rows * cols], 'float32');
      const dst = backend.makeOutput([offOut + rows * cols], 'float32');
      const sv = backend.typedArrayFromHeap(src) as Float32Array;
      sv.set(randomData(rng, sv.length));
      const dv = backend.typedArrayFromHeap(dst) as Float32Array;
      dv.fill(7);
      const expected = new Float32Array(dv.length).fill(7);
      transposeInto(sv, offIn, rows, cols, expected, offOut);
      heapTranspose(backend, sv, offIn, rows, cols, dv, offOut);
      expect(Array.from(dv), JSON.stringify({ rows, cols, offIn, offOut })).toEqual(Array.from(expected));
      backend.disposeData(src.dataId);
      backend.disposeData(dst.dataId);
    }
  });

  it('Transpose (every permutation of ranks 1-4) equals cpu exactly; Sum and Mean over any axes within 1e-6', async () => {
    expect(rotationOf([0, 3, 1, 2])).toEqual({ batch: 1, split: 3 });
    expect(rotationOf([3, 0, 1, 2])).toEqual({ batch: 0, split: 3 });
    expect(rotationOf([1, 0])).toEqual({ batch: 0, split: 1 });
    expect(rotationOf([0, 2, 1, 3])).toBeNull();
    expect(rotationOf([0, 1, 2])).toBeNull();
    const perms = (n: number): number[][] =>
      n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
    const rng = new Rng(77);
    for (let rank = 1; rank <= 4; rank++) {
      for (const perm of perms(rank)) {
        const shape = Array.from({ length: rank }, () => 1 + rng.int(7));
        const data = Array.from(randomData(rng, shape.reduce((a, b) => a * b, 1)));
        const run = (b: string) =>
          on(b, () =>
            tf.tidy(() => {
              const x = tf.tensor(data, shape);
              const t = tf.transpose(x, perm);
              const axes = perm.slice(0, Math.max(1, rank - 1));
              return {
                t: Array.from(t.dataSync()),
                shape: t.shape,
                sum: Array.from(tf.sum(x, axes).dataSync()),
                mean: Array.from(tf.mean(x, axes, true).dataSync()),
                lead: Array.from(tf.sum(x, 0).dataSync()),
              };
            }),
          );
        const ref = await run('cpu');
        const got = await run('wasm');
        expect(got.shape).toEqual(ref.shape);
        expect(got.t, JSON.stringify({ shape, perm })).toEqual(ref.t);
        expect(relErr(got.sum, ref.sum), JSON.stringify({ shape, perm })).toBeLessThanOrEqual(1e-6);
        expect(relErr(got.mean, ref.mean), JSON.stringify({ shape, perm })).toBeLessThanOrEqual(1e-6);
        expect(relErr(got.lead, ref.lead), JSON.stringify({ shape, perm })).toBeLessThanOrEqual(1e-6);
      }
    }
    // The batch-norm gradient's reduction: a [1, 64, 64, 32] activation summed over N, H, W.
    const big = Array.from(randomData(rng, 64 * 64 * 32));
    const sums = (b: string) => on(b, () => tf.tidy(() => Array.from(tf.sum(tf.tensor(big, [1, 64, 64, 32]), [0, 1, 2]).dataSync())));
    expect(relErr(await sums('wasm'), await sums('cpu'))).toBeLessThanOrEqual(1e-6);
    // Whole-tensor sums and means (the finiteness markers), a SIMD body and a tail; an empty tensor sums
    // to 0 (the backend's own kernel read uninitialised memory for it).
    const flat = Array.from(randomData(rng, 10_003));
    const whole = (b: string) =>
      on(b, () => tf.tidy(() => [tf.sum(tf.tensor(flat, [7, 1429])), tf.mean(tf.tensor(flat)), tf.sum(tf.zeros([0, 3]))].map((t) => t.dataSync()[0] ?? NaN)));
    const [w, c] = [await whole('wasm'), await whole('cpu')];
    expect(relErr(w.slice(0, 2), c.slice(0, 2))).toBeLessThanOrEqual(1e-6);
    expect(w[2]).toBe(0);
  });

  it('LeakyRelu, Greater (against a scalar) and Select: SIMD loops and tails equal cpu, NaN and -0 included', async () => {
    const rng = new Rng(808);
    for (let i = 0; i < 30; i++) {
      const n = 1 + rng.int(i < 20 ? 70 : 3000);
      const shape = rng.int(2) === 0 ? [n] : [1, 1, n, 1];
      const x = Array.from(randomData(rng, n));
      const dy = Array.from(randomData(rng, n));
      for (const k of [0, 1, 2]) if (n > k) x[rng.int(n)] = [Number.NaN, -0, 0][k]!;
      const alpha = [0.2, 0.01, 1.5][i % 3]!;
      const b = i % 4 === 0 ? 0.25 : 0;
      const run = (backend: string) =>
        on(backend, () =>
          tf.tidy(() => {
            const xt = tf.tensor(x, shape);
            const dyt = tf.tensor(dy, shape);
            const mask = tf.greater(xt, tf.scalar(b));
            const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, alpha), dyt)))(xt);
            return {
              y: Array.from(tf.leakyRelu(xt, alpha).dataSync()),
              mask: Array.from(mask.dataSync()),
              sel: Array.from(tf.where(mask, xt, dyt).dataSync()),
              grad: Array.from(grad.dataSync()),
            };
          }),
        );
      const ref = await run('cpu');
      const got = await run('wasm');
      const what = JSON.stringify({ n, alpha, b });
      // cpu multiplies by alpha as a double, wasm (its own kernel too) by alpha rounded to float32: 1 ulp.
      const noNaN = (a: number[]) => a.map((v) => (Number.isNaN(v) ? 0 : v));
      expect(got.y.map(Number.isNaN), what).toEqual(ref.y.map(Number.isNaN));
      expect(got.grad.map(Number.isNaN), what).toEqual(ref.grad.map(Number.isNaN));
      expect(relErr(noNaN(got.y), noNaN(ref.y)), what).toBeLessThanOrEqual(1e-6);
      expect(relErr(noNaN(got.grad), noNaN(ref.grad)), what).toBeLessThanOrEqual(1e-6);
      expect(got.mask, what).toEqual(ref.mask);
      expect(got.sel, what).toEqual(ref.sel);
    }
  });

  it('leaves no tensors behind', async () => {
    await tf.setBackend('wasm');
    const c: ConvCase = { x: [1, 8, 8, 3], filter: [4, 4, 3, 4], strides: [2, 2], pad: 'same', dataFormat: 'NHWC' };
    const data = randomData3(new Rng(1), c);
    await backprops('wasm', c, data);
    const before = tf.memory().numTensors;
    const bytesBefore = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    await backprops('wasm', c, data);
    const xt = tf.tensor4d(data.x, c.x);
    for (const method of ['xnnpack', 'gemm'] as ConvMethod[]) {
      const wt = tf.tensor4d(data.w, c.filter);
      const info = conv2dWasm({ inputs: { x: xt, filter: wt }, backend: tf.backend(), attrs: { ...attrsOf(c), dilations: [1, 1] } }, false, method);
      tf.backend().disposeData(info.dataId);
      wt.dispose();
    }
    xt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(bytesBefore);
  });
});

describe('withFrozenWeights (the generator update skips the discriminator weight gradients)', () => {
  it('gives zeros for frozen filters on tensors made in the scope; true gradients for the rest', async () => {
    await tf.setBackend('wasm');
    const rng = new Rng(3);
    const x = tf.tensor4d(randomData(rng, 8 * 8 * 3), [1, 8, 8, 3]);
    const frozen = tf.variable(tf.tensor4d(randomData(rng, 4 * 4 * 4 * 2), [4, 4, 4, 2]));
    const free = tf.variable(tf.tensor4d(randomData(rng, 4 * 4 * 3 * 4), [4, 4, 3, 4]));
    const early = tf.variable(tf.tensor4d(randomData(rng, 4 * 4 * 3 * 2), [4, 4, 3, 2]));
    // h is made inside f; x is the caller's. Both meet a frozen filter when `early` is frozen too.
    const f = (xi: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const h = tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same' });
      const y = tf.fused.conv2d({ x: h, filter: a as tf.Tensor4D, strides: 1, pad: 'same' });
      const z = tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: c as tf.Tensor4D, strides: 2, pad: 'same' });
      return tf.add(tf.sum(tf.square(y)), tf.sum(tf.square(z)));
    };
    const vars = [x, frozen, free, early];
    const plain = tf.grads(f)(vars);
    const got = withFrozenWeights([frozen, early], () => tf.grads(f)(vars));
    const after = tf.grads(f)(vars);
    expect(relErr(got[0]!.dataSync(), plain[0]!.dataSync())).toBeLessThanOrEqual(1e-6); // input gradient
    expect(Math.max(...Array.from(plain[1]!.dataSync(), Math.abs))).toBeGreaterThan(0);
    expect(Array.from(got[1]!.dataSync()).every((v) => v === 0)).toBe(true); // frozen, on h: not computed
    expect(relErr(got[2]!.dataSync(), plain[2]!.dataSync())).toBeLessThanOrEqual(1e-6); // not frozen
    expect(relErr(got[3]!.dataSync(), plain[3]!.dataSync())).toBeLessThanOrEqual(1e-6); // frozen, but on the caller's x
    expect(relErr(after[1]!.dataSync(), plain[1]!.dataSync())).toBeLessThanOrEqual(1e-6); // outside the scope again
    tf.dispose([...vars, ...plain, ...got, ...after]);
  });
});
