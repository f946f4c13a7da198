import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { pairedBatches, preprocessPair, type ImagePair, type PairSource } from '../../src/index.js';
import { preprocessPlan, type PreprocessMode } from '../../src/data/preprocess.js';

interface GeometryCase {
  mode: PreprocessMode;
  size: [number, number];
  loadSize: number;
  cropSize: number;
  divisor: number;
  resized: [number, number];
  cropMax: [number, number] | null;
  output: [number, number];
  rounded: boolean;
}

// Written by scripts/fixtures/make_preprocess_fixtures.py from the reference's base_dataset.py arithmetic.
const cases = (JSON.parse(readFileSync(new URL('../fixtures/data/preprocess_geometry.json', import.meta.url), 'utf8')) as { cases: GeometryCase[] }).cases;

describe('preprocessPlan follows the reference geometry (base_dataset.py, via a Python fixture)', () => {
  it('has cases for every mode', () => {
    expect(new Set(cases.map((c) => c.mode)).size).toBe(5);
    expect(cases.length).toBeGreaterThan(50);
  });
  for (const c of cases) {
    it(`${c.mode} ${c.size[1]}x${c.size[0]} load ${c.loadSize} crop ${c.cropSize} divisor ${c.divisor}`, () => {
      const plan = preprocessPlan(c.size, { preprocess: c.mode, loadSize: c.loadSize, cropSize: c.cropSize, divisor: c.divisor });
      expect(plan).toEqual({ resized: c.resized, cropMax: c.cropMax, output: c.output, rounded: c.rounded });
    });
  }

  it('refuses an image smaller than the crop, naming the size', () => {
    expect(() => preprocessPlan([100, 300], { preprocess: 'crop', cropSize: 128 })).toThrow(
      "an image of 300x100 (width x height) is smaller than cropSize 128 for preprocess 'crop'",
    );
  });
});

/**
 * Pairs whose pixels encode their own coordinates: A holds (x, y, 0), B holds (255 - x, 255 - y, 255), so a
 * crop box and flip can be read back from any output, and A and B can be compared. Widths and heights < 256.
 */
function coordinateSource(sizes: Array<[number, number]>): PairSource {
  return {
    length: sizes.length,
    name: (i) => `img${i}.png`,
    load: async (i): Promise<ImagePair> => {
      const [w, h] = sizes[i]!;
      const a = new Uint8Array(w * h * 3);
      const b = new Uint8Array(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const k = (y * w + x) * 3;
          a.set([x, y, 0], k);
          b.set([255 - x, 255 - y, 255], k);
        }
      }
      return { a: { width: w, height: h, data: a }, b: { width: w, height: h, data: b } };
    },
  };
}

/** Bytes of a [1, h, w, 3] batch in [-1, 1]. */
function bytes(t: tf.Tensor): number[] {
  return Array.from(t.dataSync(), (v) => Math.round((v + 1) * 127.5));
}

describe('pairedBatches: crop box and flip, identical for A and B', () => {
  it("'crop' takes a box inside [0, w - crop] x [0, h - crop], the same for A and B, and reaches both ends", async () => {
    // 40x24 image, crop 16: x in [0, 24], y in [0, 8] (hand-computed: 40 - 16, 24 - 16).
    const data = pairedBatches(coordinateSource([[40, 24]]), { preprocess: 'crop', cropSize: 16, seed: 5 });
    const xs = new Set<number>();
    const ys = new Set<number>();
    let flips = 0;
    for (let e = 0; e < 120; e++) {
      for await (const { input, target } of data) {
        expect(input.shape).toEqual([1, 16, 16, 3]);
        const a = bytes(input);
        const b = bytes(target);
        const x0 = a[0]!;
        const y0 = a[1]!;
        const x1 = a[3]!; // pixel (0, 1) of the output
        const flip = x1 < x0;
        if (flip) flips++;
        const left = flip ? x0 - 15 : x0;
        xs.add(left);
        ys.add(y0);
        // Every output pixel (i, j) is source pixel (left + j or left + 15 - j, y0 + i), in A and in B.
        for (let i = 0; i < 16; i++) {
          for (let j = 0; j < 16; j++) {
            const k = (i * 16 + j) * 3;
            const sx = flip ? left + 15 - j : left + j;
            expect([a[k], a[k + 1], a[k + 2]]).toEqual([sx, y0 + i, 0]);
            expect([b[k], b[k + 1], b[k + 2]]).toEqual([255 - sx, 255 - y0 - i, 255]);
          }
        }
        tf.dispose([input, target]);
      }
    }
    expect(Math.min(...xs)).toBe(0);
    expect(Math.max(...xs)).toBe(24);
    expect(Math.min(...ys)).toBe(0);
    expect(Math.max(...ys)).toBe(8);
    expect(flips).toBeGreaterThan(30);
    expect(flips).toBeLessThan(90);
  });

  it("flip: false never flips; jitter: false takes the centre box", async () => {
    for await (const { input, target } of pairedBatches(coordinateSource([[40, 24]]), { preprocess: 'crop', cropSize: 16, jitter: false })) {
      const a = bytes(input);
      // centre box: x = floor(24 / 2) = 12, y = floor(8 / 2) = 4
      expect([a[0], a[1], a[3]]).toEqual([12, 4, 13]);
      tf.dispose([input, target]);
    }
    const data = pairedBatches(coordinateSource([[40, 24]]), { preprocess: 'crop', cropSize: 16, flip: false, seed: 1 });
    for (let e = 0; e < 20; e++) {
      for await (const { input, target } of data) {
        const a = bytes(input);
        expect(a[3]).toBe(a[0]! + 1);
        tf.dispose([input, target]);
      }
    }
  });

  it("'scale_width' keeps the aspect (24x40 -> 36x60), 'scale_width_and_crop' crops 16x16 from it", async () => {
    const src = coordinateSource([[24, 40]]);
    for await (const { input, target } of pairedBatches(src, { preprocess: 'scale_width', loadSize: 36, cropSize: 16, flip: false })) {
      expect(input.shape).toEqual([1, 60, 36, 3]); // 36 * 40 / 24 = 60
      expect(target.shape).toEqual([1, 60, 36, 3]);
      tf.dispose([input, target]);
    }
    for await (const { input, target } of pairedBatches(src, { preprocess: 'scale_width_and_crop', loadSize: 36, cropSize: 16 })) {
      expect(input.shape).toEqual([1, 16, 16, 3]);
      // B = 255 - A on the first two channels wherever the box lands
      const a = bytes(input);
      const b = bytes(target);
      for (let k = 0; k < a.length; k += 3) expect(a[k]! + b[k]!).toBeGreaterThanOrEqual(254);
      tf.dispose([input, target]);
    }
  });

  it("'none' keeps the size, rounds to the divisor with one warning, and refuses mixed sizes in a batch", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const shapes: number[][] = [];
      for await (const { input, target } of pairedBatches(coordinateSource([[48, 32], [36, 20], [6, 10]]), { preprocess: 'none', divisor: 8, shuffle: false })) {
        shapes.push(input.shape.slice(1, 3));
        tf.dispose([input, target]);
      }
      // hand-computed, round half to even: 32x48 stays; 20/8 = 2.5 -> 2, 36/8 = 4.5 -> 4; 10/8 -> 1, 6/8 -> 1
      expect(shapes).toEqual([[32, 48], [16, 32], [8, 8]]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/img1\.png from 36x20 to 32x16 .*multiples of 8/);
    } finally {
      warn.mockRestore();
    }
    const mixed = pairedBatches(coordinateSource([[48, 32], [32, 32]]), { preprocess: 'none', batchSize: 2, shuffle: false });
    await expect(async () => {
      for await (const b of mixed) tf.dispose([b.input, b.target]);
    }).rejects.toThrow("a batch needs one image size, but img0.png gives 48x32 and img1.png gives 32x32 (width x height) with preprocess 'none'");
  });

  it('resize_and_crop accepts any aspect and yields cropSize squares; imageSize stays an alias of cropSize', async () => {
    for await (const { input, target } of pairedBatches(coordinateSource([[40, 24]]), { imageSize: 16, loadSize: 20 })) {
      expect(input.shape).toEqual([1, 16, 16, 3]);
      expect(target.shape).toEqual([1, 16, 16, 3]);
      tf.dispose([input, target]);
    }
    expect(pairedBatches(coordinateSource([[8, 8]]), { imageSize: 16 }).options.cropSize).toBe(16);
    expect(() => pairedBatches(coordinateSource([[8, 8]]), { imageSize: 16, cropSize: 32 })).toThrow(/imageSize must be equal to cropSize = 32/);
  });

  it('rejects unknown option keys with a hint', () => {
    expect(() => pairedBatches(coordinateSource([[8, 8]]), { cropsize: 16 } as never)).toThrow(
      "unknown option 'cropsize' of pairedBatches (did you mean 'cropSize'?)",
    );
    const t = tf.zeros([4, 4, 3]) as tf.Tensor3D;
    expect(() => preprocessPair(t, t, { preproces: 'crop' } as never)).toThrow(/unknown option 'preproces' of preprocessPair \(did you mean 'preprocess'\?\)/);
    t.dispose();
  });
});
