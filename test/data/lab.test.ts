// Lab conversion against scikit-image's rgb2lab / lab2rgb (fixture from scripts/fixtures/make_photo_fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labToRgb, lightnessToGray, rgbToLab } from '../../src/data/lab.js';

const f = JSON.parse(readFileSync(new URL('../fixtures/photo/lab.json', import.meta.url), 'utf8')) as { rgb8: number[]; lab: number[]; labIn: number[]; rgbOut: number[] };

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('Lab conversion matches scikit-image (D65, 2 degrees)', () => {
  it('rgbToLab of 8-bit colours equals rgb2lab within 1e-9', () => {
    expect(f.rgb8.length).toBeGreaterThan(600);
    expect(maxDiff(rgbToLab(f.rgb8.map((v) => v / 255)), f.lab)).toBeLessThan(1e-9);
  });
  it('labToRgb (with gamut clipping and Z < 0 clamped) equals lab2rgb within 1e-9', () => {
    const out = labToRgb(f.labIn);
    expect(maxDiff(out, f.rgbOut)).toBeLessThan(1e-9);
    expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
  it('white is L 100 and nearly neutral (the skimage matrix rows do not sum to D65 exactly); black L 0', () => {
    const lab = rgbToLab([1, 1, 1, 0, 0, 0]);
    expect(lab[0]).toBeCloseTo(100, 3);
    expect(Math.abs(lab[1]!) + Math.abs(lab[2]!)).toBeLessThan(1e-2);
    expect(lab[3]).toBe(0);
  });
  it('lightnessToGray gives the neutral gray whose Lab lightness is L', () => {
    for (const L of [0, 1, 5, 8, 20, 50, 77.7, 99, 100]) {
      const g = lightnessToGray(L);
      // 1e-3: skimage's two piecewise constants (0.008856 forward, 0.2068966 back) meet only to ~4e-5 near L = 8.
      expect(rgbToLab([g, g, g])[0]).toBeCloseTo(L, 3);
    }
  });
  it('refuses a length that is not a multiple of 3', () => {
    expect(() => rgbToLab([0, 0])).toThrow(/multiple of 3.*got 2/);
  });
});
