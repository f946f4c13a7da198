import type { ImageLike, RawImage } from './image.js';
import { allocLike, toRawImage } from './image.js';

/** The two halves of a pair: `a` (left) and `b` (right). */
export interface ImagePairHalves<T> {
  /** Image A (the left half in the A|B layout). */
  a: T;
  /** Image B (the right half in the A|B layout). */
  b: T;
}

/**
 * Splits a side-by-side A|B image (A on the left half, B on the right: the layout of the public
 * pix2pix data sets) into its two halves, at the middle: halves of any aspect (a 1200x400 image gives two
 * 600x400 halves).
 * @param image - the combined image; its width must be even.
 * @param name - the file name (or other label) quoted in errors. Default `'image'`.
 * @throws RangeError naming `name` when the width is odd.
 */
export function splitAB(image: ImageLike, name = 'image'): ImagePairHalves<RawImage> {
  const src = toRawImage(image, name);
  const { width, height, channels, data } = src;
  if (width % 2 !== 0) {
    throw new RangeError(`${name}: an A|B image must have an even width (got ${width}x${height})`);
  }
  const half = width / 2;
  const a = allocLike(src, half * height * channels);
  const b = allocLike(src, half * height * channels);
  const row = half * channels;
  for (let y = 0; y < height; y++) {
    a.set(data.subarray(y * width * channels, y * width * channels + row), y * row);
    b.set(data.subarray(y * width * channels + row, (y + 1) * width * channels), y * row);
  }
  const depth = src.bitDepth === 16 ? { bitDepth: 16 as const } : {};
  return { a: { width: half, height, channels, data: a, ...depth }, b: { width: half, height, channels, data: b, ...depth } };
}

/** Joins two images of equal height side by side (A left, B right): the inverse of {@link splitAB}. */
export function joinAB(a: ImageLike, b: ImageLike): RawImage {
  const A = toRawImage(a, 'A');
  const B = toRawImage(b, 'B');
  if (A.height !== B.height || A.channels !== B.channels || (A.bitDepth ?? 8) !== (B.bitDepth ?? 8)) {
    throw new RangeError(`joinAB: A and B must have the same height and channels (got ${A.width}x${A.height}x${A.channels} and ${B.width}x${B.height}x${B.channels})`);
  }
  const c = A.channels;
  const width = A.width + B.width;
  const data = allocLike(A, width * A.height * c);
  for (let y = 0; y < A.height; y++) {
    data.set(A.data.subarray(y * A.width * c, (y + 1) * A.width * c), y * width * c);
    data.set(B.data.subarray(y * B.width * c, (y + 1) * B.width * c), (y * width + A.width) * c);
  }
  return { width, height: A.height, channels: c, data, ...(A.bitDepth === 16 ? { bitDepth: 16 as const } : {}) };
}
