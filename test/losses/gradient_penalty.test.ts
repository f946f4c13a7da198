import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradientPenalty } from '../../src/losses/gradient_penalty.js';
import { linearD, num } from './helpers.js';

const rand = (b: number, seed: number, size = 2) => tf.randomUniform([b, size, size, 1], -1, 1, 'float32', seed) as tf.Tensor4D;

/** Unconditional D: LeakyReLU(0.2) of the image, one logit per pixel. d(sum)/dy = 1 where y > 0, else 0.2. */
function leakyD(size = 2): tfl.LayersModel {
  const image = tfl.input({ shape: [size, size, 1] });
  const out = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(image) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: out });
}

describe('gradientPenalty', () => {
  it('linear conditional D: norm over the whole pair, sqrt(HW * (wIn² + wTarget²))', () => {
    // d(sum logits)/d(input) = 1 and /d(image) = 2 at each of 4 pixels: norm sqrt(4 * 5) for every sample.
    const p = gradientPenalty(linearD(1, 2), rand(3, 1), rand(3, 2), rand(3, 3), { seed: 4 });
    expect(num(p)).toBeCloseTo(10 * (Math.sqrt(20) - 1) ** 2, 3);
  });

  it('linear unconditional D ignores the input; weight and targetNorm apply', () => {
    const D = linearD(null, 2);
    // norm = sqrt(4 * 2²) = 4
    expect(num(gradientPenalty(D, rand(2, 1), rand(2, 2), rand(2, 3)))).toBeCloseTo(10 * 9, 3);
    expect(num(gradientPenalty(D, rand(2, 1), rand(2, 2), rand(2, 3), { weight: 1 }))).toBeCloseTo(9, 4);
    expect(num(gradientPenalty(D, rand(2, 1), rand(2, 2), rand(2, 3), { targetNorm: 4 }))).toBeCloseTo(0, 4);
    expect(num(gradientPenalty(D, rand(2, 1), rand(2, 2), rand(2, 3), { weight: 0 }))).toBe(0);
  });

  it('its gradient w.r.t. D weights equals the hand derivative (second order through a conv)', () => {
    // P = 10 (n - 1)², n = sqrt(4 (a² + b²)) => dP/da = 10 * 2 (n - 1) * 4a / n.
    const D = linearD(1, 2);
    const kernel = D.trainableWeights[0]!.read() as tf.Variable;
    const { grads } = tf.variableGrads(() => gradientPenalty(D, rand(2, 1), rand(2, 2), rand(2, 3), { seed: 3 }), [kernel]);
    const n = Math.sqrt(20);
    const g = grads[kernel.name]!.dataSync();
    expect(g[0]).toBeCloseTo((10 * 2 * (n - 1) * 4 * 1) / n, 2);
    expect(g[1]).toBeCloseTo((10 * 2 * (n - 1) * 4 * 2) / n, 2);
  });

  it('interpolates per sample with alpha ~ U(0, 1), reproducibly for a seed', () => {
    // real = +1, fake = -1: x̂ = 2α - 1, so a sample's gradient norm is sqrt(4) * 1 = 2 when α > 0.5 and
    // 2 * 0.2 = 0.4 otherwise; with weight 1, P = mean((norm - 1)²) = 0.36 + 0.64 * (fraction of α > 0.5).
    const D = leakyD();
    const b = 200;
    const real = tf.ones([b, 2, 2, 1]) as tf.Tensor4D;
    const fake = tf.fill([b, 2, 2, 1], -1) as tf.Tensor4D;
    const input = tf.zeros([b, 2, 2, 1]) as tf.Tensor4D;
    const fractions = [1, 2, 3].map((seed) => (num(gradientPenalty(D, input, real, fake, { weight: 1, seed })) - 0.36) / 0.64);
    for (const f of fractions) {
      expect(f).toBeGreaterThan(0.35); // per sample, not one alpha for the batch (that would give 0 or 1)
      expect(f).toBeLessThan(0.65);
      // f is a multiple of 1/b
      expect(Math.abs(f * b - Math.round(f * b))).toBeLessThan(1e-2);
    }
    expect(new Set(fractions).size).toBeGreaterThan(1);
    const again = (num(gradientPenalty(D, input, real, fake, { weight: 1, seed: 2 })) - 0.36) / 0.64;
    expect(again).toBe(fractions[1]);
  });

  it('validates its arguments', () => {
    const D = linearD(null, 1);
    expect(() => gradientPenalty(D, rand(1, 1), rand(1, 2), rand(1, 3), { weight: -1 })).toThrow(/weight must be a finite number >= 0 \(got -1\)/);
    expect(() => gradientPenalty(D, rand(1, 1), rand(1, 2), rand(2, 3))).toThrow(/real and fake must be NHWC tensors of the same shape/);
  });

  it('leaves no tensors behind', () => {
    const D = linearD(1, 2);
    const [a, r, f] = [rand(2, 1), rand(2, 2), rand(2, 3)];
    num(gradientPenalty(D, a, r, f, { seed: 1 }));
    const before = tf.memory().numTensors;
    num(gradientPenalty(D, a, r, f, { seed: 2 }));
    expect(tf.memory().numTensors).toBe(before);
  });
});
