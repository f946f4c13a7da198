/**
 * The reference's colorization mode (`--model colorization`, `--dataset_mode colorization`): a photo in
 * CIE Lab, the generator's input is its L channel scaled to [-1, 1] (`L / 50 - 1`, 1 channel) and its
 * target the a and b channels scaled by 1/110 (2 channels); outputs become RGB again with L from the
 * input. Owns the data set modes' names and the tensor <-> Lab conversions (Lab itself: ./lab.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { translateImage, type TranslateImageOptions } from '../generator/translate_image.js';
import { convertChannels, imageToTensor, type ImageLike, type RawImage } from './image.js';
import { LAB_SCALE, labToRgb, lightnessToGray, rgbToLab } from './lab.js';

/**
 * How pairs become network inputs and targets (the reference's `--dataset_mode`): `'aligned'` feeds A
 * and B as images (pix2pix); `'colorization'` reads the photo (the B side with AtoB) and feeds its L
 * channel to predict its ab channels (in 1 channel, out 2).
 */
export type DatasetMode = 'aligned' | 'colorization';

/** Every {@link DatasetMode}; the first is the default. */
export const DATASET_MODES: readonly DatasetMode[] = ['aligned', 'colorization'];

/** Generator channels of the colorization mode: L in, ab out (the reference's `input_nc 1`, `output_nc 2`). */
export const COLORIZATION_CHANNELS = {
  /** The generator's input channels: L. */
  input: 1,
  /** The generator's output channels: a and b. */
  output: 2,
} as const;

/**
 * An RGB `[h, w, 3]` tensor in [-1, 1] as the colorization pair: `l` `[h, w, 1]` = `L / 50 - 1` and `ab`
 * `[h, w, 2]` = `ab / 110`. Reads the tensor synchronously; does not dispose it.
 */
export function rgbTensorToLab(rgb: tf.Tensor3D): {
  /** `[h, w, 1]`: `L / 50 - 1`. */
  l: tf.Tensor3D;
  /** `[h, w, 2]`: `ab / 110`. */
  ab: tf.Tensor3D;
} {
  const [h, w, c] = rgb.shape;
  if (c !== 3) throw new RangeError(`colorization needs RGB images (got ${c} channels)`);
  const v = rgb.dataSync();
  const unit = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) unit[i] = Math.min(1, Math.max(0, (v[i]! + 1) / 2));
  const lab = rgbToLab(unit);
  const n = h * w;
  const l = new Float32Array(n);
  const ab = new Float32Array(2 * n);
  for (let p = 0; p < n; p++) {
    l[p] = lab[3 * p]! / LAB_SCALE.lHalf - 1;
    ab[2 * p] = lab[3 * p + 1]! / LAB_SCALE.ab;
    ab[2 * p + 1] = lab[3 * p + 2]! / LAB_SCALE.ab;
  }
  return { l: tf.tensor3d(l, [h, w, 1]), ab: tf.tensor3d(ab, [h, w, 2]) };
}

/** Interleaved RGB in [0, 1] from scaled L (`L / 50 - 1`) and ab (`ab / 110`) values, `n` pixels. */
function scaledLabToRgb(l: ArrayLike<number>, ab: ArrayLike<number>, n: number): Float64Array {
  const lab = new Float64Array(3 * n);
  for (let p = 0; p < n; p++) {
    lab[3 * p] = (l[p]! + 1) * LAB_SCALE.lHalf;
    lab[3 * p + 1] = ab[2 * p]! * LAB_SCALE.ab;
    lab[3 * p + 2] = ab[2 * p + 1]! * LAB_SCALE.ab;
  }
  return labToRgb(lab);
}

/**
 * RGB batches `[n, h, w, 3]` in [-1, 1] from colorization batches: `l` `[n, h, w, 1]` (`L / 50 - 1`) and
 * `ab` `[n, h, w, 2]` (`ab / 110`, e.g. a generator's output), through {@link labToRgb}. For sample grids
 * and metrics. Reads both synchronously; disposes neither.
 */
export function labBatchToRgb(l: tf.Tensor4D, ab: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w] = l.shape;
  if (l.shape[3] !== 1 || ab.shape[3] !== 2 || ab.shape[0] !== n || ab.shape[1] !== h || ab.shape[2] !== w) {
    throw new RangeError(`labBatchToRgb: expected L [n, h, w, 1] and ab [n, h, w, 2] (got [${l.shape.join(', ')}] and [${ab.shape.join(', ')}])`);
  }
  const rgb = scaledLabToRgb(l.dataSync(), ab.dataSync(), n * h * w);
  return tf.tensor4d(Float32Array.from(rgb, (v) => 2 * v - 1), [n, h, w, 3]);
}

/** An 8-bit RGB image from Lab values in [0, 1] RGB (rounded). */
const rgb8 = (rgb: Float64Array, width: number, height: number): RawImage => ({ width, height, channels: 3, data: Uint8Array.from(rgb, (v) => Math.round(v * 255)) });

/** What {@link colorizeImage} returns: the input as the network saw it and the coloured output. */
export interface ColorizedImage {
  /** The L channel of the input, shown as an 8-bit RGB gray image (the neutral gray of each lightness). */
  input: RawImage;
  /** The output: L of the input with the predicted ab, as an 8-bit RGB image. */
  output: RawImage;
}

/**
 * Colours one image with a colorization generator (1 channel in, 2 out): the image (any channels; gray
 * or colour) goes to Lab, its L channel (`L / 50 - 1`) through `translateImage` (any size, tiles, paper
 * or inference mode), and the predicted ab (times 110) with the input's L back to RGB. With
 * `options.resize` the image is resized (bilinear) before its L is taken.
 *
 * @param generator - A generator with 1 input and 2 output channels.
 * @param image - The image to colour.
 * @param options - `translateImage`'s options.
 * @throws RangeError when the generator does not map 1 channel to 2.
 */
export function colorizeImage(generator: tfl.LayersModel, image: ImageLike, options: Omit<TranslateImageOptions, 'engine'> = {}): ColorizedImage {
  const inC = generator.inputs[0]?.shape[3];
  const outC = generator.outputs[0]?.shape[3];
  if (inC !== COLORIZATION_CHANNELS.input || outC !== COLORIZATION_CHANNELS.output) {
    throw new RangeError(`colorization needs a generator with 1 input channel (L) and 2 output channels (ab) (got ${inC} -> ${outC})`);
  }
  const { resize, ...rest } = options;
  const rgb = tf.tidy(() => {
    const t = imageToTensor(convertChannels(image, 3));
    return resize ? (tf.image.resizeBilinear(t, [resize[1], resize[0]], false, true) as tf.Tensor3D) : t;
  });
  const { l, ab } = rgbTensorToLab(rgb);
  rgb.dispose();
  ab.dispose();
  let y: tf.Tensor3D;
  try {
    y = translateImage(generator, l, rest);
  } catch (e) {
    l.dispose();
    throw e;
  }
  const [h, w] = l.shape;
  const lv = l.dataSync();
  const out = scaledLabToRgb(lv, y.dataSync(), h * w);
  const gray = new Float64Array(3 * h * w);
  for (let p = 0; p < h * w; p++) gray[3 * p] = gray[3 * p + 1] = gray[3 * p + 2] = lightnessToGray((lv[p]! + 1) * LAB_SCALE.lHalf);
  tf.dispose([l, y]);
  return { input: rgb8(gray, w, h), output: rgb8(out, w, h) };
}
