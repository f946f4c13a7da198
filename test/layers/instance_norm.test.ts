import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InstanceNormalization } from '../../src/layers/instance_norm.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, NORM_KINDS, convBias, createNorm } from '../../src/layers/norm.js';
import { kernelInitializer } from '../../src/layers/init.js';

describe('InstanceNormalization', () => {
  it('normalizes each sample and channel over height and width (hand-computed)', () => {
    // x[b, h, w, c], 2 samples, 2x2 pixels, 2 channels.
    // sample 0, channel 0: 1 2 3 4 -> mean 2.5, var 1.25; channel 1: 10 10 10 10 -> var 0.
    // sample 1, channel 0: 0 0 0 8 -> mean 2, var 12; channel 1: -1 1 -1 1 -> mean 0, var 1.
    const x = tf.tensor4d(
      [
        [[[1, 10], [2, 10]], [[3, 10], [4, 10]]],
        [[[0, -1], [0, 1]], [[0, -1], [8, 1]]],
      ],
    );
    const layer = new InstanceNormalization();
    const y = layer.apply(x) as tf.Tensor;
    const eps = 1e-5;
    const s0 = Math.sqrt(1.25 + eps);
    const s1 = Math.sqrt(12 + eps);
    const s2 = Math.sqrt(1 + eps);
    const expected = [
      [[[-1.5 / s0, 0], [-0.5 / s0, 0]], [[0.5 / s0, 0], [1.5 / s0, 0]]],
      [[[-2 / s1, -1 / s2], [-2 / s1, 1 / s2]], [[-2 / s1, -1 / s2], [6 / s1, 1 / s2]]],
    ].flat(3);
    const got = Array.from(y.dataSync());
    expect(got).toHaveLength(16);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    tf.dispose([x, y]);
  });

  it('has no weights, keeps the shape, and is the same in training and inference', () => {
    const layer = new InstanceNormalization({ name: 'n', epsilon: 1e-3 });
    const x = tf.randomNormal([1, 4, 4, 3], 2, 3, 'float32', 1);
    const a = layer.apply(x, { training: true }) as tf.Tensor;
    const b = layer.apply(x) as tf.Tensor;
    expect(layer.getWeights()).toHaveLength(0);
    expect(a.shape).toEqual([1, 4, 4, 3]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(layer.getConfig()).toMatchObject({ name: 'n', epsilon: 1e-3 });
    tf.dispose([x, a, b]);
  });

  it('passes gradients (sum of a normalized map has zero gradient; a weighted sum does not)', () => {
    const layer = new InstanceNormalization();
    const x = tf.randomNormal([1, 3, 3, 1], 0, 1, 'float32', 2);
    const g0 = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
    expect(Math.max(...Array.from(g0.dataSync()).map(Math.abs))).toBeLessThan(1e-5);
    const w = tf.reshape(tf.range(0, 9), [1, 3, 3, 1]);
    const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(layer.apply(t) as tf.Tensor, w)))(x);
    expect(Math.max(...Array.from(g1.dataSync()).map(Math.abs))).toBeGreaterThan(0.01);
    tf.dispose([x, g0, g1, w]);
  });

  it('rejects non-NHWC inputs and bad epsilon', () => {
    expect(() => new InstanceNormalization().apply(tf.zeros([2, 3]))).toThrow(/rank 4 \(NHWC\) \(got rank 2\)/);
    expect(() => new InstanceNormalization({ epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0 \(got -1\)/);
  });

  it('is registered for deserialization', () => {
    const input = tfl.input({ shape: [4, 4, 2] });
    const out = new InstanceNormalization({ name: 'inorm', epsilon: 1e-4 }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const json = model.toJSON(null, false) as unknown as { config: { layers: Array<{ class_name: string; config: { epsilon?: number } }> } };
    const layer = json.config.layers.find((l) => l.class_name === 'InstanceNormalization');
    expect(layer?.config.epsilon).toBe(1e-4);
    expect(tf.serialization.SerializationMap.getMap().classNameMap.InstanceNormalization?.[0]).toBe(InstanceNormalization);
    model.dispose();
  });
});

describe('norm lookup and bias rule', () => {
  it('creates the right layer per kind', () => {
    expect(NORM_KINDS).toEqual(['batch', 'instance', 'none']);
    const bn = createNorm('batch', 'bn', 1)!;
    expect(bn.getClassName()).toBe('BatchNormalization');
    expect(bn.name).toBe('bn');
    expect(bn.getConfig()).toMatchObject({ epsilon: BATCH_NORM_EPSILON, momentum: BATCH_NORM_MOMENTUM, axis: -1, center: true, scale: true });
    expect(BATCH_NORM_EPSILON).toBe(1e-5);
    expect(BATCH_NORM_MOMENTUM).toBe(0.9);
    expect(createNorm('instance', 'in', 1)!.getClassName()).toBe('InstanceNormalization');
    expect(createNorm('none', 'x', 1)).toBeNull();
    expect(() => createNorm('group' as never, 'x', 1)).toThrow(/unknown norm \(got 'group'\)/);
  });

  it("biases only under instance norm (the reference's rule)", () => {
    expect(convBias('batch')).toBe(false);
    expect(convBias('instance')).toBe(true);
    expect(convBias('none')).toBe(false);
  });

  it('kernel initializer: seeded per layer name, N(0, 0.02)', () => {
    const a = kernelInitializer(5, 'down2_conv').apply([4000]);
    const b = kernelInitializer(5, 'down2_conv').apply([4000]);
    const c = kernelInitializer(5, 'down3_conv').apply([4000]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    const v = Array.from(a.dataSync());
    const std = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    tf.dispose([a, b, c]);
  });
});
