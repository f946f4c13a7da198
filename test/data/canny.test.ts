// Canny edges against scikit-image's feature.canny (fixture from scripts/fixtures/make_photo_fixtures.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canny, CANNY_DEFAULTS } from '../../src/data/canny.js';

interface CannyCase {
  name: string;
  width: number;
  height: number;
  sigma: number;
  lowThreshold: number | null;
  highThreshold: number | null;
  useQuantiles: boolean;
  gray8: number[];
  edges: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/photo/canny.json', import.meta.url), 'utf8')) as { cases: CannyCase[] };

const run = (c: CannyCase) =>
  canny(
    c.gray8.map((v) => v / 255),
    c.width,
    c.height,
    {
      sigma: c.sigma,
      ...(c.lowThreshold === null ? {} : { lowThreshold: c.lowThreshold }),
      ...(c.highThreshold === null ? {} : { highThreshold: c.highThreshold }),
      useQuantiles: c.useQuantiles,
    },
  );

describe('canny matches scikit-image feature.canny (0.19)', () => {
  it('has skimage defaults: sigma 1, thresholds 0.1 / 0.2', () => {
    expect(CANNY_DEFAULTS).toEqual({ sigma: 1, lowThreshold: 0.1, highThreshold: 0.2, useQuantiles: false });
  });
  for (const c of fixture.cases) {
    it(`${c.name} (${c.width}x${c.height}): every pixel equal`, () => {
      const edges = run(c);
      const expected = Uint8Array.from(c.edges, (ch) => (ch === '1' ? 1 : 0));
      expect(expected.reduce((s, v) => s + v, 0)).toBeGreaterThan(0); // the fixture has edges to find
      let differ = 0;
      for (let i = 0; i < expected.length; i++) if (edges[i] !== expected[i]) differ++;
      expect(differ).toBe(0);
    });
  }

  it('never marks the one-pixel border, and finds nothing in a flat image', () => {
    const flat = canny(new Float64Array(20 * 10).fill(0.5), 20, 10);
    expect(flat.every((v) => v === 0)).toBe(true);
    const step = new Float64Array(16 * 16).map((_, i) => ((i % 16) < 8 ? 0 : 1));
    const e = canny(step, 16, 16);
    for (let x = 0; x < 16; x++) expect(e[x]! + e[15 * 16 + x]!).toBe(0);
    // The step lies between columns 7 and 8: their magnitudes tie and NMS keeps ties (>=), so two lines.
    for (let y = 1; y < 15; y++) expect(Array.from(e.subarray(y * 16, y * 16 + 16)).join('')).toBe('0000000110000000');
  });

  it('validates at the boundary, quoting the value', () => {
    expect(() => canny([0, 0, 0], 2, 2)).toThrow(/gray\.length.*got 3/);
    expect(() => canny(new Float64Array(4), 2, 2, { sigma: 0 })).toThrow(/sigma.*got 0/);
    expect(() => canny(new Float64Array(4), 2, 2, { lowThreshold: 0.3, highThreshold: 0.2 })).toThrow(/lowThreshold.*<= highThreshold = 0.2.*got 0.3/);
    expect(() => canny(new Float64Array(4), 2, 2, { sigmma: 1 } as never)).toThrow(/sigmma/);
  });
});
