import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  convertChannels,
  defaultLoadSize,
  imageToTensor,
  pairedBatches,
  preprocessPair,
  splitAB,
  joinAB,
  tensorToImage,
  type ImagePair,
  type PairSource,
} from '../../src/index.js';

/** A pair source of random RGB images where B = 255 - A (so any shared crop/flip keeps target = -input). */
function inverseSource(n: number, size: number, counter?: { started: number }): PairSource {
  return {
    length: n,
    name: (i) => `pair${i}.png`,
    load: async (i): Promise<ImagePair> => {
      if (counter) counter.started++;
      await new Promise((r) => setTimeout(r, 0));
      const a = new Uint8Array(size * size * 3);
      let s = i * 7919 + 1;
      for (let k = 0; k < a.length; k++) a[k] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
      return { a: { width: size, height: size, data: a }, b: { width: size, height: size, data: a.map((v) => 255 - v) } };
    },
  };
}

describe('image conversions', () => {
  it('maps bytes to [-1, 1] and back', () => {
    const t = imageToTensor({ width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) });
    expect(Array.from(t.dataSync())).toEqual([-1, 1]);
    expect(Array.from(tensorToImage(t).data)).toEqual([0, 255]);
    t.dispose();
  });

  it('converts channels: gray -> RGB replicates, RGBA -> RGB drops alpha, RGB -> gray uses BT.601 luma', () => {
    expect(Array.from(convertChannels({ width: 1, height: 1, data: new Uint8Array([77]) }, 3).data)).toEqual([77, 77, 77]);
    expect(Array.from(convertChannels({ width: 1, height: 1, data: new Uint8Array([1, 2, 3, 4]) }, 3).data)).toEqual([1, 2, 3]);
    expect(Array.from(convertChannels({ width: 1, height: 1, data: new Uint8Array([1, 2, 3]) }, 4).data)).toEqual([1, 2, 3, 255]);
    // 0.299*200 + 0.587*100 + 0.114*50 = 59.8 + 58.7 + 5.7 = 124.2
    expect(Array.from(convertChannels({ width: 1, height: 1, data: new Uint8Array([200, 100, 50]) }, 1).data)).toEqual([124]);
  });
});

describe('A|B layout', () => {
  it('splits a side-by-side image into halves and joins them back', () => {
    // 4x2 gray image: left half values 1,2 / 5,6, right half 3,4 / 7,8.
    const img = { width: 4, height: 2, channels: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };
    const { a, b } = splitAB(img, 'x.png');
    expect(Array.from(a.data)).toEqual([1, 2, 5, 6]);
    expect(Array.from(b.data)).toEqual([3, 4, 7, 8]);
    expect(Array.from(joinAB(a, b).data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('rejects odd widths naming the file, and splits any aspect at the middle', () => {
    expect(() => splitAB({ width: 5, height: 2, channels: 1, data: new Uint8Array(10) }, 'odd.png')).toThrow(/odd\.png: .*even width \(got 5x2\)/);
    // 6x2 (3:1): halves 3x2, left 1,2,3 / 7,8,9, right 4,5,6 / 10,11,12
    const { a, b } = splitAB({ width: 6, height: 2, channels: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) }, 'wide.png');
    expect([a.width, a.height, b.width, b.height]).toEqual([3, 2, 3, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 7, 8, 9]);
    expect(Array.from(b.data)).toEqual([4, 5, 6, 10, 11, 12]);
  });
});

describe('preprocessing', () => {
  it('uses the paper load size: 286 for 256', () => {
    expect(defaultLoadSize(256)).toBe(286);
    expect(defaultLoadSize(128)).toBe(143);
    expect(defaultLoadSize(32)).toBe(36);
  });

  it('crops and flips A and B identically (hand-checked indices)', () => {
    // 3x3 single-channel images, loadSize 3 (no resize), crop 2 at x=1, y=0, flipped.
    const a = tf.tensor3d([0, 1, 2, 3, 4, 5, 6, 7, 8], [3, 3, 1]);
    const b = tf.tensor3d([10, 11, 12, 13, 14, 15, 16, 17, 18], [3, 3, 1]);
    const out = preprocessPair(a, b, { imageSize: 2, loadSize: 3, jitter: { x: 1, y: 0, flip: true } });
    expect(Array.from(out.a.dataSync())).toEqual([2, 1, 5, 4]);
    expect(Array.from(out.b.dataSync())).toEqual([12, 11, 15, 14]);
    const ev = preprocessPair(a, b, { imageSize: 3, jitter: null });
    expect(Array.from(ev.a.dataSync())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    tf.dispose([a, b, out.a, out.b, ev.a, ev.b]);
  });
});

describe('pairedBatches', () => {
  it('applies the same random crop and flip to input and target, different per epoch', async () => {
    const data = pairedBatches(inverseSource(4, 20), { imageSize: 16, loadSize: 20, batchSize: 2, seed: 3, shuffle: false });
    const firstInputs: number[][] = [];
    for (let e = 0; e < 2; e++) {
      for await (const { input, target, indices } of data) {
        expect(input.shape).toEqual([2, 16, 16, 3]);
        // target = 255 - input in bytes  <=>  target = -input in [-1, 1]
        const diff = tf.max(tf.abs(tf.add(input, target))).dataSync()[0]!;
        expect(diff).toBeLessThan(1e-5);
        if (e === 0) firstInputs.push(Array.from(input.dataSync()));
        else if (indices[0] === 0) expect(Array.from(input.dataSync())).not.toEqual(firstInputs[0]);
        tf.dispose([input, target]);
      }
    }
    expect(data.nextEpoch).toBe(2);
  });

  it('crops from the resized image, and does not jitter for evaluation', async () => {
    const src = inverseSource(1, 16);
    const pair = await src.load(0);
    const data = pairedBatches(src, { imageSize: 16, jitter: false });
    for await (const { input, target } of data) {
      expect(Array.from(input.dataSync())).toEqual(Array.from(imageToTensor(pair.a).dataSync()));
      expect(Array.from(target.dataSync())).toEqual(Array.from(imageToTensor(pair.b).dataSync()));
      tf.dispose([input, target]);
    }
  });

  it('direction BtoA swaps input and target', async () => {
    const src = inverseSource(1, 8);
    const pair = await src.load(0);
    for await (const { input, target } of pairedBatches(src, { imageSize: 8, jitter: false, direction: 'BtoA' })) {
      expect(Array.from(input.dataSync())).toEqual(Array.from(imageToTensor(pair.b).dataSync()));
      expect(Array.from(target.dataSync())).toEqual(Array.from(imageToTensor(pair.a).dataSync()));
      tf.dispose([input, target]);
    }
    expect(() => pairedBatches(src, { direction: 'AB' as never })).toThrow(/direction must be one of 'AtoB' \| 'BtoA' \(got 'AB'\)/);
  });

  it('converts channels: grayscale input, RGBA target', async () => {
    const data = pairedBatches(inverseSource(2, 8), { imageSize: 8, inputChannels: 1, targetChannels: 4, batchSize: 2 });
    for await (const { input, target } of data) {
      expect(input.shape).toEqual([2, 8, 8, 1]);
      expect(target.shape).toEqual([2, 8, 8, 4]);
      tf.dispose([input, target]);
    }
  });

  it('shuffles with a seed: every index once per epoch, new order per epoch, reproducible', () => {
    const a = pairedBatches(inverseSource(50, 4), { seed: 1 });
    const b = pairedBatches(inverseSource(50, 4), { seed: 1 });
    expect(a.order(0)).toEqual(b.order(0));
    expect(a.order(0)).not.toEqual(a.order(1));
    expect([...a.order(1)].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pairedBatches(inverseSource(50, 4), { shuffle: false }).order(3)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('batches with a partial last batch, or drops it', async () => {
    const sizes = async (drop: boolean) => {
      const out: number[] = [];
      for await (const { input, target } of pairedBatches(inverseSource(7, 4), { imageSize: 4, batchSize: 3, dropRemainder: drop })) {
        out.push(input.shape[0]);
        tf.dispose([input, target]);
      }
      return out;
    };
    expect(await sizes(false)).toEqual([3, 3, 1]);
    expect(await sizes(true)).toEqual([3, 3]);
  });

  it('streams with bounded memory: at most (prefetch + 1) * batchSize pairs loaded ahead, tensors flat', async () => {
    const counter = { started: 0 };
    const batchSize = 4;
    const prefetch = 2;
    const data = pairedBatches(inverseSource(300, 8, counter), { imageSize: 8, batchSize, prefetch, seed: 0 });
    let consumed = 0;
    let maxAhead = 0;
    let tensorsAfterFirst = -1;
    for await (const { input, target } of data) {
      await new Promise((r) => setTimeout(r, 1)); // a slow consumer: the loader runs ahead as far as allowed
      maxAhead = Math.max(maxAhead, counter.started - consumed);
      consumed += input.shape[0];
      tf.dispose([input, target]);
      if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBeLessThanOrEqual(tensorsAfterFirst + 2 * prefetch);
    }
    expect(consumed).toBe(300);
    expect(maxAhead).toBeLessThanOrEqual((prefetch + 1) * batchSize);
    expect(maxAhead).toBeGreaterThanOrEqual(batchSize * 2); // it does prefetch
  });

  it('breaking out of an epoch frees the batches prepared ahead', async () => {
    const before = tf.memory().numTensors;
    for await (const { input, target } of pairedBatches(inverseSource(20, 8), { imageSize: 8, prefetch: 3 })) {
      tf.dispose([input, target]);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a load error with the source name', async () => {
    const bad: PairSource = { length: 2, name: (i) => `f${i}.png`, load: async () => ({ a: { width: 2, height: 2, data: new Uint8Array(5) }, b: { width: 2, height: 2, data: new Uint8Array(12) } }) };
    await expect(async () => {
      for await (const b of pairedBatches(bad, { imageSize: 2 })) tf.dispose([b.input, b.target]);
    }).rejects.toThrow(/f[01]\.png: /);
  });
});
