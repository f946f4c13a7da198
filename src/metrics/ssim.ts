import * as tf from '@tensorflow/tfjs-core';
import { check, checkKeys } from '../util/validate.js';
import { checkImagePair, dataRangeOf, type ImageMetricOptions, IMAGE_METRIC_KEYS } from './range.js';

/** Side of the SSIM window (11, Wang et al. 2004). */
const WINDOW = 11;
/** Standard deviation of the Gaussian window (1.5, Wang et al. 2004). */
const SIGMA = 1.5;
/** SSIM stabilising constants: C1 = (K1 R)^2, C2 = (K2 R)^2. */
const K1 = 0.01;
const K2 = 0.03;

/** The normalised 1-D Gaussian taps of the separable 11x11 window. */
function gaussianTaps(): number[] {
  const r = (WINDOW - 1) / 2;
  const taps = Array.from({ length: WINDOW }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * SIGMA * SIGMA)));
  const sum = taps.reduce((s, v) => s + v, 0);
  return taps.map((v) => v / sum);
}

/**
 * Structural similarity (SSIM, Wang et al. 2004) per image, averaged over channels: Gaussian 11x11
 * window with sigma 1.5, K1 = 0.01, K2 = 0.03, population (co)variances, data range `R` from
 * `options.range` (2 for [-1, 1], 1 for [0, 1]).
 *
 * Edges: the SSIM map is computed only where the whole window fits in the image ('valid' filtering,
 * an `(h - 10) x (w - 10)` map) and averaged there. This equals scikit-image's
 * `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
 * data_range=R, channel_axis=-1)`, which filters with reflect padding and then crops the 5-pixel
 * border off the map before averaging; the test suite checks agreement to 1e-4.
 *
 * @param a Batched images, NHWC `[n, h, w, c]` with `h, w >= 11`.
 * @param b Images of the same shape.
 * @param options The value range (default `'[-1,1]'`).
 * @returns A `[n]` tensor of values in [-1, 1], 1 for identical images (the caller disposes it).
 */
export function ssim(a: tf.Tensor4D, b: tf.Tensor4D, options: ImageMetricOptions = {}): tf.Tensor1D {
  checkKeys(options, IMAGE_METRIC_KEYS, 'ssim');
  checkImagePair(a, b, 'ssim');
  const r = dataRangeOf(options.range ?? '[-1,1]');
  const [n, h, w, c] = a.shape;
  check(h >= WINDOW && w >= WINDOW, 'ssim: image height and width', `>= ${WINDOW} (the window size)`, [h, w]);
  const c1 = (K1 * r) ** 2;
  const c2 = (K2 * r) ** 2;
  return tf.tidy(() => {
    // One single-channel image per (image, channel): [n*c, h, w, 1].
    const planes = (t: tf.Tensor4D) =>
      tf.reshape(tf.transpose(tf.cast(t, 'float32'), [0, 3, 1, 2]), [n * c, h, w, 1]) as tf.Tensor4D;
    const x = planes(a);
    const y = planes(b);
    // The five quantities the window averages, as channels: x, y, x^2, y^2, xy.
    const stacked = tf.concat([x, y, tf.mul(x, x), tf.mul(y, y), tf.mul(x, y)], 3) as tf.Tensor4D;
    const taps = gaussianTaps();
    const col = tf.tile(tf.reshape(tf.tensor1d(taps), [WINDOW, 1, 1, 1]), [1, 1, 5, 1]) as tf.Tensor4D;
    const row = tf.tile(tf.reshape(tf.tensor1d(taps), [1, WINDOW, 1, 1]), [1, 1, 5, 1]) as tf.Tensor4D;
    const filtered = tf.depthwiseConv2d(tf.depthwiseConv2d(stacked, col, 1, 'valid'), row, 1, 'valid');
    const [ux, uy, uxx, uyy, uxy] = tf.split(filtered, 5, 3);
    const uxuy = tf.mul(ux!, uy!);
    const uxSq = tf.mul(ux!, ux!);
    const uySq = tf.mul(uy!, uy!);
    const vx = tf.sub(uxx!, uxSq);
    const vy = tf.sub(uyy!, uySq);
    const vxy = tf.sub(uxy!, uxuy);
    const num = tf.mul(tf.add(tf.mul(2, uxuy), c1), tf.add(tf.mul(2, vxy), c2));
    const den = tf.mul(tf.add(tf.add(uxSq, uySq), c1), tf.add(tf.add(vx, vy), c2));
    const map = tf.div(num, den); // [n*c, h-10, w-10, 1]
    return tf.mean(tf.reshape(map, [n, -1]), 1) as tf.Tensor1D;
  });
}
