// Hostile image files (issues #15 item 4 and #17): dimensions are checked from the header before any pixel
// memory is allocated, a PNG whose data cannot hold its declared size is refused, and a JPEG naming an
// undefined table gets a named cause instead of a raw TypeError.
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeJpeg, encodePng, ImageDecodeError, MAX_IMAGE_PIXELS } from '../../src/node/image_io.js';

const img = { width: 16, height: 12, channels: 3 as const, data: Uint8Array.from({ length: 16 * 12 * 3 }, (_, i) => (i * 37) % 256) };

/** The test PNG with its IHDR declaring `width` x `height`, CRC fixed (so only the size is wrong). */
function pngDeclaring(width: number, height: number): Uint8Array {
  const b = new Uint8Array(encodePng(img));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint32(16, width);
  v.setUint32(20, height);
  v.setUint32(29, crc32(b.subarray(12, 29)));
  return b;
}

/** Offset of the first marker `m` (0xFF m) in a JPEG. */
const markerAt = (b: Uint8Array, m: number) => b.findIndex((x, i) => x === 0xff && b[i + 1] === m);

describe('hostile images', () => {
  it('the limit is 8192 x 8192 pixels', () => {
    expect(MAX_IMAGE_PIXELS).toBe(67_108_864);
  });

  it('a PNG declaring 20000x20000 (valid CRC, short data) is refused from its header, naming the size', () => {
    const before = process.memoryUsage().rss;
    expect(() => decodeImage(pngDeclaring(20000, 20000), 'big.png')).toThrow(ImageDecodeError);
    expect(() => decodeImage(pngDeclaring(20000, 20000), 'big.png')).toThrow(
      'big.png: the PNG header declares 20000x20000 = 400000000 pixels, more than the limit of 67108864 (MAX_IMAGE_PIXELS)',
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it('a PNG declaring 4000x4000 (under the limit) with a few hundred bytes of data is refused as too short', () => {
    expect(() => decodeImage(pngDeclaring(4000, 4000), 'short.png')).toThrow(/^short\.png: PNG declares 4000x4000 \(48004000 bytes of pixel rows\) but holds only \d+ bytes of image data/);
  });

  it('a JPEG declaring 65535x65535 is refused from its SOF header', () => {
    const b = new Uint8Array(encodeJpeg(img, 90));
    const sof = markerAt(b, 0xc0);
    b[sof + 5] = 0xff; b[sof + 6] = 0xff; b[sof + 7] = 0xff; b[sof + 8] = 0xff;
    expect(() => decodeImage(b, 'big.jpg')).toThrow(/^big\.jpg: the JPEG header declares 65535x65535 = 4294836225 pixels, more than the limit/);
  });

  it('a JPEG whose component names an undefined quantisation table names the cause', () => {
    const b = new Uint8Array(encodeJpeg(img, 90));
    const sof = markerAt(b, 0xc0);
    b[sof + 2 + 2 + 6 + 2] = 3; // first component's Tq: jpeg-js's encoder defines tables 0 and 1 only
    expect(() => decodeImage(b, 'q.jpg')).toThrow(ImageDecodeError);
    expect(() => decodeImage(b, 'q.jpg')).toThrow('q.jpg: corrupt JPEG: component 1 uses quantization table 3, which the file does not define');
  });

  it('valid PNG and JPEG files still decode', () => {
    expect(decodeImage(new Uint8Array(encodePng(img))).data).toEqual(img.data);
    const j = decodeImage(new Uint8Array(encodeJpeg(img, 90)));
    expect([j.width, j.height, j.channels]).toEqual([16, 12, 3]);
  });
});
