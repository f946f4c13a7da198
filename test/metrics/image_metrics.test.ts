import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageMetrics } from '../../src/metrics/image_metrics.js';
import { l1 } from '../../src/metrics/l1.js';
import { l2 } from '../../src/metrics/l2.js';
import { psnr } from '../../src/metrics/psnr.js';
import type { PixelRange } from '../../src/metrics/range.js';
import { ssim } from '../../src/metrics/ssim.js';

// Reference values from scikit-image (scripts/fixtures/make_metric_fixtures.py), not from this code. Its
// SSIM is the Gaussian window on the values as given (data range 2 on [-1, 1]): the 'gaussian11-pm1'
// variant (for [0, 1] images the same as 'gaussian11'). The default variant is checked against
// scikit-image on 8-bit PNGs in metrics_8bit.test.ts.
interface Fixture {
  name: string;
  range: PixelRange;
  shape: [number, number, number, number];
  a: number[];
  b: number[];
  l1: number[];
  l2: number[];
  psnr: number[];
  ssim: number[];
}

const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`../fixtures/metrics/${name}.json`, import.meta.url), 'utf8')) as Fixture;

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

describe.each(['rgb_pm1', 'gray_01'])('image metrics vs scikit-image (%s)', (name) => {
  const fx = load(name);
  const a = () => tf.tensor4d(fx.a, fx.shape);
  const b = () => tf.tensor4d(fx.b, fx.shape);

  it('L1 and L2 match per image', () => {
    const [ta, tb] = [a(), b()];
    expectClose(l1(ta, tb).dataSync(), fx.l1, 1e-5);
    expectClose(l2(ta, tb).dataSync(), fx.l2, 1e-5);
    tf.dispose([ta, tb]);
  });

  it('PSNR matches per image', () => {
    const [ta, tb] = [a(), b()];
    expectClose(psnr(ta, tb, { range: fx.range }).dataSync(), fx.psnr, 1e-3);
    tf.dispose([ta, tb]);
  });

  it('SSIM matches per image within 1e-4', () => {
    const [ta, tb] = [a(), b()];
    expectClose(ssim(ta, tb, { range: fx.range, variant: 'gaussian11-pm1' }).dataSync(), fx.ssim, 1e-4);
    if (fx.range === '[0,1]') expectClose(ssim(ta, tb, { range: fx.range, variant: 'gaussian11' }).dataSync(), fx.ssim, 1e-4);
    tf.dispose([ta, tb]);
  });

  it('imageMetrics reports per-image values and their means without leaking tensors', async () => {
    const [ta, tb] = [a(), b()];
    const before = tf.memory().numTensors;
    const m = await imageMetrics(ta, tb, { range: fx.range, ssim: 'gaussian11-pm1' });
    expect(tf.memory().numTensors).toBe(before);
    expectClose(m.ssim.perImage, fx.ssim, 1e-4);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(m.ssim.mean).toBeCloseTo(mean(fx.ssim), 4);
    expect(m.l1.mean).toBeCloseTo(mean(fx.l1), 5);
    expect(m.psnr.mean).toBeCloseTo(mean(fx.psnr), 2);
    tf.dispose([ta, tb]);
  });
});

describe('image metrics: hand-checked cases and validation', () => {
  it('identical images: L1 = L2 = 0, SSIM = 1, PSNR = Infinity', () => {
    const x = tf.randomUniform([2, 12, 13, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    expect(Array.from(l1(x, x).dataSync())).toEqual([0, 0]);
    expect(Array.from(l2(x, x).dataSync())).toEqual([0, 0]);
    expectClose(ssim(x, x).dataSync(), [1, 1], 1e-6);
    expect(Array.from(psnr(x, x).dataSync())).toEqual([Infinity, Infinity]);
  });

  it('PSNR of a constant offset: 10 log10(R^2 / d^2)', () => {
    const x = tf.zeros([1, 11, 11, 1]) as tf.Tensor4D;
    const y = tf.fill([1, 11, 11, 1], 0.1) as tf.Tensor4D;
    // [-1,1]: R = 2 -> 10 log10(4 / 0.01) = 26.0206; [0,1]: R = 1 -> 20 dB.
    expect(psnr(x, y).dataSync()[0]).toBeCloseTo(26.0206, 3);
    expect(psnr(x, y, { range: '[0,1]' }).dataSync()[0]).toBeCloseTo(20, 3);
    expect(l1(x, y).dataSync()[0]).toBeCloseTo(0.1, 6);
    expect(l2(x, y).dataSync()[0]).toBeCloseTo(0.01, 6);
  });

  it('SSIM of two constant images depends only on the luminance term', () => {
    // Constant images: variances 0, so SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1), C1 = (0.01 * 2)^2.
    const x = tf.fill([1, 11, 11, 1], 0.2) as tf.Tensor4D;
    const y = tf.fill([1, 11, 11, 1], -0.3) as tf.Tensor4D;
    const c1 = 0.0004;
    // float32 filtering: agreement to 1e-4, the tolerance promised for SSIM.
    expect(Math.abs(ssim(x, y, { variant: 'gaussian11-pm1' }).dataSync()[0]! - (2 * 0.2 * -0.3 + c1) / (0.04 + 0.09 + c1))).toBeLessThan(1e-4);
    // The default variants shift [-1, 1] to [0, 2] first (as the 8-bit image): means 1.2 and 0.7.
    for (const variant of ['uniform7', 'gaussian11'] as const) {
      expect(Math.abs(ssim(x, y, { variant }).dataSync()[0]! - (2 * 1.2 * 0.7 + c1) / (1.44 + 0.49 + c1))).toBeLessThan(1e-4);
    }
  });

  it('rejects mismatched shapes, small images and unknown ranges, quoting what it got', () => {
    const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    const y = tf.zeros([1, 16, 16, 1]) as tf.Tensor4D;
    const s = tf.zeros([1, 10, 16, 1]) as tf.Tensor4D;
    expect(() => l1(x, y)).toThrow(/same shape.*got \[1,16,16,1\]/);
    expect(() => ssim(s, s, { variant: 'gaussian11' })).toThrow(/>= 11.*got \[10,16\]/);
    expect(() => ssim(tf.zeros([1, 6, 16, 1]) as tf.Tensor4D, tf.zeros([1, 6, 16, 1]) as tf.Tensor4D)).toThrow(/uniform7.*>= 7.*got \[6,16\]/);
    expect(() => psnr(x, x, { range: '[0,256]' as PixelRange })).toThrow(/range must be one of.*got '\[0,256\]'/);
  });
});
