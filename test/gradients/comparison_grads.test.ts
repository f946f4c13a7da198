import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSecondOrderGradients } from '../../src/gradients/register_second_order_gradients.js';
import { ZERO_GRADIENT_KERNELS } from '../../src/gradients/comparison_grads.js';
import { expectGradientsMatch } from './fd.js';

const A = [-1.5, -0.5, 0.5, 2, 1];
const B = [-1, -0.5, 1, 1, 3];
const ops: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  Greater: tf.greater,
  Less: tf.less,
  LessEqual: tf.lessEqual,
  Equal: tf.equal,
  NotEqual: tf.notEqual,
  LogicalAnd: (a, b) => tf.logicalAnd(tf.greater(a, 0), tf.greater(b, 0)),
  LogicalOr: (a, b) => tf.logicalOr(tf.greater(a, 0), tf.greater(b, 0)),
  LogicalNot: (a) => tf.logicalNot(tf.greater(a, 0)),
};
// The same predicates in plain JS, element by element.
const truth: Record<string, (a: number, b: number) => boolean> = {
  Greater: (a, b) => a > b,
  Less: (a, b) => a < b,
  LessEqual: (a, b) => a <= b,
  Equal: (a, b) => a === b,
  NotEqual: (a, b) => a !== b,
  LogicalAnd: (a, b) => a > 0 && b > 0,
  LogicalOr: (a, b) => a > 0 || b > 0,
  LogicalNot: (a) => !(a > 0),
};

describe('zero gradients of comparisons and boolean logic', () => {
  beforeAll(() => {
    registerSecondOrderGradients();
  });

  it('the test covers every kernel in ZERO_GRADIENT_KERNELS', () => {
    expect([...ZERO_GRADIENT_KERNELS].sort()).toEqual(Object.keys(ops).sort());
  });

  for (const name of Object.keys(ops)) {
    it(`${name}: d/da, d/db of sum(where(${name}(a, b), a, b)) is the mask and its complement`, () => {
      const a = tf.tensor1d(A);
      const b = tf.tensor1d(B);
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.where(ops[name]!(x, y), x, y)))([a, b]);
      const mask = A.map((v, i) => (truth[name]!(v, B[i]!) ? 1 : 0));
      expect(Array.from(ga!.dataSync())).toEqual(mask);
      expect(Array.from(gb!.dataSync())).toEqual(mask.map((m) => 1 - m));
      expect(ga!.dtype).toBe('float32');
      tf.dispose([a, b, ga!, gb!]);
    });
  }

  it('LeakyReLU second derivative: d²/dx² of sum(leakyRelu(x) * x) is 2 for x > 0 and 2 * 0.2 for x < 0', () => {
    const xs = [-2, -0.3, 0.4, 1.5];
    const x = tf.tensor1d(xs);
    const first = (u: tf.Tensor) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, 0.2), v)))(u);
    const second = tf.grad((u: tf.Tensor) => tf.sum(first(u)))(x);
    const expected = xs.map((v) => (v > 0 ? 2 : 0.4));
    Array.from(second.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 5));
    tf.dispose([x, second]);
  });

  it('Prelu and Pow gradients differentiate again and match finite differences', () => {
    const x = tf.tensor1d([-1.2, -0.4, 0.3, 0.8, 1.7]);
    const alpha = tf.scalar(0.2);
    const f = (u: tf.Tensor) =>
      tf.sum(tf.square(tf.grad((v: tf.Tensor) => tf.sum(tf.add(tf.mul(tf.prelu(v, alpha), v), tf.pow(tf.abs(v), 3))))(u)));
    expectGradientsMatch(f, [x], { h: 1e-3, rtol: 1e-2, atol: 1e-3 });
    tf.dispose([x, alpha]);
  });
});
