import * as tf from '@tensorflow/tfjs-core';
import { checkKeys } from '../util/validate.js';
import { checkImagePair, dataRangeOf, type ImageMetricOptions, IMAGE_METRIC_KEYS } from './range.js';

/**
 * Peak signal-to-noise ratio per image, in dB: `10 * log10(R^2 / MSE)` with the data range `R` from
 * `options.range` (2 for [-1, 1], 1 for [0, 1]); the same as scikit-image's
 * `peak_signal_noise_ratio(data_range=R)`. Identical images give `Infinity`.
 *
 * @param a Batched images, NHWC `[n, h, w, c]`.
 * @param b Images of the same shape.
 * @param options The value range (default `'[-1,1]'`).
 * @returns A `[n]` tensor (the caller disposes it).
 */
export function psnr(a: tf.Tensor4D, b: tf.Tensor4D, options: ImageMetricOptions = {}): tf.Tensor1D {
  checkKeys(options, IMAGE_METRIC_KEYS, 'psnr');
  checkImagePair(a, b, 'psnr');
  const r = dataRangeOf(options.range ?? '[-1,1]');
  return tf.tidy(() => {
    const mse = tf.mean(tf.squaredDifference(a, b), [1, 2, 3]);
    // 10 * log10(R^2 / mse) = (10 / ln 10) * (ln R^2 - ln mse); ln 0 = -Infinity gives +Infinity.
    return tf.mul(10 / Math.LN10, tf.sub(Math.log(r * r), tf.log(mse))) as tf.Tensor1D;
  });
}
