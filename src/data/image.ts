import * as tf from '@tensorflow/tfjs-core';
import { check } from '../util/validate.js';

/**
 * An 8-bit image in memory, row-major with interleaved channels, like the browser's `ImageData` (which
 * is RGBA) but with any channel count. Anything with `width`, `height` and `data` whose length is
 * `width * height * channels` qualifies; `channels` is then inferred.
 */
export interface ImageLike {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Pixel bytes, `channels` per pixel. */
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  /** Bytes per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Default: `data.length / (width * height)`. */
  channels?: number;
}

/** An {@link ImageLike} with its channel count resolved and its bytes in a `Uint8Array`. */
export interface RawImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Bytes per pixel: 1, 2, 3 or 4. */
  channels: 1 | 2 | 3 | 4;
  /** Pixel bytes, row-major, interleaved. */
  data: Uint8Array;
}

/** Channel counts the pipeline produces: grayscale, RGB or RGBA. */
export type ImageChannels = 1 | 3 | 4;

/**
 * Resolves an {@link ImageLike} into a {@link RawImage}, checking its size.
 * @param image - the image.
 * @param name - what to call the image in errors (a file name, say). Default `'image'`.
 */
export function toRawImage(image: ImageLike, name = 'image'): RawImage {
  const { width, height, data } = image;
  check(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0, `${name}: width and height`, 'positive integers', [width, height]);
  const channels = image.channels ?? data.length / (width * height);
  check([1, 2, 3, 4].includes(channels), `${name}: channels`, '1, 2, 3 or 4', channels);
  check(data.length === width * height * channels, `${name}: data.length`, `width * height * channels = ${width * height * channels}`, data.length);
  const bytes = data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>);
  return { width, height, channels: channels as RawImage['channels'], data: bytes };
}

/**
 * Converts an image to `channels` channels: colour to gray by ITU-R BT.601 luma (0.299 R + 0.587 G +
 * 0.114 B), gray to colour by replication; alpha is dropped, or added as 255 (opaque).
 */
export function convertChannels(image: ImageLike, channels: ImageChannels): RawImage {
  const src = toRawImage(image);
  if (src.channels === channels) return src;
  const n = src.width * src.height;
  const out = new Uint8Array(n * channels);
  const c = src.channels;
  const d = src.data;
  for (let i = 0; i < n; i++) {
    let r: number, g: number, b: number;
    let a = 255;
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
  return { width: src.width, height: src.height, channels, data: out };
}

/**
 * An image as a float32 tensor `[height, width, channels]` with values mapped from 0..255 to [-1, 1]
 * (`v / 127.5 - 1`), the range generators take.
 * @param image - the image.
 * @param channels - convert to this many channels first (see {@link convertChannels}). Default: keep.
 */
export function imageToTensor(image: ImageLike, channels?: ImageChannels): tf.Tensor3D {
  const raw = channels === undefined ? toRawImage(image) : convertChannels(image, channels);
  const f = new Float32Array(raw.data.length);
  for (let i = 0; i < f.length; i++) f[i] = raw.data[i]! / 127.5 - 1;
  return tf.tensor3d(f, [raw.height, raw.width, raw.channels]);
}

/**
 * The inverse of {@link imageToTensor}: a `[height, width, channels]` tensor in [-1, 1] (values
 * outside are clipped) to an 8-bit image. Reads the tensor synchronously; does not dispose it.
 */
export function tensorToImage(tensor: tf.Tensor3D): RawImage {
  const [height, width, channels] = tensor.shape;
  check([1, 2, 3, 4].includes(channels), 'tensor channels', '1, 2, 3 or 4', channels);
  const v = tensor.dataSync();
  const data = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = Math.round((v[i]! + 1) * 127.5);
    data[i] = x < 0 ? 0 : x > 255 ? 255 : x;
  }
  return { width, height, channels: channels as RawImage['channels'], data };
}
