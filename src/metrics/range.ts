import * as tf from '@tensorflow/tfjs-core';
import { assertNever, check, checkOneOf } from '../util/validate.js';

/**
 * The value range images are in: `'[-1,1]'` (what generators output and the Trainer consumes),
 * `'[0,1]'`, or `'[0,255]'` (8-bit values as floats). It sets the data range `R` that PSNR and SSIM use
 * (2, 1 or 255).
 */
export type PixelRange = '[-1,1]' | '[0,1]' | '[0,255]';

/** Options shared by the image metrics. */
export interface ImageMetricOptions {
  /**
   * Value range of both images, which fixes the data range `R` of PSNR and SSIM (2 for `'[-1,1]'`,
   * 1 for `'[0,1]'`, 255 for `'[0,255]'`). L1 and L2 are reported in the images' own units and ignore it.
   * Default `'[-1,1]'`.
   */
  range?: PixelRange;
}

const RANGES: readonly PixelRange[] = ['[-1,1]', '[0,1]', '[0,255]'];

/** Every key of {@link ImageMetricOptions}. @internal */
export const IMAGE_METRIC_KEYS: readonly string[] = ['range'];

/** The lowest value and the data range `R` (max - min) of a {@link PixelRange}. @internal */
export function rangeBounds(range: PixelRange): { low: number; dataRange: number } {
  checkOneOf(range, 'range', RANGES);
  switch (range) {
    case '[-1,1]':
      return { low: -1, dataRange: 2 };
    case '[0,1]':
      return { low: 0, dataRange: 1 };
    case '[0,255]':
      return { low: 0, dataRange: 255 };
    default:
      return assertNever(range, 'range');
  }
}

/** The data range `R` (max - min) of a {@link PixelRange}. @internal */
export const dataRangeOf = (range: PixelRange): number => rangeBounds(range).dataRange;

/** Checks that `a` and `b` are batched NHWC images of one shape. @internal */
export function checkImagePair(a: tf.Tensor, b: tf.Tensor, what: string): void {
  check(a.rank === 4, `${what}: images`, 'rank-4 NHWC tensors', a.shape);
  check(
    a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]),
    `${what}: both images`,
    `of the same shape ${JSON.stringify(a.shape)}`,
    b.shape,
  );
}
