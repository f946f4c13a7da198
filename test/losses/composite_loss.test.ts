import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import type { LossParts } from '../../src/losses/types.js';
import { linearD, mean, softplus } from './helpers.js';

// 2x2 one-channel images; D's logits are wIn * input + wTarget * image per pixel (computed by hand below).
const A = [0.5, -0.5, 1, 0];
const T = [0.2, -0.4, 0.9, -1];
const F = [-0.1, 0.3, 0.6, 0.8];
const img = (v: number[]) => tf.tensor4d(v, [1, 2, 2, 1]);
const logitsOf = (wIn: number, wT: number, y: number[]) => A.map((a, i) => wIn * a + wT * y[i]!);
const l1 = mean(F.map((f, i) => Math.abs(f - T[i]!)));
const l2 = mean(F.map((f, i) => (f - T[i]!) ** 2));

function values(parts: LossParts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parts)) {
    expect(v.shape).toEqual([]);
    out[k] = v.dataSync()[0]!;
    v.dispose();
  }
  return out;
}

function run(opts: Parameters<typeof compositeLoss>[0], D = linearD(1, 2)) {
  const loss = compositeLoss(opts);
  const args = { discriminator: D, input: img(A), target: img(T), fake: img(F), seed: 7 };
  const g = values(loss.generator(args));
  const d = loss.usesDiscriminator ? values(loss.discriminator(args)) : null;
  return { loss, g, d };
}

describe('compositeLoss', () => {
  it('vanilla + l1 (defaults): G = adversarial + 100 * L1, D = 0.5 * (real + fake)', () => {
    const { loss, g, d } = run({});
    const adv = mean(logitsOf(1, 2, F).map((x) => softplus(-x)));
    expect(Object.keys(g).sort()).toEqual(['adversarial', 'reconstruction', 'total']);
    expect(g.adversarial).toBeCloseTo(adv, 5);
    expect(g.reconstruction).toBeCloseTo(l1, 6);
    expect(g.total).toBeCloseTo(adv + 100 * l1, 4);
    const real = mean(logitsOf(1, 2, T).map((x) => softplus(-x)));
    const fake = mean(logitsOf(1, 2, F).map((x) => softplus(x)));
    expect(Object.keys(d!).sort()).toEqual(['fake', 'gradientPenalty', 'real', 'total']);
    expect(d!.real).toBeCloseTo(real, 5);
    expect(d!.fake).toBeCloseTo(fake, 5);
    expect(d!.gradientPenalty).toBe(0);
    expect(d!.total).toBeCloseTo(0.5 * (real + fake), 5);
    expect(loss.usesDiscriminator).toBe(true);
    expect(loss.config).toEqual({ lambda: 100, gan: 'vanilla', reconstruction: 'l1' });
  });

  it('lsgan + l2 with lambda 10', () => {
    const { g, d, loss } = run({ gan: 'lsgan', reconstruction: 'l2', lambda: 10 });
    const adv = mean(logitsOf(1, 2, F).map((x) => (x - 1) ** 2));
    expect(g.adversarial).toBeCloseTo(adv, 5);
    expect(g.reconstruction).toBeCloseTo(l2, 6);
    expect(g.total).toBeCloseTo(adv + 10 * l2, 5);
    const real = mean(logitsOf(1, 2, T).map((x) => (x - 1) ** 2));
    const fake = mean(logitsOf(1, 2, F).map((x) => x ** 2));
    expect(d!.total).toBeCloseTo(0.5 * (real + fake), 5);
    expect(loss.config).toEqual({ lambda: 10, gan: 'lsgan', reconstruction: 'l2' });
  });

  it("gan 'none' is the L1-only baseline: no discriminator, adversarial reported as 0", () => {
    const { g, d, loss } = run({ gan: 'none' });
    expect(loss.usesDiscriminator).toBe(false);
    expect(d).toBeNull();
    expect(g.adversarial).toBe(0);
    expect(g.total).toBeCloseTo(100 * l1, 4);
    expect(() => loss.discriminator({ discriminator: linearD(1, 2), input: img(A), target: img(T), fake: img(F) })).toThrow(
      /no discriminator objective/,
    );
  });

  it("reconstruction 'none' is GAN only", () => {
    const { g } = run({ reconstruction: 'none' });
    const adv = mean(logitsOf(1, 2, F).map((x) => softplus(-x)));
    expect(g.reconstruction).toBe(0);
    expect(g.total).toBeCloseTo(adv, 5);
  });

  it('unconditional D sees the image alone', () => {
    const { g, d } = run({ gan: 'lsgan' }, linearD(null, 2));
    const adv = mean(F.map((f) => (2 * f - 1) ** 2));
    expect(g.adversarial).toBeCloseTo(adv, 5);
    const real = mean(T.map((t) => (2 * t - 1) ** 2));
    const fake = mean(F.map((f) => (2 * f) ** 2));
    expect(d!.total).toBeCloseTo(0.5 * (real + fake), 5);
  });

  it('wgangp: G = -mean(D(fake)) + lambda * L1; D = 0.5 * (real + fake) + penalty', () => {
    const { g, d, loss } = run({ gan: 'wgangp' });
    const adv = -mean(logitsOf(1, 2, F));
    expect(g.adversarial).toBeCloseTo(adv, 5);
    expect(g.total).toBeCloseTo(adv + 100 * l1, 4);
    const real = -mean(logitsOf(1, 2, T));
    const fake = mean(logitsOf(1, 2, F));
    // Linear D: d(sum logits)/d(input) = 1 and /d(image) = 2 at each of the 4 pixels, so the pair's gradient
    // norm is sqrt(4 * (1 + 4)) whatever the interpolation weight.
    const gp = 10 * (Math.sqrt(20) - 1) ** 2;
    expect(d!.real).toBeCloseTo(real, 5);
    expect(d!.fake).toBeCloseTo(fake, 5);
    expect(d!.gradientPenalty).toBeCloseTo(gp, 3);
    expect(d!.total).toBeCloseTo(0.5 * (real + fake) + gp, 3);
    expect(loss.config).toEqual({ lambda: 100, gan: 'wgangp', reconstruction: 'l1', gradientPenaltyWeight: 10 });
  });

  it('validates options with clear errors', () => {
    expect(() => compositeLoss({ gan: 'none', reconstruction: 'none' })).toThrow(/at least one term/);
    expect(() => compositeLoss({ lambda: -1 })).toThrow(/lambda must be a finite number >= 0 \(got -1\)/);
    expect(() => compositeLoss({ lambda: NaN })).toThrow(/lambda must be/);
    expect(() => compositeLoss({ gan: 'hinge' as never })).toThrow(/gan must be one of 'vanilla' \| 'lsgan' \| 'wgangp' \| 'none' \(got 'hinge'\)/);
    expect(() => compositeLoss({ reconstruction: 'l3' as never })).toThrow(/reconstruction must be one of .*\(got 'l3'\)/);
    expect(() => compositeLoss({ gan: 'wgangp', gradientPenaltyWeight: -2 })).toThrow(/gradientPenaltyWeight must be/);
    expect(() => compositeLoss({ seed: 1.5 })).toThrow(/seed must be/);
  });

  it('runs D in training mode (batch norm uses batch statistics and updates moving statistics)', () => {
    const image = tfl.input({ shape: [2, 2, 1] });
    const bn = tfl.layers.batchNormalization({ momentum: 0.5 });
    const out = bn.apply(image) as tfl.SymbolicTensor;
    const D = tfl.model({ inputs: image, outputs: out });
    const loss = compositeLoss({ gan: 'wgangp', reconstruction: 'none' });
    // In training mode each call normalises with its own batch statistics: mean of logits is 0 for both.
    const parts = values(loss.generator({ discriminator: D, input: img(A), target: img(T), fake: img(F) }));
    expect(parts.adversarial).toBeCloseTo(0, 5);
    const movingMean = bn.getWeights()[2]!.dataSync()[0]!;
    expect(movingMean).toBeCloseTo(0.5 * mean(F), 5);
  });

  it('disposes its intermediates (caller owns only the parts)', () => {
    const D = linearD(1, 2);
    const loss = compositeLoss({ gan: 'wgangp', seed: 1 });
    const args = { discriminator: D, input: img(A), target: img(T), fake: img(F) };
    values(loss.generator(args));
    values(loss.discriminator(args));
    const before = tf.memory().numTensors;
    values(loss.generator(args));
    values(loss.discriminator(args));
    expect(tf.memory().numTensors).toBe(before);
  });
});
