import * as tf from '@tensorflow/tfjs-core';
import { l1 } from './l1.js';
import { l2 } from './l2.js';
import { psnr } from './psnr.js';
import type { ImageMetricOptions } from './range.js';
import { ssim, type SsimVariant } from './ssim.js';
import { checkKeys } from '../util/validate.js';

/** One metric over a batch: the value of every image and their mean. */
export interface MetricValues {
  /** One value per image, in batch order. */
  perImage: number[];
  /** Mean of `perImage` (for PSNR, `Infinity` if any pair is identical). */
  mean: number;
}

/** The four image metrics of a batch, as plain numbers. */
export interface ImageMetrics {
  /** Mean absolute error (lower is better), in the images' own units. */
  l1: MetricValues;
  /** Mean squared error (lower is better), in the images' own units. */
  l2: MetricValues;
  /** Peak signal-to-noise ratio in dB (higher is better). */
  psnr: MetricValues;
  /** Structural similarity in the variant asked for (default scikit-image's 7x7 uniform window on the images as 8-bit; higher is better, 1 = identical). */
  ssim: MetricValues;
}

/** Options of {@link imageMetrics}. */
export interface ImageMetricsOptions extends ImageMetricOptions {
  /** The SSIM variant (see `SsimVariant`). Default `'uniform7'` (scikit-image's default). */
  ssim?: SsimVariant;
}

async function values(t: tf.Tensor1D): Promise<MetricValues> {
  const perImage = Array.from(await t.data());
  t.dispose();
  return { perImage, mean: perImage.reduce((s, v) => s + v, 0) / perImage.length };
}

/**
 * Computes {@link l1}, {@link l2}, {@link psnr} and {@link ssim} of `a` against `b` and reads them back
 * as numbers (asynchronously, so it does not block a WebGL/WebGPU backend). Disposes everything it
 * creates; the inputs stay owned by the caller.
 *
 * @param a Batched images, NHWC `[n, h, w, c]` (e.g. generated), `h, w >=` the SSIM window (7, or 11).
 * @param b Images of the same shape (e.g. targets).
 * @param options The value range (default `'[-1,1]'`) and the SSIM variant (default `'uniform7'`).
 */
export async function imageMetrics(a: tf.Tensor4D, b: tf.Tensor4D, options: ImageMetricsOptions = {}): Promise<ImageMetrics> {
  checkKeys(options, ['range', 'ssim'], 'imageMetrics');
  const range = options.range === undefined ? {} : { range: options.range };
  const [vl1, vl2, vpsnr, vssim] = [l1(a, b), l2(a, b), psnr(a, b, range), ssim(a, b, { ...range, ...(options.ssim === undefined ? {} : { variant: options.ssim }) })];
  return { l1: await values(vl1), l2: await values(vl2), psnr: await values(vpsnr), ssim: await values(vssim) };
}
