// Shared by the io tests.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';

/** Max |a - b| over two arrays, which must be equally long. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Gives every moving statistic a non-trivial value, so batch norm's inference form is really tested, and
 * scales the kernels up 10x (N(0, 0.2)), so a tiny network's output is not near zero everywhere.
 */
export function perturbStatistics(model: tfl.LayersModel): void {
  for (const w of model.trainableWeights) if (w.name.includes('kernel')) w.write(tf.tidy(() => tf.mul(w.read(), 10)));
  for (const [i, w] of model.nonTrainableWeights.entries()) {
    const isVar = w.name.includes('variance');
    w.write(tf.tidy(() => (isVar ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i) : tf.randomUniform(w.shape as number[], -0.2, 0.2, 'float32', i))));
  }
}
