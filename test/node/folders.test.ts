import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, mkdir, writeFile, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairedBatches, imageToTensor, type PairSource } from '../../src/index.js';
import {
  abFolderPairs,
  decodeImage,
  encodeJpeg,
  encodePng,
  folderPairs,
  readImage,
  renderReport,
  sampleGrid,
  twoFolderPairs,
  writeFacadeDataset,
  writeReport,
} from '../../src/node/index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-node-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A w x h RGB image whose pixel (x, y) is (x*10, y*10, seed). */
const rgb = (w: number, h: number, seed = 0) => {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 10, y * 10, seed], (y * w + x) * 3);
  return { width: w, height: h, channels: 3 as const, data };
};

describe('image files', () => {
  it('round-trips PNG exactly (gray, RGB, RGBA) and JPEG approximately', () => {
    const img = rgb(6, 4, 7);
    const back = decodeImage(encodePng(img), 'x.png');
    expect(back.channels).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
    const gray = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([3, 250]) };
    expect(Array.from(decodeImage(encodePng(gray)).data)).toEqual([3, 3, 3, 250, 250, 250]);
    const rgba = { width: 1, height: 1, channels: 4 as const, data: new Uint8Array([1, 2, 3, 100]) };
    const r = decodeImage(encodePng(rgba));
    expect(r.channels).toBe(4);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 100]);
    const flat = { width: 16, height: 16, channels: 3 as const, data: new Uint8Array(16 * 16 * 3).fill(120) };
    const j = decodeImage(encodeJpeg(flat), 'x.jpg');
    expect(j.channels).toBe(3);
    for (const v of j.data) expect(Math.abs(v - 120)).toBeLessThanOrEqual(2);
  });

  it('names the file when it is not an image, is corrupt, or cannot be read', async () => {
    const dir = join(root, 'bad');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.png'), 'hello, I am text');
    await expect(readImage(join(dir, 'notes.png'))).rejects.toThrow(/notes\.png: not a PNG or JPEG image/);
    const png = encodePng(rgb(4, 4));
    await writeFile(join(dir, 'cut.png'), png.subarray(0, 40));
    await expect(readImage(join(dir, 'cut.png'))).rejects.toThrow(/cut\.png: cannot decode PNG image/);
    await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png: cannot read file \(ENOENT\)/);
  });
});

describe('A|B folder layout', () => {
  it('reads A|B files in name order and splits them; AtoB and BtoA', async () => {
    const dir = join(root, 'ab');
    await mkdir(dir);
    // A half: (x*10, y*10, 1); B half: (x*10 + 40, y*10, 1), i.e. B = A shifted by 40 in red.
    await writeFile(join(dir, 'b.png'), encodePng(rgb(8, 4, 1)));
    await writeFile(join(dir, 'a.png'), encodePng(rgb(8, 4, 2)));
    await writeFile(join(dir, 'readme.txt'), 'ignored: not an image extension');
    const src = await abFolderPairs(dir);
    expect(src.length).toBe(2);
    expect(src.name(0)).toMatch(/a\.png$/);
    const p = await src.load(0);
    expect(p.a.width).toBe(4);
    expect(Array.from(p.a.data).slice(0, 6)).toEqual([0, 0, 2, 10, 0, 2]);
    expect(Array.from(p.b.data).slice(0, 6)).toEqual([40, 0, 2, 50, 0, 2]);
    for (const direction of ['AtoB', 'BtoA'] as const) {
      for await (const { input, target } of pairedBatches(src, { imageSize: 4, jitter: false, shuffle: false, direction })) {
        const [want, other] = direction === 'AtoB' ? [p.a, p.b] : [p.b, p.a];
        expect(Array.from(input.dataSync().slice(0, 12))).toEqual(Array.from(imageToTensor(want).dataSync().slice(0, 12)));
        expect(Array.from(target.dataSync().slice(0, 12))).toEqual(Array.from(imageToTensor(other).dataSync().slice(0, 12)));
        tf.dispose([input, target]);
        break;
      }
    }
  });

  it('rejects odd widths naming the file, splits other aspects at the middle, rejects empty or missing folders', async () => {
    const dir = join(root, 'ab-bad');
    await mkdir(dir);
    await writeFile(join(dir, 'odd.png'), encodePng(rgb(7, 4)));
    await writeFile(join(dir, 'square.png'), encodePng(rgb(4, 4)));
    const src = await abFolderPairs(dir);
    await expect(src.load(0)).rejects.toThrow(/odd\.png: an A\|B image must have an even width \(got 7x4\)/);
    const square = await src.load(1); // 4x4: two 2x4 halves
    expect([square.a.width, square.a.height, square.b.width, square.b.height]).toEqual([2, 4, 2, 4]);
    const empty = join(root, 'empty');
    await mkdir(empty);
    await writeFile(join(empty, 'notes.txt'), 'x');
    await expect(abFolderPairs(empty)).rejects.toThrow(/empty: no images in folder/);
    await expect(abFolderPairs(join(root, 'nope'))).rejects.toThrow(/nope: cannot read folder \(ENOENT\)/);
  });
});

describe('two-folder layout', () => {
  it('pairs files by name without extension (PNG with JPEG)', async () => {
    const A = join(root, 'two', 'A');
    const B = join(root, 'two', 'B');
    await mkdir(A, { recursive: true });
    await mkdir(B, { recursive: true });
    await writeFile(join(A, '1.png'), encodePng(rgb(4, 4, 11)));
    await writeFile(join(B, '1.jpg'), encodeJpeg({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(200) }));
    await writeFile(join(A, '2.png'), encodePng(rgb(4, 4, 22)));
    await writeFile(join(B, '2.png'), encodePng(rgb(4, 4, 33)));
    const src = await folderPairs(join(root, 'two'));
    expect(src.length).toBe(2);
    const p = await src.load(0);
    expect(p.a.data[2]).toBe(11);
    expect(p.b.width).toBe(8);
    // Different sizes are resized to the same imageSize.
    for await (const { input, target } of pairedBatches(src, { imageSize: 4, batchSize: 2 })) {
      expect(input.shape).toEqual([2, 4, 4, 3]);
      expect(target.shape).toEqual([2, 4, 4, 3]);
      tf.dispose([input, target]);
    }
  });

  it('lists unmatched names from both sides', async () => {
    const A = join(root, 'two-bad', 'A');
    const B = join(root, 'two-bad', 'B');
    await mkdir(A, { recursive: true });
    await mkdir(B, { recursive: true });
    await writeFile(join(A, 'x.png'), encodePng(rgb(2, 2)));
    await writeFile(join(A, 'only-a.png'), encodePng(rgb(2, 2)));
    await writeFile(join(B, 'x.png'), encodePng(rgb(2, 2)));
    await writeFile(join(B, 'only-b.jpg'), encodePng(rgb(2, 2)));
    await expect(twoFolderPairs(A, B)).rejects.toThrow(/unmatched file names.*only-a\.png.*only-b\.jpg/);
  });
});

describe('streaming from disk', () => {
  it('decodes at most (prefetch + 1) * batchSize images at once over a few hundred files', async () => {
    const dir = join(root, 'many');
    await writeFacadeDataset({ out: dir, count: 240, size: 16, seed: 4 });
    const files = await abFolderPairs(dir);
    let inFlight = 0;
    let consumed = 0;
    let maxAlive = 0;
    const counting: PairSource = {
      length: files.length,
      name: files.name,
      load: async (i) => {
        inFlight++;
        return files.load(i);
      },
    };
    const batchSize = 4;
    const prefetch = 2;
    const before = tf.memory().numTensors;
    for await (const { input, target } of pairedBatches(counting, { imageSize: 16, batchSize, prefetch })) {
      maxAlive = Math.max(maxAlive, inFlight - consumed);
      consumed += input.shape[0];
      tf.dispose([input, target]);
    }
    expect(consumed).toBe(240);
    expect(maxAlive).toBeLessThanOrEqual((prefetch + 1) * batchSize);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('grids and report', () => {
  it('tiles input | output | target with gaps and mixes gray and RGB columns', () => {
    const a = tf.fill([2, 3, 3, 1], -1) as tf.Tensor4D; // black
    const b = tf.fill([2, 3, 3, 3], 1) as tf.Tensor4D; // white
    const g = sampleGrid([a, b], { gap: 1 });
    expect([g.width, g.height]).toEqual([2 * 3 + 3, 2 * 3 + 3]);
    const px = (x: number, y: number) => Array.from(g.data.subarray((y * g.width + x) * 3, (y * g.width + x) * 3 + 3));
    expect(px(1, 1)).toEqual([0, 0, 0]);
    expect(px(5, 1)).toEqual([255, 255, 255]);
    expect(px(0, 0)).toEqual([255, 255, 255]);
    tf.dispose([a, b]);
  });

  it('writes report.html with one SVG chart per logged value and the latest samples', async () => {
    const history = Array.from({ length: 50 }, (_, i) => ({ step: i + 1, epoch: 0, gTotal: 50 - i, dTotal: 0.7 }));
    const html = renderReport({ history, samples: [{ path: 'samples/step-10.png', step: 10 }, { path: 'samples/step-20.png', step: 20 }], info: { backend: 'cpu' } });
    expect(html.match(/<svg/g)?.length).toBe(2);
    expect(html).toContain('aria-label="gTotal"');
    expect(html.indexOf('step-20.png')).toBeLessThan(html.indexOf('step-10.png'));
    const path = await writeReport(root, { history, samples: [] });
    expect((await readFile(path, 'utf8')).startsWith('<!doctype html>')).toBe(true);
  });
});

describe('report sample selection', () => {
  it('shows the newest grids first and keeps the first (untrained) one for comparison', () => {
    const samples = [0, 50, 100, 150, 200, 250].map((step) => ({ path: `s${step}.png`, step }));
    const html = renderReport({ history: [], samples, maxSamples: 3 });
    const order = [...html.matchAll(/src="(s\d+\.png)"/g)].map((m) => m[1]);
    expect(order).toEqual(['s250.png', 's200.png', 's0.png']);
  });
});
