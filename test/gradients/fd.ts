// Central finite differences for gradient checks (float32 kernels, so small sizes and moderate steps).
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Value of a scalar function, read as a JS number (tensors disposed). */
function value(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): number {
  return tf.tidy(() => f(...xs).dataSync()[0]!);
}

/**
 * Central-difference derivative of scalar `f` with respect to element `j` of input `i`:
 * (f(x + h e_j) - f(x - h e_j)) / 2h, evaluated in float32 but accumulated in JS doubles.
 */
export function centralDifference(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  i: number,
  j: number,
  h: number,
): number {
  const base = xs[i]!.dataSync().slice();
  const at = (delta: number) => {
    const v = base.slice();
    v[j] = v[j]! + delta;
    const xi = tf.tensor(v, xs[i]!.shape, 'float32');
    const args = xs.map((x, k) => (k === i ? xi : x));
    const out = value(f, args);
    xi.dispose();
    return out;
  };
  return (at(h) - at(-h)) / (2 * h);
}

/**
 * Asserts that `tf.grads(f)` matches central differences on every element of every input (or on
 * `maxPerInput` evenly spread elements), within `rtol * max(|analytic|, |numeric|) + atol`.
 * Returns the largest relative error seen, for reporting.
 */
export function expectGradientsMatch(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  { h = 1e-2, rtol = 1e-2, atol = 1e-3, maxPerInput = Infinity }: { h?: number; rtol?: number; atol?: number; maxPerInput?: number } = {},
): number {
  const analytic = tf.tidy(() => tf.grads(f)(xs).map((g) => g.dataSync().slice()));
  let worst = 0;
  xs.forEach((x, i) => {
    const n = x.size;
    const step = Math.max(1, Math.floor(n / Math.min(n, maxPerInput)));
    for (let j = 0; j < n; j += step) {
      const a = analytic[i]![j]!;
      const d = centralDifference(f, xs, i, j, h);
      const err = Math.abs(a - d);
      const scale = Math.max(Math.abs(a), Math.abs(d));
      worst = Math.max(worst, scale > 0 ? err / scale : 0);
      expect(err, `input ${i} element ${j}: analytic ${a} vs numeric ${d}`).toBeLessThanOrEqual(rtol * scale + atol);
    }
  });
  return worst;
}
