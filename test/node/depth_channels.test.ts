import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageToTensor, pairedBatches } from '../../src/index.js';
import { stackChannels } from '../../src/data/image.js';
import { decodeImage, encodePng, folderPairs } from '../../src/node/index.js';

const fixture = (name: string) => readFile(new URL(`../fixtures/images/${name}`, import.meta.url));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'p2p-depth-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('16-bit PNGs (fixtures by scripts/fixtures/make_png16_fixtures.py)', () => {
  it('reads a 16-bit gray PNG at full precision, one channel', async () => {
    const img = decodeImage(await fixture('gray16.png'), 'gray16.png');
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([3, 2, 1, 16]);
    expect(Array.from(img.data)).toEqual([0, 256, 257, 65535, 32768, 1000]);
    // v / 32767.5 - 1: 256 and 257 stay apart (in 8 bits both would be 1).
    const t = imageToTensor(img);
    const v = Array.from(t.dataSync());
    expect(v[0]).toBeCloseTo(-1, 6);
    expect(v[1]).toBeCloseTo(256 / 32767.5 - 1, 6);
    expect(v[2]! - v[1]!).toBeCloseTo(1 / 32767.5, 8);
    expect(v[3]).toBeCloseTo(1, 6);
    t.dispose();
  });

  it('reads a 16-bit RGB PNG at full precision and writes it back as 8 bits', async () => {
    const img = decodeImage(await fixture('rgb16.png'), 'rgb16.png');
    expect([img.width, img.height, img.channels, img.bitDepth]).toEqual([2, 2, 3, 16]);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 65535, 65534, 65533, 300, 301, 302, 40000, 40001, 40002]);
    const back = decodeImage(encodePng(img));
    // round(v / 257): 0 0 0 255 255 255 1 1 1 156 156 156 (hand-computed)
    expect(Array.from(back.data)).toEqual([0, 0, 0, 255, 255, 255, 1, 1, 1, 156, 156, 156]);
  });
});

describe('more channels by stacking aligned images', () => {
  it('stackChannels concatenates channels pixel by pixel and refuses different sizes', () => {
    const rgb = { width: 2, height: 1, channels: 3, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    const gray = { width: 2, height: 1, channels: 1, data: new Uint8Array([7, 8]) };
    const s = stackChannels([rgb, gray]);
    expect(s.channels).toBe(4);
    expect(Array.from(s.data)).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
    expect(() => stackChannels([rgb, { width: 1, height: 1, data: new Uint8Array([0]) }], 'x.png')).toThrow('x.png: stacked images must have one size (got 2x1 and 1x1)');
  });

  it('folderPairs stacks A/ + A2/ into 6 input channels for pairedBatches', async () => {
    const dir = join(root, 'stack');
    for (const sub of ['A', 'A2', 'B']) await mkdir(join(dir, sub), { recursive: true });
    const px = (w: number, h: number, v: number) => ({ width: w, height: h, channels: 3 as const, data: new Uint8Array(w * h * 3).fill(v) });
    await writeFile(join(dir, 'A', 'p.png'), encodePng(px(8, 4, 0)));
    await writeFile(join(dir, 'A2', 'p.png'), encodePng(px(8, 4, 255)));
    await writeFile(join(dir, 'B', 'p.png'), encodePng(px(8, 4, 51)));
    const src = await folderPairs(dir);
    expect(src.name(0)).toBe(`${join(dir, 'A', 'p.png')} + ${join(dir, 'A2', 'p.png')} + ${join(dir, 'B', 'p.png')}`);
    for await (const { input, target } of pairedBatches(src, { preprocess: 'none', inputChannels: 6, jitter: false })) {
      expect(input.shape).toEqual([1, 4, 8, 6]);
      expect(target.shape).toEqual([1, 4, 8, 3]);
      expect(Array.from(input.dataSync().slice(0, 6))).toEqual([-1, -1, -1, 1, 1, 1]);
      tf.dispose([input, target]);
    }
    await expect(async () => {
      for await (const b of pairedBatches(src, { preprocess: 'none', inputChannels: 3 })) tf.dispose([b.input, b.target]);
    }).rejects.toThrow(/cannot convert an image of 6 channels to 3 channels/);
    await rm(join(dir, 'A2', 'p.png'));
    await writeFile(join(dir, 'A2', 'q.png'), encodePng(px(8, 4, 0)));
    await expect(folderPairs(dir)).rejects.toThrow(/unmatched file names/);
  });
});
