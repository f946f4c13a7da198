import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { convertChannels, toRawImage, type ImageLike, type RawImage } from '../data/image.js';

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

/**
 * Decodes PNG (pngjs) or JPEG (jpeg-js) bytes into an 8-bit image: PNGs come back RGBA (RGB when
 * fully opaque), JPEGs RGB. 16-bit PNGs are reduced to 8 bits.
 * @param bytes - the file contents.
 * @param name - the file name quoted in errors. Default `'image'`.
 * @throws Error naming `name` when the bytes are not a PNG or JPEG image, or are corrupt.
 */
export function decodeImage(bytes: Uint8Array, name = 'image'): RawImage {
  const format = sniffImageFormat(bytes);
  if (format === null) throw new Error(`${name}: not a PNG or JPEG image`);
  try {
    if (format === 'png') {
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

/** Encodes an image as PNG: gray, RGB or RGBA as the image has (2-channel images become RGBA). */
export function encodePng(image: ImageLike): Buffer {
  const raw = toRawImage(image);
  const rgba = convertChannels(raw, 4);
  const png = new PNG({ width: raw.width, height: raw.height });
  png.data = Buffer.from(rgba.data.buffer, rgba.data.byteOffset, rgba.data.byteLength);
  const colorType = raw.channels === 1 ? 0 : raw.channels === 3 ? 2 : 6;
  return PNG.sync.write(png, { colorType });
}

/** Encodes an image as JPEG (alpha dropped) with `quality` 1..100 (default 95). */
export function encodeJpeg(image: ImageLike, quality = 95): Buffer {
  const rgba = convertChannels(image, 4);
  return jpeg.encode({ width: rgba.width, height: rgba.height, data: rgba.data }, quality).data;
}

/** Writes an image as PNG, or as JPEG when the path ends in `.jpg` / `.jpeg`. */
export async function writeImage(path: string, image: ImageLike): Promise<void> {
  const ext = extname(path).toLowerCase();
  await writeFile(path, ext === '.jpg' || ext === '.jpeg' ? encodeJpeg(image) : encodePng(image));
}
