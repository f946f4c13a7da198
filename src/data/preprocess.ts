import type { ImagePairHalves } from './split.js';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/random.js';
import { check, checkInt } from '../util/validate.js';

/**
 * The paper's load size for an image size: `round(imageSize * 286 / 256)` (286 for 256, 143 for 128,
 * 36 for 32). Images are resized to it before the random crop back to `imageSize`.
 */
export function defaultLoadSize(imageSize: number): number {
  return Math.round((imageSize * 286) / 256);
}

/** One draw of the training jitter, applied identically to A and B. */
export interface Jitter {
  /** Left edge of the crop in the `loadSize` x `loadSize` resized image. */
  x: number;
  /** Top edge of the crop. */
  y: number;
  /** Whether the crop is mirrored left-right. */
  flip: boolean;
}

/**
 * Draws a random crop position in `[0, loadSize - imageSize]` and a fair coin for the horizontal flip
 * (no flip when `flip` is false).
 */
export function drawJitter(rng: Rng, loadSize: number, imageSize: number, flip = true): Jitter {
  const range = loadSize - imageSize + 1;
  const x = rng.int(range);
  const y = rng.int(range);
  return { x, y, flip: flip && rng.next() < 0.5 };
}

/** Options of {@link preprocessPair}. */
export interface PreprocessOptions {
  /** Output width and height. Default 256. */
  imageSize?: number;
  /** Size images are resized to before the random crop. Default `defaultLoadSize(imageSize)` (286 for 256). */
  loadSize?: number;
  /**
   * The crop and flip for this pair (see {@link drawJitter}), or `null` for evaluation: resize straight
   * to `imageSize`, no crop, no flip. Default `null`.
   */
  jitter?: Jitter | null;
}

/** Resizes an HWC image tensor to a square of `size` (bilinear; returns the input when already that size). */
function resizeSquare(t: tf.Tensor3D, size: number): tf.Tensor3D {
  const [h, w] = t.shape;
  if (h === size && w === size) return t;
  return tf.image.resizeBilinear(t, [size, size], false, true);
}

/**
 * The paper's preprocessing of one training pair: both images resized to `loadSize`, the same random
 * `imageSize` crop taken from both, both flipped left-right or neither. With `jitter: null`
 * (evaluation) both are resized to `imageSize`. A and B may differ in size and channel count.
 * Inputs are `[h, w, c]` tensors; it does not dispose them.
 */
export function preprocessPair(a: tf.Tensor3D, b: tf.Tensor3D, options: PreprocessOptions = {}): ImagePairHalves<tf.Tensor3D> {
  const imageSize = options.imageSize ?? 256;
  const loadSize = options.loadSize ?? defaultLoadSize(imageSize);
  const jitter = options.jitter ?? null;
  checkInt(imageSize, 'imageSize', 1);
  checkInt(loadSize, 'loadSize', imageSize);
  return tf.tidy(() => {
    const one = (t: tf.Tensor3D): tf.Tensor3D => {
      if (jitter === null) return resizeSquare(t, imageSize);
      check(jitter.x >= 0 && jitter.y >= 0 && jitter.x + imageSize <= loadSize && jitter.y + imageSize <= loadSize, 'jitter crop', `inside ${loadSize}x${loadSize}`, jitter);
      const big = resizeSquare(t, loadSize);
      const crop = tf.slice(big, [jitter.y, jitter.x, 0], [imageSize, imageSize, -1]) as tf.Tensor3D;
      return jitter.flip ? (tf.reverse(crop, 1) as tf.Tensor3D) : crop;
    };
    return { a: one(a), b: one(b) };
  });
}
