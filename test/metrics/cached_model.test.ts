import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { facadeSample } from '../../src/data/facades/sample.js';
import { cachedFacadeSegmenter } from '../../src/metrics/cached_model.js';
import { facadeTensors } from '../../src/metrics/facade_segmenter.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('facade tensors and the cached facade segmenter', () => {
  it('facadeTensors holds the samples of the split, photos and label maps in [-1, 1]', () => {
    const t = facadeTensors({ size: 16, seed: 3, offset: 5, count: 2 });
    expect(t.photos.shape).toEqual([2, 16, 16, 3]);
    expect(t.labelMaps.shape).toEqual([2, 16, 16, 3]);
    expect(t.labels.shape).toEqual([2, 16, 16]);
    const s = facadeSample(6, { size: 16, seed: 3 });
    expect(Array.from(t.labels.dataSync().subarray(256, 512))).toEqual(Array.from(s.label));
    const photo = t.photos.dataSync();
    expect(photo[768 + 7]).toBeCloseTo(s.photo[7]! / 127.5 - 1, 6);
    expect(t.labelMaps.dataSync()[768 + 4]).toBeCloseTo(s.labelRgb[4]! / 127.5 - 1, 6);
    tf.dispose([t.photos, t.labels, t.labelMaps]);
  });

  it('trains once, then loads the same weights from disk; other parameters get their own entry', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'seg-cache-'));
    dirs.push(cacheDir);
    const opts = { cacheDir, size: 16, count: 4, filters: 2, levels: 1, steps: 2, batchSize: 2 };
    const first = await cachedFacadeSegmenter(opts);
    expect(first.cached).toBe(false);
    const second = await cachedFacadeSegmenter(opts);
    expect(second.cached).toBe(true);
    expect(second.path).toBe(first.path);
    const w = (m: typeof first.model) => m.getWeights().map((t) => Array.from(t.dataSync()));
    expect(w(second.model)).toEqual(w(first.model));
    expect(second.model.outputs[0]!.shape).toEqual([null, 16, 16, 10]);
    const other = await cachedFacadeSegmenter({ ...opts, steps: 1 });
    expect(other.cached).toBe(false);
    expect(other.path).not.toBe(first.path);
    expect((await readdir(cacheDir)).sort()).toEqual([first.path, other.path].map((p) => p.slice(cacheDir.length + 1)).sort());
    [first, second, other].forEach((c) => c.model.dispose());
  });
});
