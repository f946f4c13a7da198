/**
 * `ssim`: structural similarity (Wang et al. 2004) per image, in the named variants the literature and
 * scikit-image report (7x7 uniform window, 11x11 Gaussian window), plus the older SSIM of [-1, 1] values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertNever, check, checkKeys, checkOneOf } from '../util/validate.js';
import { checkImagePair, rangeBounds, type PixelRange } from './range.js';

/**
 * The SSIM variants (all with K1 = 0.01, K2 = 0.03, averaged over channels, the map averaged where the
 * whole window fits):
 * - `'uniform7'`: scikit-image's `structural_similarity` defaults: a 7x7 uniform window and sample
 *   (co)variances (divided by 48, not 49), on the images as 8-bit values (data range 255; any
 *   `range` is mapped to [0, R] first, which gives the same number).
 * - `'gaussian11'`: Wang et al.'s 11x11 Gaussian window, sigma 1.5, population (co)variances, on the
 *   images as 8-bit values (scikit-image with `gaussian_weights=True, sigma=1.5,
 *   use_sample_covariance=False`).
 * - `'gaussian11-pm1'`: the Gaussian window on the values exactly as given, with data range `R`: for
 *   `'[-1,1]'` images this is the number versions up to 0.1 reported, which matches no published table
 *   (SSIM's luminance term changes when [0, 255] is shifted to [-1, 1]); for ranges starting at 0 it
 *   equals `'gaussian11'`.
 */
export type SsimVariant = 'uniform7' | 'gaussian11' | 'gaussian11-pm1';
/** Every {@link SsimVariant}. */
export const SSIM_VARIANTS: readonly SsimVariant[] = ['uniform7', 'gaussian11', 'gaussian11-pm1'];

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** Value range of both images (sets the data range `R`: 2, 1 or 255). Default `'[-1,1]'`. */
  range?: PixelRange;
  /** Which SSIM (see {@link SsimVariant}). Default `'uniform7'`, scikit-image's default. */
  variant?: SsimVariant;
}

const SSIM_KEYS: readonly string[] = ['range', 'variant'];

/** SSIM stabilising constants: C1 = (K1 R)^2, C2 = (K2 R)^2. */
const K1 = 0.01;
const K2 = 0.03;
/** Standard deviation of the Gaussian window (1.5, Wang et al. 2004); 11 taps (scipy's truncate 3.5). */
const SIGMA = 1.5;

/** What a variant computes: the separable window's 1-D taps, the covariance normaliser, the shift. */
interface SsimWindow {
  /** Normalised 1-D taps; the window is their outer product. */
  taps: number[];
  /** Multiplies the (co)variances: N / (N - 1) for sample covariances over N window pixels, else 1. */
  covNorm: number;
  /** Whether the values are shifted to start at 0 first (SSIM as on the 8-bit image). */
  fromZero: boolean;
}

function gaussianTaps(size: number, sigma: number): number[] {
  const r = (size - 1) / 2;
  const taps = Array.from({ length: size }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = taps.reduce((s, v) => s + v, 0);
  return taps.map((v) => v / sum);
}

/** The window of a {@link SsimVariant} (the one lookup). */
function windowOf(variant: SsimVariant): SsimWindow {
  switch (variant) {
    case 'uniform7':
      return { taps: new Array<number>(7).fill(1 / 7), covNorm: 49 / 48, fromZero: true };
    case 'gaussian11':
      return { taps: gaussianTaps(11, SIGMA), covNorm: 1, fromZero: true };
    case 'gaussian11-pm1':
      return { taps: gaussianTaps(11, SIGMA), covNorm: 1, fromZero: false };
    default:
      return assertNever(variant, 'variant');
  }
}

/** Side of the window of `variant` (7 or 11): images must be at least this high and wide. */
export const ssimWindowSize = (variant: SsimVariant): number => windowOf(variant).taps.length;

/**
 * Structural similarity (SSIM, Wang et al. 2004) per image, averaged over channels, in one of the
 * {@link SsimVariant}s (default `'uniform7'`: scikit-image's `structural_similarity(a, b,
 * channel_axis=-1)` of the 8-bit images).
 *
 * Edges: the SSIM map is computed only where the whole window fits in the image ('valid' filtering)
 * and averaged there, which equals scikit-image's reflect-padded filtering followed by cropping
 * `(win - 1) / 2` pixels off the map. Computed in float32 with each plane centred on its mean first
 * (variances are shift-invariant), so 8-bit images agree with scikit-image's float64 within 1e-4.
 *
 * @param a Batched images, NHWC `[n, h, w, c]`, `h, w >=` the window side (7 or 11).
 * @param b Images of the same shape.
 * @param options The value range (default `'[-1,1]'`) and the variant (default `'uniform7'`).
 * @returns A `[n]` tensor of values in [-1, 1], 1 for identical images (the caller disposes it).
 */
export function ssim(a: tf.Tensor4D, b: tf.Tensor4D, options: SsimOptions = {}): tf.Tensor1D {
  checkKeys(options, SSIM_KEYS, 'ssim');
  checkImagePair(a, b, 'ssim');
  const { low, dataRange: r } = rangeBounds(options.range ?? '[-1,1]');
  const variant = options.variant ?? 'uniform7';
  checkOneOf(variant, 'ssim variant', SSIM_VARIANTS);
  const win = windowOf(variant);
  const size = win.taps.length;
  const [n, h, w, c] = a.shape;
  check(h >= size && w >= size, `ssim (${variant}): image height and width`, `>= ${size} (the window size)`, [h, w]);
  const shift = win.fromZero ? low : 0;
  const c1 = (K1 * r) ** 2;
  const c2 = (K2 * r) ** 2;
  return tf.tidy(() => {
    // One single-channel image per (image, channel): [n*c, h, w, 1], centred on its own mean.
    const planes = (t: tf.Tensor4D) => tf.reshape(tf.transpose(tf.cast(t, 'float32'), [0, 3, 1, 2]), [n * c, h, w, 1]) as tf.Tensor4D;
    const x = planes(a);
    const y = planes(b);
    const mx = tf.mean(x, [1, 2, 3], true);
    const my = tf.mean(y, [1, 2, 3], true);
    const xc = tf.sub(x, mx);
    const yc = tf.sub(y, my);
    // The five quantities the window averages, as channels: x, y, x^2, y^2, xy (of the centred planes).
    const stacked = tf.concat([xc, yc, tf.mul(xc, xc), tf.mul(yc, yc), tf.mul(xc, yc)], 3) as tf.Tensor4D;
    const col = tf.tile(tf.reshape(tf.tensor1d(win.taps), [size, 1, 1, 1]), [1, 1, 5, 1]) as tf.Tensor4D;
    const row = tf.tile(tf.reshape(tf.tensor1d(win.taps), [1, size, 1, 1]), [1, 1, 5, 1]) as tf.Tensor4D;
    const filtered = tf.depthwiseConv2d(tf.depthwiseConv2d(stacked, col, 1, 'valid'), row, 1, 'valid');
    const [fx, fy, fxx, fyy, fxy] = tf.split(filtered, 5, 3);
    const vx = tf.mul(win.covNorm, tf.sub(fxx!, tf.mul(fx!, fx!)));
    const vy = tf.mul(win.covNorm, tf.sub(fyy!, tf.mul(fy!, fy!)));
    const vxy = tf.mul(win.covNorm, tf.sub(fxy!, tf.mul(fx!, fy!)));
    const ux = tf.add(fx!, tf.sub(mx, shift));
    const uy = tf.add(fy!, tf.sub(my, shift));
    const uxuy = tf.mul(ux, uy);
    const num = tf.mul(tf.add(tf.mul(2, uxuy), c1), tf.add(tf.mul(2, vxy), c2));
    const den = tf.mul(tf.add(tf.add(tf.mul(ux, ux), tf.mul(uy, uy)), c1), tf.add(tf.add(vx, vy), c2));
    const map = tf.div(num, den); // [n*c, h-size+1, w-size+1, 1]
    return tf.mean(tf.reshape(map, [n, -1]), 1) as tf.Tensor1D;
  });
}
