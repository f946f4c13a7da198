/**
 * PNG / JPEG files on disk: format sniffing, decoding (pngjs, jpeg-js) after a header check that bounds
 * memory on hostile files ({@link MAX_IMAGE_PIXELS}), encoding and writing. Decode problems are
 * {@link ImageDecodeError}s naming the file.
 */
import { readFile } from 'node:fs/promises';
import { writeFileSafe, type WriteFileOptions } from './fs/index.js';
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
 * Largest image (width x height) the decoders accept: 8192 x 8192 = 67,108,864 pixels (256 MiB as
 * RGBA). The dimensions are read from the file header (PNG IHDR, JPEG SOF) and checked before any pixel
 * memory is allocated, so a small file that declares a huge image is refused at once.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/** Thrown by {@link decodeImage} / {@link readImage} for a file that is not a readable PNG or JPEG; the message names the file and the cause. */
export class ImageDecodeError extends Error {
  /** @param message - what is wrong, starting with the file name. */
  constructor(message: string) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

/** Deflate cannot expand data more than ~1032:1: pixel data beyond that is more than the file holds. */
const MAX_DEFLATE_RATIO = 1032;
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

function checkDimensions(name: string, format: string, width: number, height: number): void {
  if (width === 0 || height === 0) throw new ImageDecodeError(`${name}: the ${format} header declares an empty ${width}x${height} image`);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new ImageDecodeError(
      `${name}: the ${format} header declares ${width}x${height} = ${width * height} pixels, more than the limit of ${MAX_IMAGE_PIXELS} (MAX_IMAGE_PIXELS)`,
    );
  }
}

/** PNG: IHDR dimensions and depth, and the compressed data (IDAT) must be able to hold the declared pixels. */
function checkPngHeader(b: Uint8Array, name: string): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 33 || view.getUint32(8) !== 13 || String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') {
    throw new ImageDecodeError(`${name}: PNG file has no IHDR header chunk (truncated or corrupt)`);
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = b[24]!;
  const colorType = b[25]!;
  if (!PNG_DEPTHS[colorType]?.includes(depth)) throw new ImageDecodeError(`${name}: PNG header has colour type ${colorType} with bit depth ${depth}, which PNG does not define`);
  checkDimensions(name, 'PNG', width, height);
  let idat = 0;
  for (let pos = 33; pos + 8 <= b.length; ) {
    const len = view.getUint32(pos);
    if (String.fromCharCode(...b.subarray(pos + 4, pos + 8)) === 'IDAT') idat += Math.min(len, b.length - pos - 8);
    pos += 12 + len;
  }
  const raw = height * (1 + Math.ceil((width * PNG_CHANNELS[colorType]! * depth) / 8));
  if (raw > MAX_DEFLATE_RATIO * idat + 1024) {
    throw new ImageDecodeError(`${name}: PNG declares ${width}x${height} (${raw} bytes of pixel rows) but holds only ${idat} bytes of image data (truncated or corrupt)`);
  }
}

/**
 * JPEG: walks the marker segments (skipping entropy-coded data) and checks the frame size against the
 * limit and that every table a component or scan uses is defined (jpeg-js fails with a raw TypeError otherwise).
 */
function checkJpegHeader(b: Uint8Array, name: string): void {
  const fail = (why: string): never => {
    throw new ImageDecodeError(`${name}: corrupt JPEG: ${why}`);
  };
  const u16 = (p: number) => (b[p]! << 8) | b[p + 1]!;
  const quant = new Set<number>();
  const dc = new Set<number>();
  const ac = new Set<number>();
  let frame: { progressive: boolean; components: Map<number, number> } | null = null;
  let pos = 2;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) {
      pos++; // entropy-coded data or padding
      continue;
    }
    const marker = b[pos + 1]!;
    if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    const len = u16(pos + 2);
    const start = pos + 4;
    const end = pos + 2 + len;
    if (len < 2 || end > b.length) fail(`the segment of marker 0x${marker.toString(16)} at byte ${pos} runs past the end of the file (truncated)`);
    if (marker === 0xdb) {
      for (let p = start; p < end; ) {
        const spec = b[p]!;
        if (spec >> 4 > 1 || (spec & 15) > 3) fail(`quantization table spec 0x${spec.toString(16)} at byte ${p} (table ids are 0-3)`);
        quant.add(spec & 15);
        p += 1 + (spec >> 4 ? 128 : 64);
      }
    } else if (marker === 0xc4) {
      for (let p = start; p + 17 <= end; ) {
        const spec = b[p]!;
        if (spec >> 4 > 1 || (spec & 15) > 3) fail(`Huffman table spec 0x${spec.toString(16)} at byte ${p} (class 0-1, ids 0-3)`);
        (spec >> 4 ? ac : dc).add(spec & 15);
        let n = 0;
        for (let i = 1; i <= 16; i++) n += b[p + i]!;
        p += 17 + n;
      }
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (frame) fail('more than one frame (SOF marker)');
      const height = u16(start + 1);
      const width = u16(start + 3);
      checkDimensions(name, 'JPEG', width, height);
      const components = new Map<number, number>();
      for (let i = 0, n = b[start + 5]!; i < n && start + 8 + 3 * i <= end; i++) components.set(b[start + 6 + 3 * i]!, b[start + 8 + 3 * i]!);
      frame = { progressive: marker === 0xc2 || marker === 0xc6, components };
    } else if (marker === 0xda) {
      if (!frame) fail('a scan (SOS) before the frame header (SOF)');
      const n = b[start]!;
      const ss = b[start + 1 + 2 * n]!;
      const se = b[start + 2 + 2 * n]!;
      const ah = b[start + 3 + 2 * n]! >> 4;
      for (let i = 0; i < n; i++) {
        const id = b[start + 1 + 2 * i]!;
        const tables = b[start + 2 + 2 * i]!;
        if (!frame!.components.has(id)) fail(`scan component ${id} is not in the frame`);
        // Baseline decoding always uses both tables; progressive scans only those their band needs.
        if ((!frame!.progressive || (ss === 0 && ah === 0)) && !dc.has(tables >> 4)) fail(`scan component ${id} uses DC Huffman table ${tables >> 4}, which is not defined`);
        if ((!frame!.progressive || se > 0) && !ac.has(tables & 15)) fail(`scan component ${id} uses AC Huffman table ${tables & 15}, which is not defined`);
      }
    }
    pos = end;
  }
  if (!frame) fail('no frame header (SOF marker) found');
  for (const [id, table] of frame!.components) {
    if (!quant.has(table)) fail(`component ${id} uses quantization table ${table}, which the file does not define`);
  }
}

/**
 * Checks an image's header before decoding: dimensions within {@link MAX_IMAGE_PIXELS}, and (PNG) enough
 * compressed data for them, (JPEG) every table the frame and scans use is defined.
 * @throws ImageDecodeError naming `name` and the problem.
 */
export function checkImageHeader(bytes: Uint8Array, format: ImageFormat, name = 'image'): void {
  if (format === 'png') checkPngHeader(bytes, name);
  else checkJpegHeader(bytes, name);
}

/**
 * Decodes PNG (pngjs) or JPEG (jpeg-js) bytes: 8-bit PNGs come back RGBA (RGB when fully opaque), JPEGs
 * RGB; 16-bit PNGs keep their full precision (`bitDepth: 16`, a `Uint16Array`; gray ones as 1 channel).
 * @param bytes - the file contents.
 * @param name - the file name quoted in errors. Default `'image'`.
 * Dimensions are checked from the header first ({@link checkImageHeader}, limit {@link MAX_IMAGE_PIXELS}).
 * @throws ImageDecodeError naming `name` when the bytes are not a PNG or JPEG image, are corrupt, or too large.
 */
export function decodeImage(bytes: Uint8Array, name = 'image'): RawImage {
  const format = sniffImageFormat(bytes);
  if (format === null) throw new ImageDecodeError(`${name}: not a PNG or JPEG image`);
  checkImageHeader(bytes, format, name);
  try {
    if (format === 'png') {
      const { depth, colorType } = pngDepth(bytes);
      if (depth === 16) return decodePng16(bytes, colorType);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      const rgba: RawImage = { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
      for (let i = 3; i < rgba.data.length; i += 4) if (rgba.data[i] !== 255) return rgba;
      return convertChannels(rgba, 3);
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
    return toRawImage({ width: img.width, height: img.height, channels: 3, data: img.data }, name);
  } catch (e) {
    throw new ImageDecodeError(`${name}: cannot decode ${format === 'png' ? 'PNG' : 'JPEG'} image (${(e as Error).message})`);
  }
}

/**
 * Reads and decodes an image file (PNG or JPEG, detected from the contents).
 * @example
 * ```ts
 * import { readImage } from '@acme/pix2pix/node';
 *
 * const img = await readImage('photo.jpg'); // PNG or JPEG: { width, height, channels, data } (8-bit)
 * console.log(img.width, img.height, img.channels);
 * ```
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

/** Encodes an image as PNG, or as JPEG when `path` ends in `.jpg` / `.jpeg`. */
export function encodeImageFor(path: string, image: ImageLike): Buffer {
  const ext = extname(path).toLowerCase();
  return ext === '.jpg' || ext === '.jpeg' ? encodeJpeg(image) : encodePng(image);
}

/**
 * Writes an image as PNG, or as JPEG when the path ends in `.jpg` / `.jpeg`, through the one write path
 * (atomic; never through a link; an existing file only when this program wrote it).
 * @param options - see `writeFileSafe` (label, inputs).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { tensorToImage } from '@acme/pix2pix';
 * import { writeImage } from '@acme/pix2pix/node';
 *
 * const photo = tf.zeros([64, 64, 3]) as tf.Tensor3D; // [h, w, c] in [-1, 1], e.g. translateImage's output
 * await writeImage('out.png', tensorToImage(photo));   // 8-bit PNG (JPEG for a .jpg/.jpeg path)
 * ```
 */
export async function writeImage(path: string, image: ImageLike, options: WriteFileOptions = {}): Promise<void> {
  await writeFileSafe(path, encodeImageFor(path, image), options);
}
