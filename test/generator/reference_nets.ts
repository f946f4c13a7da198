// Shared by the generator and discriminator reference tests: loads reference_nets.json (written by the
// independent NumPy implementation in fixtures/make_reference_nets.py) and copies its PyTorch-layout
// weights into our models by contract layer name.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A serialized tensor of the fixture. */
export interface FixtureTensor {
  shape: number[];
  values: number[];
}

/** One reference network, its weights, inputs and expected output. */
export interface FixtureCase {
  net: 'unet' | 'encoder_decoder' | 'patch';
  options: Record<string, unknown>;
  weights: Record<string, Record<string, FixtureTensor>>;
  inputs: FixtureTensor[];
  output: FixtureTensor;
}

/** All cases of the fixture file. */
export function loadReferenceCases(): FixtureCase[] {
  const url = new URL('./fixtures/reference_nets.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: FixtureCase[] }).cases;
}

/** The fixture tensor as a tf tensor. */
export function toTensor(t: FixtureTensor): tf.Tensor {
  return tf.tensor(t.values, t.shape, 'float32');
}

/**
 * Copies the fixture weights into `model`. PyTorch Conv2d [O, I, kh, kw] -> tfjs HWIO and ConvTranspose2d
 * [I, O, kh, kw] -> tfjs [kh, kw, O, I] are both the permutation [2, 3, 1, 0]; BatchNorm order is gamma,
 * beta, moving mean, moving variance. Returns the names of the model's layers that hold weights.
 */
export function loadFixtureWeights(model: tfl.LayersModel, weights: FixtureCase['weights']): string[] {
  for (const [name, w] of Object.entries(weights)) {
    const layer = model.getLayer(name);
    const tensors = w.kernel
      ? [tf.transpose(toTensor(w.kernel), [2, 3, 1, 0]), ...(w.bias ? [toTensor(w.bias)] : [])]
      : [toTensor(w.gamma!), toTensor(w.beta!), toTensor(w.moving_mean!), toTensor(w.moving_variance!)];
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return model.layers.filter((l) => l.getWeights().length > 0).map((l) => l.name);
}

/** Largest absolute difference between two equally shaped tensors. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}
