/**
 * Images in memory (8- or 16-bit, any channel count) and their conversion to and from the [-1, 1] tensors
 * the networks take: channel conversion, stacking of aligned images into more channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { check } from '../util/validate.js';

/**
 * An image in memory, row-major with interleaved channels, like the browser's `ImageData` (which is
 * RGBA) but with any channel count and 8 or 16 bits per value. Anything with `width`, `height` and `data`
 * whose length is `width * height * channels` qualifies; `channels` is then inferred.
 */
export interface ImageLike {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixel values, `channels` per pixel: 0..255, or 0..65535 when `bitDepth` is 16. */
  data: Uint8Array | Uint8ClampedArray | Uint16Array | ArrayLike<number>;
  /**
   * Values per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA, more for stacked images (see
   * {@link stackChannels}). Default: `data.length / (width * height)`.
   */
  channels?: number;
  /** Bits per value: 8 (0..255) or 16 (0..65535, e.g. a 16-bit PNG). Default 16 for a `Uint16Array`, else 8. */
  bitDepth?: 8 | 16;
}

/** An {@link ImageLike} with its channel count resolved and its bytes in a `Uint8Array`. */
export interface RawImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Values per pixel: 1, 2, 3 or 4 for one image; more for stacked images. */
  channels: number;
  /** Pixel values, row-major, interleaved: a `Uint16Array` when `bitDepth` is 16. */
  data: Uint8Array | Uint16Array;
  /** Bits per value. Default 8. */
  bitDepth?: 8 | 16;
}

/** Channel counts conversion produces: grayscale, RGB or RGBA (other counts pass through unchanged). */
export type ImageChannels = 1 | 3 | 4;

/** Largest value of an image's bit depth: 255 or 65535. */
export function maxValue(image: Pick<ImageLike, 'bitDepth' | 'data'>): number {
  return (image.bitDepth ?? (image.data instanceof Uint16Array ? 16 : 8)) === 16 ? 65535 : 255;
}

/** A zeroed value array of the image's kind (8- or 16-bit). */
export function allocLike(image: RawImage, length: number): Uint8Array | Uint16Array {
  return image.data instanceof Uint16Array ? new Uint16Array(length) : new Uint8Array(length);
}

/**
 * Resolves an {@link ImageLike} into a {@link RawImage}, checking its size.
 * @param image - the image.
 * @param name - what to call the image in errors (a file name, say). Default `'image'`.
 */
export function toRawImage(image: ImageLike, name = 'image'): RawImage {
  const { width, height, data } = image;
  check(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0, `${name}: width and height`, 'positive integers', [width, height]);
  const channels = image.channels ?? data.length / (width * height);
  check(Number.isInteger(channels) && channels >= 1, `${name}: channels`, 'an integer >= 1', channels);
  check(data.length === width * height * channels, `${name}: data.length`, `width * height * channels = ${width * height * channels}`, data.length);
  const bitDepth = image.bitDepth ?? (data instanceof Uint16Array ? 16 : 8);
  check(bitDepth === 8 || bitDepth === 16, `${name}: bitDepth`, '8 or 16', bitDepth);
  if (bitDepth === 16) {
    const values = data instanceof Uint16Array ? data : Uint16Array.from(data as ArrayLike<number>);
    return { width, height, channels, data: values, bitDepth };
  }
  const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>);
  return { width, height, channels, data: bytes };
}

/**
 * Stacks aligned images of one size along channels (e.g. an RGB photo and a 1-channel depth map give 4
 * channels; two RGB images give 6), for inputs or targets with more channels than one image holds.
 * Mixed bit depths are promoted to 16 bits (8-bit v -> v * 257).
 * @param images - the images, in channel order.
 * @param name - what to call the result in errors (file names, say).
 * @throws RangeError naming `name` and the sizes when the images differ in size.
 */
export function stackChannels(images: readonly ImageLike[], name = 'images'): RawImage {
  check(images.length > 0, `${name}: images to stack`, 'at least one', images.length);
  const raws = images.map((im, i) => toRawImage(im, `${name}[${i}]`));
  const { width, height } = raws[0]!;
  for (const r of raws) {
    if (r.width !== width || r.height !== height) {
      throw new RangeError(`${name}: stacked images must have one size (got ${width}x${height} and ${r.width}x${r.height})`);
    }
  }
  if (raws.length === 1) return raws[0]!;
  const deep = raws.some((r) => r.bitDepth === 16);
  const channels = raws.reduce((n, r) => n + r.channels, 0);
  const n = width * height;
  const data = deep ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  let offset = 0;
  for (const r of raws) {
    const scale = deep && r.bitDepth !== 16 ? 257 : 1;
    for (let p = 0; p < n; p++) for (let k = 0; k < r.channels; k++) data[p * channels + offset + k] = r.data[p * r.channels + k]! * scale;
    offset += r.channels;
  }
  return deep ? { width, height, channels, data, bitDepth: 16 } : { width, height, channels, data };
}

/**
 * Converts an image to `channels` channels: colour to gray by ITU-R BT.601 luma (0.299 R + 0.587 G +
 * 0.114 B), gray to colour by replication; alpha is dropped, or added as opaque. An image that already has
 * `channels` (any count) is returned as it is; other conversions need 1 to 4 channels on both sides.
 * @throws RangeError quoting both counts for a conversion from or to more than 4 channels.
 */
export function convertChannels(image: ImageLike, channels: number): RawImage {
  const src = toRawImage(image);
  if (src.channels === channels) return src;
  if (src.channels > 4 || ![1, 3, 4].includes(channels)) {
    throw new RangeError(`cannot convert an image of ${src.channels} channels to ${channels} channels (stack images for more than 4, see stackChannels)`);
  }
  const n = src.width * src.height;
  const out = allocLike(src, n * channels);
  const c = src.channels;
  const d = src.data;
  const opaque = maxValue(src);
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number;
    let a = opaque;
    if (c <= 2) {
      r = g = b = d[i * c]!;
      if (c === 2) a = d[i * c + 1]!;
    } else {
      r = d[i * c]!;
      g = d[i * c + 1]!;
      b = d[i * c + 2]!;
      if (c === 4) a = d[i * c + 3]!;
    }
    if (channels === 1) out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    else {
      out[i * channels] = r;
      out[i * channels + 1] = g;
      out[i * channels + 2] = b;
      if (channels === 4) out[i * channels + 3] = a;
    }
  }
  return src.bitDepth === 16 ? { width: src.width, height: src.height, channels, data: out, bitDepth: 16 } : { width: src.width, height: src.height, channels, data: out };
}

/** An image with 8 bits per value (16-bit values rounded from v / 257); 8-bit images are returned as they are. */
export function to8Bit(image: ImageLike): RawImage {
  const src = toRawImage(image);
  if (src.bitDepth !== 16) return src;
  const out = new Uint8Array(src.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(src.data[i]! / 257);
  return { width: src.width, height: src.height, channels: src.channels, data: out };
}

/**
 * An image as a float32 tensor `[height, width, channels]` with values mapped to [-1, 1]: `v / 127.5 - 1`
 * for 8 bits, `v / 32767.5 - 1` for 16 bits (full precision), the range generators take.
 * @param image - the image.
 * @param channels - convert to this many channels first (see {@link convertChannels}). Default: keep.
 */
export function imageToTensor(image: ImageLike, channels?: number): tf.Tensor3D {
  const raw = channels === undefined ? toRawImage(image) : convertChannels(image, channels);
  const half = maxValue(raw) / 2;
  const f = new Float32Array(raw.data.length);
  for (let i = 0; i < f.length; i++) f[i] = raw.data[i]! / half - 1;
  return tf.tensor3d(f, [raw.height, raw.width, raw.channels]);
}

/**
 * The inverse of {@link imageToTensor}: a `[height, width, channels]` tensor in [-1, 1] (values
 * outside are clipped) to an 8-bit image. Reads the tensor synchronously; does not dispose it.
 */
export function tensorToImage(tensor: tf.Tensor3D): RawImage {
  const [height, width, channels] = tensor.shape;
  const v = tensor.dataSync();
  const data = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = Math.round((v[i]! + 1) * 127.5);
    data[i] = x < 0 ? 0 : x > 255 ? 255 : x;
  }
  return { width, height, channels, data };
}
