import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { convertChannels, to8Bit, toRawImage, type ImageLike, type RawImage } from '../data/image.js';

/** Image file formats the Node helpers read and write. */
export type ImageFormat = 'png' | 'jpeg';

/** File extensions (lower case, with the dot) treated as images when scanning folders. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** Detects PNG or JPEG from the first bytes, or returns `null`. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/** Bit depth and colour type of a PNG, from its IHDR chunk (bytes 24 and 25). */
function pngDepth(bytes: Uint8Array): { depth: number; colorType: number } {
  return { depth: bytes[24] ?? 8, colorType: bytes[25] ?? 6 };
}

/** A 16-bit PNG at full precision: RGBA values 0..65535 (pngjs `skipRescale`), to gray or RGB when it can. */
function decodePng16(bytes: Uint8Array, colorType: number): RawImage {
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  const v = png.data as unknown as Uint16Array;
  const rgba: RawImage = { width: png.width, height: png.height, channels: 4, data: new Uint16Array(v.buffer, v.byteOffset, v.length), bitDepth: 16 };
  let opaque = true;
  for (let i = 3; i < rgba.data.length && opaque; i += 4) opaque = rgba.data[i] === 65535;
  if (!opaque) return rgba;
  // Gray PNGs (colour type 0) come back as R = G = B: keep one channel, exactly.
  if (colorType === 0) {
    const n = png.width * png.height;
    const gray = new Uint16Array(n);
    for (let p = 0; p < n; p++) gray[p] = rgba.data[p * 4]!;
    return { width: png.width, height: png.height, channels: 1, data: gray, bitDepth: 16 };
  }
  return convertChannels(rgba, 3);
}

/**
 * Decodes PNG (pngjs) or JPEG (jpeg-js) bytes: 8-bit PNGs come back RGBA (RGB when fully opaque), JPEGs
 * RGB; 16-bit PNGs keep their full precision (`bitDepth: 16`, a `Uint16Array`; gray ones as 1 channel).
 * @param bytes - the file contents.
 * @param name - the file name quoted in errors. Default `'image'`.
 * @throws Error naming `name` when the bytes are not a PNG or JPEG image, or are corrupt.
 */
export function decodeImage(bytes: Uint8Array, name = 'image'): RawImage {
  const format = sniffImageFormat(bytes);
  if (format === null) throw new Error(`${name}: not a PNG or JPEG image`);
  try {
    if (format === 'png') {
      const { depth, colorType } = pngDepth(bytes);
      if (depth === 16) return decodePng16(bytes, colorType);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const rgba: RawImage = { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
      for (let i = 3; i < rgba.data.length; i += 4) if (rgba.data[i] !== 255) return rgba;
      return convertChannels(rgba, 3);
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
    return toRawImage({ width: img.width, height: img.height, channels: 3, data: img.data }, name);
  } catch (e) {
    throw new Error(`${name}: cannot decode ${format === 'png' ? 'PNG' : 'JPEG'} image (${(e as Error).message})`);
  }
}

/**
 * Reads and decodes an image file (PNG or JPEG, detected from the contents).
 * @throws Error naming the file when it cannot be read or is not a PNG/JPEG image.
 */
export async function readImage(path: string): Promise<RawImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return decodeImage(bytes, path);
}

/** Encodes an image as an 8-bit PNG: gray, RGB or RGBA as the image has (2-channel images become RGBA; 16-bit values are rounded to 8 bits). */
export function encodePng(image: ImageLike): Buffer {
  const raw = to8Bit(toRawImage(image));
  const rgba = convertChannels(raw, 4);
  const png = new PNG({ width: raw.width, height: raw.height });
  png.data = Buffer.from(rgba.data.buffer, rgba.data.byteOffset, rgba.data.byteLength);
  const colorType = raw.channels === 1 ? 0 : raw.channels === 3 ? 2 : 6;
  return PNG.sync.write(png, { colorType });
}

/** Encodes an image as JPEG (alpha dropped) with `quality` 1..100 (default 95). */
export function encodeJpeg(image: ImageLike, quality = 95): Buffer {
  const rgba = convertChannels(to8Bit(image), 4);
  return jpeg.encode({ width: rgba.width, height: rgba.height, data: rgba.data }, quality).data;
}

/** Writes an image as PNG, or as JPEG when the path ends in `.jpg` / `.jpeg`. */
export async function writeImage(path: string, image: ImageLike): Promise<void> {
  const ext = extname(path).toLowerCase();
  await writeFile(path, ext === '.jpg' || ext === '.jpeg' ? encodeJpeg(image) : encodePng(image));
}
