// Tiny hand-built networks and a tiny objective for Trainer tests (fast on the cpu backend).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LossParts, Objective, ObjectiveArgs } from '../../src/losses/types.js';

/** G: 8x8x3 image -> conv3x3(4) -> BN -> relu -> dropout 0.5 -> conv3x3(3) -> tanh, seeded init. */
export function tinyGenerator(seed = 1, size = 8, filters = 4): tfl.LayersModel {
  const x = tfl.input({ shape: [size, size, 3] });
  let h = tfl.layers
    .conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.2, seed }) })
    .apply(x) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.dropout({ rate: 0.5 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.2, seed: seed + 1 }) })
    .apply(h) as tfl.SymbolicTensor;
  const y = tfl.layers.activation({ activation: 'tanh' }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

/** D: [input, target] -> concat -> conv4x4/2(4) -> BN -> leaky -> conv3x3(1) logits. */
export function tinyDiscriminator(seed = 3, size = 8, filters = 4): tfl.LayersModel {
  const a = tfl.input({ shape: [size, size, 3] });
  const b = tfl.input({ shape: [size, size, 3] });
  let h = tfl.layers.concatenate().apply([a, b]) as tfl.SymbolicTensor;
  h = tfl.layers
    .conv2d({ filters, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.2, seed }) })
    .apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tfl.SymbolicTensor;
  const y = tfl.layers
    .conv2d({ filters: 1, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.randomNormal({ stddev: 0.2, seed: seed + 1 }) })
    .apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [a, b], outputs: y });
}

const d = (D: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor) => D.apply([x, y], { training: true }) as tf.Tensor;

/**
 * A tiny LSGAN + 10 * L1 objective written here (independent of src/losses). `hooks.nan` makes the
 * named part of the named objective NaN, to test refused steps.
 */
export function tinyObjective(hooks: { nan?: { network: 'generator' | 'discriminator'; part: string } | null } = {}): Objective {
  const poison = (network: string, parts: Record<string, tf.Scalar>) => {
    const n = hooks.nan;
    if (n && n.network === network) parts[n.part] = tf.mul(parts[n.part]!, NaN) as tf.Scalar;
    return parts as LossParts;
  };
  return {
    usesDiscriminator: true,
    config: { kind: 'tiny-lsgan-l1', lambda: 10 },
    generator: (a: ObjectiveArgs) =>
      tf.tidy(() => {
        const adversarial = tf.mean(tf.square(tf.sub(d(a.discriminator, a.input, a.fake), 1))) as tf.Scalar;
        const reconstruction = tf.mean(tf.abs(tf.sub(a.fake, a.target))) as tf.Scalar;
        const parts = poison('generator', { adversarial, reconstruction });
        return { ...parts, total: tf.add(parts.adversarial!, tf.mul(parts.reconstruction!, 10)) as tf.Scalar };
      }),
    discriminator: (a: ObjectiveArgs) =>
      tf.tidy(() => {
        const fake = tf.mean(tf.square(d(a.discriminator, a.input, a.fake))) as tf.Scalar;
        const real = tf.mean(tf.square(tf.sub(d(a.discriminator, a.input, a.target), 1))) as tf.Scalar;
        const parts = poison('discriminator', { real, fake });
        return { ...parts, total: tf.mul(tf.add(parts.real!, parts.fake!), 0.5) as tf.Scalar };
      }),
  };
}

/** A deterministic batch: random input in [-1, 1], target = -input (colour inversion). */
export function batch(i: number, size = 8, n = 1): { input: tf.Tensor4D; target: tf.Tensor4D } {
  return tf.tidy(() => {
    const input = tf.randomUniform([n, size, size, 3], -1, 1, 'float32', 1000 + i) as tf.Tensor4D;
    return { input, target: tf.neg(input) as tf.Tensor4D };
  });
}

/** All weights of a model as flat arrays (for exact comparisons). */
export function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.weights.map((w) => w.read().dataSync() as Float32Array);
}

/** An in-memory IO handler pair (save, then load what was saved); `artifacts` is the last save. */
export function memory() {
  let saved: tf.io.ModelArtifacts | null = null;
  return {
    save: tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
    load: () => tf.io.fromMemory(saved!),
    get artifacts() {
      return saved!;
    },
  };
}
