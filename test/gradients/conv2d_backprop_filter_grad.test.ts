import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerSecondOrderGradients } from '../../src/gradients/register_second_order_gradients.js';
import { expectGradientsMatch } from './fd.js';

type Pad = Parameters<typeof tf.conv2d>[3];

/** The raw Conv2DBackpropFilter kernel (tfjs exports no op for it under this name with all attributes). */
function backpropFilter(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], strides: number, pad: Pad, dataFormat: 'NHWC' | 'NCHW') {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides, pad, dataFormat, dimRoundingMode: undefined, filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

type Shape4 = [number, number, number, number];
const cases: Array<{ name: string; x: Shape4; f: Shape4; strides: number; pad: Pad }> = [
  { name: "3x3 stride 1 'same'", x: [1, 5, 5, 2], f: [3, 3, 2, 3], strides: 1, pad: 'same' },
  { name: "4x4 stride 2 'same' (PatchGAN down-sampling)", x: [2, 6, 6, 2], f: [4, 4, 2, 3], strides: 2, pad: 'same' },
  { name: "4x4 stride 1 'valid' (after ZeroPadding2D)", x: [1, 6, 6, 2], f: [4, 4, 2, 2], strides: 1, pad: 'valid' },
  { name: 'stride 2 numeric padding 1', x: [1, 6, 6, 1], f: [4, 4, 1, 2], strides: 2, pad: 1 },
  { name: 'explicit padding', x: [1, 5, 5, 1], f: [3, 3, 1, 2], strides: 1, pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
];

describe('Conv2DBackpropFilter gradient', () => {
  beforeAll(() => {
    registerSecondOrderGradients();
  });

  for (const c of cases) {
    it(`matches central differences: ${c.name}`, () => {
      // Output-gradient shape = forward conv output shape.
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.strides, c.pad).shape);
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
      const dy = tf.randomNormal(outShape, 0, 1, 'float32', 2);
      const G = tf.randomNormal(c.f, 0, 1, 'float32', 3);
      // <G, dW(x, dy)>: the scalar whose gradient is the registered function.
      const f = (xi: tf.Tensor, dyi: tf.Tensor) => tf.sum(tf.mul(G, backpropFilter(xi, dyi, c.f, c.strides, c.pad, 'NHWC')));
      const worst = expectGradientsMatch(f, [x, dy], { h: 1e-2, rtol: 1e-2, atol: 1e-3 });
      expect(worst).toBeLessThan(1e-2);
      tf.dispose([x, dy, G]);
    });
  }

  it('agrees with the identity <G, dW(x, dy)> = <dy, conv2d(x, G)>', () => {
    // Independent of the registered gradient: checks the kernel contract the derivation rests on.
    const x = tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
    const G = tf.randomNormal([4, 4, 2, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const dy = tf.randomNormal([1, 3, 3, 3], 0, 1, 'float32', 6);
    const lhs = tf.sum(tf.mul(G, backpropFilter(x, dy, [4, 4, 2, 3], 2, 'same', 'NHWC'))).dataSync()[0]!;
    const rhs = tf.sum(tf.mul(dy, tf.conv2d(x, G, 2, 'same'))).dataSync()[0]!;
    expect(lhs).toBeCloseTo(rhs, 3);
  });

  it('is registered once and never overrides an existing gradient', () => {
    const again = registerSecondOrderGradients();
    expect(again).toEqual([]);
    expect(tf.getGradient('Conv2DBackpropFilter')).toBeDefined();
  });
});
