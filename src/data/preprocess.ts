/**
 * The PyTorch reference's preprocessing (`data/base_dataset.py`: `get_params`, `get_transform`), under its
 * names: the geometry of each mode (resize, crop box range, scale-width rule, rounding to a divisor) and
 * its application to an A/B pair with one crop box and one flip for both.
 */
import type { ImagePairHalves } from './split.js';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/random.js';
import { assertNever, check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';

/**
 * How a training pair is brought to the network's size (the reference's `--preprocess`):
 * - `'resize_and_crop'`: resize to `loadSize` x `loadSize`, random `cropSize` crop (the paper: 286, 256).
 * - `'crop'`: random `cropSize` crop of the image as it is.
 * - `'scale_width'`: width to `loadSize`, height `max(loadSize * h / w, cropSize)` (kept as is when the width
 *   already is `loadSize` and the height >= `cropSize`); sizes vary with the aspect.
 * - `'scale_width_and_crop'`: scale width as above, then a random `cropSize` crop whose box is drawn from
 *   `(loadSize, floor(loadSize * h / w))`.
 * - `'none'`: keep the size, rounded to multiples of the generator's divisor (the reference rounds to 4).
 */
export type PreprocessMode = 'resize_and_crop' | 'crop' | 'scale_width' | 'scale_width_and_crop' | 'none';

/** Every {@link PreprocessMode}; the first is the default. */
export const PREPROCESS_MODES: readonly PreprocessMode[] = ['resize_and_crop', 'crop', 'scale_width', 'scale_width_and_crop', 'none'];

/**
 * The paper's load size for an image size: `round(imageSize * 286 / 256)` (286 for 256, 143 for 128,
 * 36 for 32). Images are resized to it before the random crop back to `imageSize`.
 */
export function defaultLoadSize(imageSize: number): number {
  return Math.round((imageSize * 286) / 256);
}

/** One draw of the training jitter, applied identically to A and B (the reference's `get_params`). */
export interface Jitter {
  /** Left edge of the crop box in the resized image. */
  x: number;
  /** Top edge of the crop box. */
  y: number;
  /** Whether the result is mirrored left-right. */
  flip: boolean;
}

/** The sizes of a preprocessing mode (everything but the randomness). */
export interface PreprocessSizes {
  /** The mode. Default `'resize_and_crop'`. */
  preprocess?: PreprocessMode;
  /** Resize target of `resize_and_crop`, target width of the `scale_width` modes. Default `defaultLoadSize(cropSize)`. */
  loadSize?: number;
  /** Side of the square crop of the crop modes. Default 256. */
  cropSize?: number;
  /** `'none'` rounds H and W to multiples of it (the generator's divisor; the reference uses 4). Default 4. */
  divisor?: number;
}

/** What {@link preprocessPlan} decides for one image size. `[h, w]` pairs throughout. */
export interface PreprocessPlan {
  /** Size after the resize step (equal to the input size when nothing is resized). */
  resized: [number, number];
  /** Largest crop box corner `[y, x]` (boxes are drawn uniformly in `[0, max]`), or null when nothing is cropped. */
  cropMax: [number, number] | null;
  /** Size of the result. */
  output: [number, number];
  /** True when `'none'` changed the size to fit the divisor (the reference warns once). */
  rounded: boolean;
}

/** Python's `round` (half to even), as the reference's `__make_power_2` uses. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Validates {@link PreprocessSizes} and fills in defaults. @internal */
export function resolvePreprocessSizes(s: PreprocessSizes): Required<PreprocessSizes> {
  const preprocess = s.preprocess ?? 'resize_and_crop';
  checkOneOf(preprocess, 'preprocess', PREPROCESS_MODES);
  const cropSize = s.cropSize ?? 256;
  checkInt(cropSize, 'cropSize', 1);
  const loadSize = s.loadSize ?? defaultLoadSize(cropSize);
  checkInt(loadSize, 'loadSize', 1);
  if (preprocess === 'resize_and_crop' || preprocess === 'scale_width_and_crop') {
    check(loadSize >= cropSize, 'loadSize', `>= cropSize = ${cropSize} for preprocess '${preprocess}'`, loadSize);
  }
  const divisor = s.divisor ?? 4;
  checkInt(divisor, 'divisor', 1);
  return { preprocess, loadSize, cropSize, divisor };
}

/**
 * The reference's geometry for an `[h, w]` image: what is resized to what, where crop boxes may go, and
 * the result's size. `train: false` is test time: `resize_and_crop` resizes straight to `cropSize`, the
 * other crop modes take the centre box.
 * @throws RangeError naming the size when a crop mode gets an image smaller than `cropSize`.
 */
export function preprocessPlan(size: readonly [number, number], sizes: PreprocessSizes = {}, train = true): PreprocessPlan {
  const { preprocess, loadSize, cropSize, divisor } = resolvePreprocessSizes(sizes);
  const [h, w] = size;
  checkInt(h, 'image height', 1);
  checkInt(w, 'image width', 1);
  const crop = (resized: [number, number], box: [number, number]): PreprocessPlan => {
    if (resized[0] < cropSize || resized[1] < cropSize) {
      throw new RangeError(`an image of ${resized[1]}x${resized[0]} (width x height) is smaller than cropSize ${cropSize} for preprocess '${preprocess}'`);
    }
    return { resized, cropMax: [Math.max(0, box[0] - cropSize), Math.max(0, box[1] - cropSize)], output: [cropSize, cropSize], rounded: false };
  };
  const scaleWidth = (): [number, number] =>
    w === loadSize && h >= cropSize ? [h, w] : [Math.floor(Math.max((loadSize * h) / w, cropSize)), loadSize];
  switch (preprocess) {
    case 'resize_and_crop':
      if (!train) return { resized: [cropSize, cropSize], cropMax: null, output: [cropSize, cropSize], rounded: false };
      return crop([loadSize, loadSize], [loadSize, loadSize]);
    case 'crop':
      return crop([h, w], [h, w]);
    case 'scale_width': {
      const r = scaleWidth();
      return { resized: r, cropMax: null, output: r, rounded: false };
    }
    case 'scale_width_and_crop':
      return crop(scaleWidth(), [Math.floor((loadSize * h) / w), loadSize]);
    case 'none': {
      const r: [number, number] = [Math.max(divisor, roundHalfEven(h / divisor) * divisor), Math.max(divisor, roundHalfEven(w / divisor) * divisor)];
      return { resized: r, cropMax: null, output: r, rounded: r[0] !== h || r[1] !== w };
    }
    default:
      return assertNever(preprocess, 'preprocess');
  }
}

/**
 * Draws the crop box corner uniformly in `[0, cropMax]` (both ends included, as the reference's
 * `random.randint`) and a fair coin for the flip (never when `flip` is false). Test time (`train: false`)
 * takes the centre box and no flip.
 */
export function drawJitter(rng: Rng, plan: PreprocessPlan, flip = true, train = true): Jitter {
  const [my, mx] = plan.cropMax ?? [0, 0];
  if (!train) return { x: Math.floor(mx / 2), y: Math.floor(my / 2), flip: false };
  const x = rng.int(mx + 1);
  const y = rng.int(my + 1);
  return { x, y, flip: flip && rng.next() < 0.5 };
}

/** Options of {@link preprocessPair}. */
export interface PreprocessOptions extends PreprocessSizes {
  /** Alias of `cropSize` (the name of earlier versions). */
  imageSize?: number;
  /**
   * The crop box and flip for this pair (see {@link drawJitter}), or `null` for test time: no flip, the
   * centre box (and `resize_and_crop` resizes straight to `cropSize`). Default `null`.
   */
  jitter?: Jitter | null;
}

const PREPROCESS_OPTION_KEYS = ['preprocess', 'loadSize', 'cropSize', 'divisor', 'imageSize', 'jitter'] as const;

/** Resizes an HWC image tensor (bilinear; returns the input when already that size). */
function resizeTo(t: tf.Tensor3D, [h, w]: readonly [number, number]): tf.Tensor3D {
  if (t.shape[0] === h && t.shape[1] === w) return t;
  return tf.image.resizeBilinear(t, [h, w], false, true);
}

/**
 * The reference's preprocessing of one pair: both images get the same resize, the same crop box and the
 * same flip (resizes are bilinear where the reference's are bicubic). A and B must have the same size
 * except under `resize_and_crop`, which resizes both to a square. Inputs are `[h, w, c]` tensors (any
 * channel counts); it does not dispose them.
 * @throws RangeError when A and B differ in size where that matters, or an image is too small to crop.
 */
export function preprocessPair(a: tf.Tensor3D, b: tf.Tensor3D, options: PreprocessOptions = {}): ImagePairHalves<tf.Tensor3D> {
  checkKeys(options, PREPROCESS_OPTION_KEYS, 'preprocessPair');
  const sizes: PreprocessSizes = { ...options, cropSize: options.cropSize ?? options.imageSize };
  delete (sizes as PreprocessOptions).imageSize;
  delete (sizes as PreprocessOptions).jitter;
  const jitter = options.jitter ?? null;
  const train = jitter !== null;
  const mode = sizes.preprocess ?? 'resize_and_crop';
  const sizeA: [number, number] = [a.shape[0], a.shape[1]];
  if (mode !== 'resize_and_crop' && (b.shape[0] !== a.shape[0] || b.shape[1] !== a.shape[1])) {
    throw new RangeError(
      `A is ${a.shape[1]}x${a.shape[0]} but B is ${b.shape[1]}x${b.shape[0]} (width x height): preprocess '${mode}' needs A and B of one size`,
    );
  }
  const plan = preprocessPlan(sizeA, sizes, train);
  const box = jitter ?? drawJitter(new Rng(0), plan, false, false);
  const [ch, cw] = plan.output;
  if (plan.cropMax !== null) {
    check(box.x >= 0 && box.y >= 0 && box.x <= plan.cropMax[1] && box.y <= plan.cropMax[0], 'jitter crop corner', `within [0, ${plan.cropMax[1]}] x [0, ${plan.cropMax[0]}]`, box);
  }
  return tf.tidy(() => {
    const one = (t: tf.Tensor3D): tf.Tensor3D => {
      let r = resizeTo(t, plan.resized);
      if (plan.cropMax !== null) r = tf.slice(r, [box.y, box.x, 0], [ch, cw, -1]);
      return box.flip ? (tf.reverse(r, 1) as tf.Tensor3D) : r;
    };
    return { a: one(a), b: one(b) };
  });
}
