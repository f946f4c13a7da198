import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ganLoss } from '../../src/losses/gan_loss.js';
import { l1Loss } from '../../src/losses/l1_loss.js';
import { l2Loss } from '../../src/losses/l2_loss.js';
import { num } from './helpers.js';

describe('ganLoss', () => {
  // softplus values computed by hand (Python math.log1p): mean over [0, 2, -3, 100, -100].
  const logits = () => tf.tensor4d([0, 2, -3, 100, -100], [1, 1, 5, 1]);

  it('vanilla: sigmoid cross-entropy on logits, finite at |logit| = 100', () => {
    expect(num(ganLoss(logits(), true, 'vanilla'))).toBeCloseTo(20.77373250863533, 4);
    expect(num(ganLoss(logits(), false, 'vanilla'))).toBeCloseTo(20.57373250863533, 4);
    // logit 0 -> ln 2 for both labels
    expect(num(ganLoss(tf.zeros([2, 3, 3, 1]), true, 'vanilla'))).toBeCloseTo(Math.LN2, 6);
  });

  it('vanilla gradient is sigmoid(x) - label, mean-reduced', () => {
    const x = tf.tensor1d([0, 2, -3]);
    const g = tf.grad((l: tf.Tensor) => ganLoss(l, true, 'vanilla'))(x).arraySync() as number[];
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    [0, 2, -3].forEach((v, i) => expect(g[i]).toBeCloseTo((sig(v) - 1) / 3, 6));
  });

  it('lsgan: mean squared error to 1 (real) or 0 (fake)', () => {
    const l = () => tf.tensor1d([0.5, -1, 3]);
    expect(num(ganLoss(l(), true, 'lsgan'))).toBeCloseTo((0.25 + 4 + 4) / 3, 6);
    expect(num(ganLoss(l(), false, 'lsgan'))).toBeCloseTo((0.25 + 1 + 9) / 3, 6);
  });

  it('wgangp: -mean for real, +mean for fake', () => {
    const l = () => tf.tensor1d([1, 2, -6]);
    expect(num(ganLoss(l(), true, 'wgangp'))).toBeCloseTo(1, 6);
    expect(num(ganLoss(l(), false, 'wgangp'))).toBeCloseTo(-1, 6);
  });

  it('rejects an unknown mode, quoting it', () => {
    expect(() => ganLoss(tf.zeros([1]), true, 'hinge' as never)).toThrow(/ganLoss mode must be one of .*got 'hinge'/);
  });

  it('leaves no tensors behind', () => {
    const l = tf.tensor1d([1, 2]);
    const before = tf.memory().numTensors;
    for (const mode of ['vanilla', 'lsgan', 'wgangp'] as const) ganLoss(l, false, mode).dispose();
    expect(tf.memory().numTensors).toBe(before);
    l.dispose();
  });
});

describe('l1Loss / l2Loss', () => {
  const p = () => tf.tensor2d([[1, 2], [3, 4]]);
  const t = () => tf.tensor2d([[0, 4], [3, 1]]);
  it('l1 is the mean absolute error', () => expect(num(l1Loss(p(), t()))).toBeCloseTo((1 + 2 + 0 + 3) / 4, 6));
  it('l2 is the mean squared error', () => expect(num(l2Loss(p(), t()))).toBeCloseTo((1 + 4 + 0 + 9) / 4, 6));
});
