import * as tf from '@tensorflow/tfjs-core';
import { checkImagePair } from './range.js';

/**
 * Mean absolute error per image: `mean |a - b|` over height, width and channels, in the images' own
 * units (so an L1 of 0.1 on [-1, 1] images is 0.05 on the same images mapped to [0, 1]).
 *
 * @param a Batched images, NHWC `[n, h, w, c]`.
 * @param b Images of the same shape.
 * @returns A `[n]` tensor (the caller disposes it).
 */
export function l1(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D {
  checkImagePair(a, b, 'l1');
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b)), [1, 2, 3]) as tf.Tensor1D);
}
