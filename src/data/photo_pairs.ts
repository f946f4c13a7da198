/**
 * Paired examples made from plain photos, for `make-dataset --from`: each photo is resized (shorter side
 * to `loadSize`), cut into `cropSize` squares, and each square becomes an A|B image whose B is the photo
 * and whose A is made from it: its Canny edges, its gray version, or its Lab L channel (colorization).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, deriveSeed } from '../util/random.js';
import { check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';
import { canny, type CannyOptions } from './canny.js';
import { convertChannels, imageToTensor, tensorToImage, to8Bit, type ImageLike, type RawImage } from './image.js';
import { lightnessToGray, rgbToLab } from './lab.js';
import { joinAB } from './split.js';

/**
 * What the A side of a photo pair is:
 * - `'edges'`: Canny edges of the photo's gray version (BT.601 luma), black lines on white, as the
 *   paper's edges -> photo data sets draw them;
 * - `'grayscale'`: the photo's gray version (BT.601 luma), as RGB;
 * - `'colorization'`: the photo's CIE Lab L channel shown as the neutral gray of that lightness, the input the
 *   colorization mode (`train --model colorization`) computes from the photo itself.
 */
export type PhotoTask = 'edges' | 'grayscale' | 'colorization';

/** Every {@link PhotoTask}; the first is the default. */
export const PHOTO_TASKS: readonly PhotoTask[] = ['edges', 'grayscale', 'colorization'];

/** Options of {@link photoPairs}. */
export interface PhotoPairOptions {
  /** What A is (see {@link PhotoTask}). Default `'edges'`. */
  task?: PhotoTask;
  /** The photo's shorter side is scaled to this many pixels first (area-averaged when shrinking). Default 256. */
  loadSize?: number;
  /** Side of the square crops, <= `loadSize`; each pair is `2 * cropSize` x `cropSize`. Default `loadSize`. */
  cropSize?: number;
  /**
   * Crops per photo: 1 takes the centre square; more take squares at random places (seeded by `seed`
   * and the photo's index). Default 1.
   */
  crops?: number;
  /** Seed of the random crop places. Default 0. */
  seed?: number;
  /** Canny settings of the `'edges'` task (skimage's defaults: sigma 1, thresholds 0.1 / 0.2). */
  canny?: CannyOptions;
}

/** The defaults of {@link PhotoPairOptions} (`cropSize` defaults to the `loadSize` used). */
export const PHOTO_PAIR_DEFAULTS = {
  /** What A is made from the photo. */
  task: 'edges',
  /** The photo's shorter side after resizing, in pixels. */
  loadSize: 256,
  /** Crops per photo (1: the centre square). */
  crops: 1,
  /** Seed of the crop places (and of make-dataset's split). */
  seed: 0,
} as const;

const PHOTO_PAIR_KEYS = ['task', 'loadSize', 'cropSize', 'crops', 'seed', 'canny'] as const;

/**
 * Scales an image so that its shorter side is `size` pixels (the other side rounded): first by whole-pixel
 * block averages while it is more than twice too large (no aliasing on big photos), then bilinearly.
 * Returns 8-bit images; uses tfjs ops on the current backend.
 */
export function resizeShorterSide(image: ImageLike, size: number): RawImage {
  checkInt(size, 'size', 1);
  let img = to8Bit(image);
  const scale = size / Math.min(img.width, img.height);
  const h = Math.max(1, Math.round(img.height * scale));
  const w = Math.max(1, Math.round(img.width * scale));
  const k = Math.floor(1 / scale); // blocks of k x k keep the image at least `size` on its shorter side
  if (k >= 2) img = boxDownsample(img, k);
  if (img.width === w && img.height === h) return img;
  const t = imageToTensor(img);
  const r = tf.image.resizeBilinear(t, [h, w], false, true);
  try {
    return tensorToImage(r);
  } finally {
    tf.dispose([t, r]);
  }
}

/** Averages `k` x `k` blocks (the last partial row and column of blocks are dropped). */
function boxDownsample(img: RawImage, k: number): RawImage {
  const w = Math.floor(img.width / k);
  const h = Math.floor(img.height / k);
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  const sums = new Float64Array(w * c);
  for (let y = 0; y < h; y++) {
    sums.fill(0);
    for (let dy = 0; dy < k; dy++) {
      const row = (y * k + dy) * img.width * c;
      for (let x = 0; x < w * k; x++) for (let ch = 0; ch < c; ch++) sums[Math.floor(x / k) * c + ch] += img.data[row + x * c + ch]!;
    }
    for (let i = 0; i < w * c; i++) out[y * w * c + i] = Math.round(sums[i]! / (k * k));
  }
  return { width: w, height: h, channels: c, data: out };
}

/** The `size` x `size` square of `img` at `(x, y)`. */
function cropSquare(img: RawImage, x: number, y: number, size: number): RawImage {
  const c = img.channels;
  const out = new Uint8Array(size * size * c);
  for (let r = 0; r < size; r++) out.set(img.data.subarray(((y + r) * img.width + x) * c, ((y + r) * img.width + x + size) * c), r * size * c);
  return { width: size, height: size, channels: c, data: out };
}

/** A one-channel 8-bit image as RGB. */
const grayToRgb = (values: Uint8Array, width: number, height: number): RawImage => convertChannels({ width, height, channels: 1, data: values }, 3);

/** How each task makes A from an RGB 8-bit crop. */
const MAKE_A: Record<PhotoTask, (rgb: RawImage, o: PhotoPairOptions) => RawImage> = {
  edges: (rgb, o) => {
    const gray = convertChannels(rgb, 1);
    const edges = canny(Float64Array.from(gray.data, (v) => v / 255), rgb.width, rgb.height, o.canny ?? {});
    return grayToRgb(edges.map((e) => (e ? 0 : 255)), rgb.width, rgb.height);
  },
  grayscale: (rgb) => convertChannels(convertChannels(rgb, 1), 3),
  colorization: (rgb) => {
    const lab = rgbToLab(Float64Array.from(rgb.data, (v) => v / 255));
    const gray = new Uint8Array(rgb.width * rgb.height).map((_, p) => Math.round(lightnessToGray(lab[3 * p]!) * 255));
    return grayToRgb(gray, rgb.width, rgb.height);
  },
};

/**
 * The A|B pairs of one photo (see {@link PhotoPairOptions}): the photo (any channels; alpha dropped, gray
 * made RGB) is scaled to `loadSize` on its shorter side, cut into `crops` squares of `cropSize`, and each
 * square B gets its A by `task`; each result is `2 * cropSize` x `cropSize`, A left, B right.
 *
 * @param photo - The photo.
 * @param index - The photo's index in its data set (seeds its random crop places).
 * @param options - See {@link PhotoPairOptions}.
 * @throws RangeError quoting the value for bad options (`cropSize > loadSize`, an unknown task).
 */
export function photoPairs(photo: ImageLike, index: number, options: PhotoPairOptions = {}): RawImage[] {
  checkKeys(options, PHOTO_PAIR_KEYS, 'photoPairs');
  const task = options.task ?? PHOTO_PAIR_DEFAULTS.task;
  checkOneOf(task, 'task', PHOTO_TASKS);
  const loadSize = options.loadSize ?? PHOTO_PAIR_DEFAULTS.loadSize;
  checkInt(loadSize, 'loadSize', 1);
  const cropSize = options.cropSize ?? loadSize;
  checkInt(cropSize, 'cropSize', 1);
  check(cropSize <= loadSize, 'cropSize', `<= loadSize = ${loadSize}`, cropSize);
  const crops = options.crops ?? PHOTO_PAIR_DEFAULTS.crops;
  checkInt(crops, 'crops', 1);
  const rgb = resizeShorterSide(convertChannels(to8Bit(photo), 3), loadSize);
  const maxX = rgb.width - cropSize;
  const maxY = rgb.height - cropSize;
  const rng = new Rng(deriveSeed(options.seed ?? PHOTO_PAIR_DEFAULTS.seed, 'photo crops', index));
  const out: RawImage[] = [];
  for (let k = 0; k < crops; k++) {
    const [x, y] = crops === 1 ? [Math.floor(maxX / 2), Math.floor(maxY / 2)] : [rng.int(maxX + 1), rng.int(maxY + 1)];
    const b = cropSquare(rgb, x, y, cropSize);
    out.push(joinAB(MAKE_A[task](b, options), b));
  }
  return out;
}
