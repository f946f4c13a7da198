// Pairs from plain photos (make-dataset --from) and the colorization batches, with expectations from
// scikit-image's Lab (the lab.json fixture) and from the definitions of the tasks.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { pairedBatches } from '../../src/data/batches.js';
import { canny } from '../../src/data/canny.js';
import { rgbToLab } from '../../src/data/lab.js';
import { photoPairs, resizeShorterSide } from '../../src/data/photo_pairs.js';
import type { RawImage } from '../../src/data/image.js';

const lab = JSON.parse(readFileSync(new URL('../fixtures/photo/lab.json', import.meta.url), 'utf8')) as { rgb8: number[]; lab: number[] };

/** A w x h RGB image with a bright square on a horizontal ramp. */
function ramp(w: number, h: number): RawImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x > w / 3 && x < (2 * w) / 3 && y > h / 3 && y < (2 * h) / 3 ? [240, 200, 20] : [x * 3, 60, 255 - x * 3], (y * w + x) * 3);
  return { width: w, height: h, channels: 3, data };
}

const half = (img: RawImage, side: 0 | 1): RawImage => {
  const w = img.width / 2;
  const data = new Uint8Array(w * img.height * 3);
  for (let y = 0; y < img.height; y++) data.set(img.data.subarray((y * img.width + side * w) * 3, (y * img.width + side * w + w) * 3), y * w * 3);
  return { width: w, height: img.height, channels: 3, data };
};

describe('photoPairs', () => {
  it('scales the shorter side to loadSize (block-averaged first when shrinking a lot)', () => {
    expect([resizeShorterSide(ramp(80, 40), 20).width, resizeShorterSide(ramp(80, 40), 20).height]).toEqual([40, 20]);
    const flat = { width: 90, height: 60, channels: 3, data: new Uint8Array(90 * 60 * 3).fill(77) };
    const r = resizeShorterSide(flat, 10);
    expect([r.width, r.height]).toEqual([15, 10]);
    expect(r.data.every((v) => v === 77)).toBe(true);
  });

  it('grayscale: A is the BT.601 luma of B, the centre crop', () => {
    const [pair] = photoPairs(ramp(48, 32), 0, { task: 'grayscale', loadSize: 32, cropSize: 32 });
    expect([pair!.width, pair!.height]).toEqual([64, 32]);
    const a = half(pair!, 0);
    const b = half(pair!, 1);
    // The centre 32x32 of a 48x32 photo starts at x = 8: B's first pixel is the ramp at x = 8.
    expect(Array.from(b.data.subarray(0, 3))).toEqual([24, 60, 231]);
    for (let p = 0; p < 32 * 32; p++) {
      const luma = Math.round(0.299 * b.data[3 * p]! + 0.587 * b.data[3 * p + 1]! + 0.114 * b.data[3 * p + 2]!);
      expect([a.data[3 * p], a.data[3 * p + 1], a.data[3 * p + 2]]).toEqual([luma, luma, luma]);
    }
  });

  it('edges: A is black where Canny finds edges in the gray B, white elsewhere', () => {
    const [pair] = photoPairs(ramp(32, 32), 0, { task: 'edges', loadSize: 32, canny: { sigma: 1.5 } });
    const a = half(pair!, 0);
    const b = half(pair!, 1);
    const gray = Float64Array.from({ length: 32 * 32 }, (_, p) => Math.round(0.299 * b.data[3 * p]! + 0.587 * b.data[3 * p + 1]! + 0.114 * b.data[3 * p + 2]!) / 255);
    const e = canny(gray, 32, 32, { sigma: 1.5 });
    expect(e.reduce((s, v) => s + v, 0)).toBeGreaterThan(20); // the square's outline
    for (let p = 0; p < 32 * 32; p++) expect(a.data[3 * p]).toBe(e[p] ? 0 : 255);
  });

  it('several crops per photo land at seeded random places; the same seed gives the same crops', () => {
    const o = { task: 'grayscale' as const, loadSize: 40, cropSize: 16, crops: 4, seed: 3 };
    const one = photoPairs(ramp(60, 40), 5, o);
    const two = photoPairs(ramp(60, 40), 5, o);
    expect(one).toHaveLength(4);
    expect(one.map((p) => Array.from(p.data))).toEqual(two.map((p) => Array.from(p.data)));
    expect(new Set(one.map((p) => Array.from(p.data).join(','))).size).toBeGreaterThan(1);
  });

  it('refuses a crop larger than the load size, quoting it', () => {
    expect(() => photoPairs(ramp(8, 8), 0, { loadSize: 16, cropSize: 20 })).toThrow(/cropSize must be <= loadSize = 16 \(got 20\)/);
  });
});

describe("pairedBatches datasetMode 'colorization'", () => {
  it('feeds L / 50 - 1 (1 channel) and ab / 110 (2 channels) of the photo, as skimage computes Lab', async () => {
    // 192 fixture colours as a 16x12 photo on the B side; A is anything (ignored).
    const n = 192;
    const photo: RawImage = { width: 16, height: 12, channels: 3, data: Uint8Array.from(lab.rgb8.slice(0, 3 * n)) };
    const source = { length: 1, name: () => 'p', load: async () => ({ a: { ...photo, data: new Uint8Array(3 * n) }, b: photo }) };
    const batches = pairedBatches(source, { datasetMode: 'colorization', preprocess: 'none', jitter: false, shuffle: false });
    for await (const { input, target } of batches.epoch(0)) {
      expect(input.shape).toEqual([1, 12, 16, 1]);
      expect(target.shape).toEqual([1, 12, 16, 2]);
      const l = await input.data();
      const ab = await target.data();
      let err = 0;
      for (let p = 0; p < n; p++) {
        err = Math.max(err, Math.abs(l[p]! - (lab.lab[3 * p]! / 50 - 1)), Math.abs(ab[2 * p]! - lab.lab[3 * p + 1]! / 110), Math.abs(ab[2 * p + 1]! - lab.lab[3 * p + 2]! / 110));
      }
      expect(err).toBeLessThan(1e-5);
      tf.dispose([input, target]);
    }
    expect(rgbToLab([1, 1, 1])[0]).toBeCloseTo(100, 3);
  });

  it('refuses other channel counts in that mode', () => {
    const source = { length: 1, name: () => 'p', load: async () => ({ a: ramp(4, 4), b: ramp(4, 4) }) };
    expect(() => pairedBatches(source, { datasetMode: 'colorization', inputChannels: 3 })).toThrow(/inputChannels must be 1 with datasetMode 'colorization'.*got 3/);
  });
});
