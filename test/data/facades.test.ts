import { describe, expect, it } from 'vitest';
import { FACADE_CLASSES, FACADE_PALETTE, facadeClassId, facadeRgbToLabel, facadeSample, facadePairs } from '../../src/index.js';

describe('facadeSample', () => {
  it('is deterministic per (seed, index) and differs across indices and seeds', () => {
    const a = facadeSample(3, { size: 64, seed: 5 });
    const b = facadeSample(3, { size: 64, seed: 5 });
    expect(Buffer.from(a.photo).equals(Buffer.from(b.photo))).toBe(true);
    expect(Buffer.from(a.label).equals(Buffer.from(b.label))).toBe(true);
    const c = facadeSample(4, { size: 64, seed: 5 });
    const d = facadeSample(3, { size: 64, seed: 6 });
    expect(Buffer.from(a.photo).equals(Buffer.from(c.photo))).toBe(false);
    expect(Buffer.from(a.label).equals(Buffer.from(d.label))).toBe(false);
  });

  it('has a fixed 10-class palette with distinct colours', () => {
    expect(FACADE_CLASSES).toEqual(['background', 'wall', 'window', 'door', 'balcony', 'cornice', 'sill', 'pillar', 'shop', 'shutter']);
    expect(FACADE_PALETTE[facadeClassId('window')]).toEqual([0, 170, 255]);
    const keys = new Set(FACADE_PALETTE.map((c) => c.join(',')));
    expect(keys.size).toBe(10);
  });

  it.each([16, 33, 128])('produces consistent arrays at size %i', (size) => {
    const s = facadeSample(0, { size, seed: 1 });
    expect(s.width).toBe(size);
    expect(s.label.length).toBe(size * size);
    expect(s.labelRgb.length).toBe(size * size * 3);
    expect(s.photo.length).toBe(size * size * 3);
    for (let i = 0; i < s.label.length; i++) {
      const c = FACADE_PALETTE[s.label[i]!]!;
      expect([s.labelRgb[3 * i], s.labelRgb[3 * i + 1], s.labelRgb[3 * i + 2]]).toEqual([...c]);
    }
    expect(facadeRgbToLabel(s.labelRgb)).toEqual(s.label);
  });

  it('has plausible facades: wall, windows, a door and a cornice in every sample, other classes across samples', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const s = facadeSample(i, { size: 128, seed: 2 });
      const counts = new Array(10).fill(0);
      for (const v of s.label) counts[v]++;
      for (const name of ['wall', 'window', 'door', 'cornice'] as const) expect(counts[facadeClassId(name)], `${name} in #${i}`).toBeGreaterThan(0);
      // Wall is the largest building class; windows cover a real share of the facade.
      expect(counts[facadeClassId('wall')]).toBeGreaterThan(128 * 128 * 0.15);
      expect(counts[facadeClassId('window')]).toBeGreaterThan(128 * 128 * 0.04);
      counts.forEach((n, k) => {
        if (n > 0) seen.add(k);
      });
      // Doors (wood) are darker than the stone cornices.
      const mean = (cls: number) => {
        let sum = 0;
        let n = 0;
        for (let p = 0; p < s.label.length; p++) {
          if (s.label[p] !== cls) continue;
          sum += s.photo[3 * p]! + s.photo[3 * p + 1]! + s.photo[3 * p + 2]!;
          n++;
        }
        return sum / n;
      };
      expect(mean(facadeClassId('door'))).toBeLessThan(mean(facadeClassId('cornice')));
    }
    expect(seen.size).toBe(10);
  });

  it('rejects bad options, quoting the value', () => {
    expect(() => facadeSample(0, { size: 8 })).toThrow(/size must be an integer >= 16 \(got 8\)/);
    expect(() => facadeSample(-1)).toThrow(/index must be an integer >= 0 \(got -1\)/);
  });

  it('facadePairs loads label map (A) and photo (B) on demand', async () => {
    const src = facadePairs({ count: 3, size: 32, seed: 9, offset: 10 });
    expect(src.length).toBe(3);
    const p = await src.load(1);
    const s = facadeSample(11, { size: 32, seed: 9 });
    expect(p.a.data).toEqual(s.labelRgb);
    expect(p.b.data).toEqual(s.photo);
  });
});
