import * as tf from '@tensorflow/tfjs-core';
import { checkImagePair } from './range.js';

/**
 * Mean squared error per image: `mean (a - b)^2` over height, width and channels, in the images' own
 * units (scikit-image's `mean_squared_error`).
 *
 * @param a Batched images, NHWC `[n, h, w, c]`.
 * @param b Images of the same shape.
 * @returns A `[n]` tensor (the caller disposes it).
 */
export function l2(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor1D {
  checkImagePair(a, b, 'l2');
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b), [1, 2, 3]) as tf.Tensor1D);
}
