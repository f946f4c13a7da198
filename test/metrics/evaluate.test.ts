// evaluate(): per-image and summary metrics on the 8-bit outputs, recomputed here by hand from the pixels.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../src/data/image.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { evaluate, type EvaluatedImage } from '../../src/metrics/evaluate.js';
import { facadePairs } from '../../src/data/facades/source.js';
import { facadeSample } from '../../src/data/facades/sample.js';
import { FACADE_CLASSES } from '../../src/data/facades/palette.js';

const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 1 });

/** Mean |o - t| and mean (o - t)^2 of two 8-bit images, in [-1, 1] units. */
function handL1L2(o: RawImage, t: RawImage): [number, number] {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < o.data.length; i++) {
    const d = (o.data[i]! - t.data[i]!) / 127.5;
    s1 += Math.abs(d);
    s2 += d * d;
  }
  return [s1 / o.data.length, s2 / o.data.length];
}

describe('evaluate', () => {
  it('scores every pair on the 8-bit images (L1, L2, PSNR by hand) with mean and population std', async () => {
    const data = facadePairs({ count: 3, size: 32, seed: 0 });
    const seen: EvaluatedImage[] = [];
    const n0 = tf.memory().numTensors;
    const r = await evaluate(G, data, { mode: 'inference', onImage: (img) => void seen.push(img) });
    expect(tf.memory().numTensors).toBe(n0);
    expect(r.mode).toBe('inference');
    expect(r.images).toHaveLength(3);
    expect(r.scored).toBe(3);
    expect(seen.map((s) => s.index)).toEqual([0, 1, 2]);
    const l1s: number[] = [];
    for (const [i, s] of seen.entries()) {
      expect([s.output.width, s.output.height, s.output.channels]).toEqual([32, 32, 3]);
      const [l1, l2] = handL1L2(s.output, s.target!);
      expect(r.images[i]!.metrics!.l1).toBeCloseTo(l1, 5);
      expect(r.images[i]!.metrics!.l2).toBeCloseTo(l2, 5);
      expect(r.images[i]!.metrics!.psnr).toBeCloseTo(10 * Math.log10(4 / l2), 3);
      expect(r.images[i]!.metrics!.ssim).toBeLessThan(1);
      l1s.push(l1);
    }
    const mean = l1s.reduce((a, b) => a + b) / 3;
    expect(r.mean!.l1).toBeCloseTo(mean, 5);
    expect(r.std!.l1).toBeCloseTo(Math.sqrt(l1s.reduce((a, b) => a + (b - mean) ** 2, 0) / 3), 5);
    // The target handed out is B of the pair (AtoB); the input is A.
    const pair = await data.load(0);
    expect(Array.from(seen[0]!.target!.data)).toEqual(Array.from((pair.b as RawImage).data));
    expect(Array.from(seen[0]!.input.data)).toEqual(Array.from((pair.a as RawImage).data));
  });

  it('identical output and target score L1 0, PSNR Infinity, SSIM 1 (identity "generator" in BtoA)', async () => {
    const data = facadePairs({ count: 2, size: 32, seed: 0 });
    // BtoA with the same image on both sides: a source whose A and B are the photo.
    const same = { length: 2, name: (i: number) => `p${i}`, load: async (i: number) => { const p = await data.load(i); return { a: p.b, b: p.b }; } };
    const id = tfl.sequential({ layers: [tfl.layers.activation({ activation: 'linear', inputShape: [null, null, 3] })] });
    const r = await evaluate(id, same, { mode: 'inference', direction: 'BtoA' });
    expect(r.mean).toEqual({ l1: 0, l2: 0, mae: 0, psnr: Infinity, ssim: 1, ssimGaussian: 1 });
  });

  it('inputs alone: outputs but no metrics; count limits the examples; paper mode is the default', async () => {
    const data = facadePairs({ count: 4, size: 32, seed: 0 });
    const inputs = { length: 4, name: (i: number) => `x${i}`, load: async (i: number) => ({ a: (await data.load(i)).a }) };
    const seen: EvaluatedImage[] = [];
    const r = await evaluate(G, inputs, { count: 2, onImage: (img) => void seen.push(img) });
    expect(r.mode).toBe('paper');
    expect(r.images).toEqual([{ name: 'x0' }, { name: 'x1' }]);
    expect(r.mean).toBeNull();
    expect(seen[1]!.target).toBeUndefined();
  });

  it('translates each image at its own size (padded to the divisor and cropped back, as translateImage)', async () => {
    // 50x70 is no multiple of the U-Net's divisor 32: the output still has the input's size.
    const img = { width: 70, height: 50, channels: 3 as const, data: new Uint8Array(50 * 70 * 3).map((_, k) => (k * 37) % 256) };
    const one = { length: 1, name: () => 'odd', load: async () => ({ a: img, b: img }) };
    const seen: EvaluatedImage[] = [];
    const r = await evaluate(G, one, { mode: 'inference', onImage: (e) => void seen.push(e) });
    expect([seen[0]!.output.width, seen[0]!.output.height]).toEqual([70, 50]);
    expect([seen[0]!.input.width, seen[0]!.input.height]).toEqual([70, 50]);
    expect(r.images[0]!.metrics!.l1).toBeGreaterThan(0);
  });

  it('segmentation score: a segmenter that always answers "wall" scores the share of wall pixels', async () => {
    // 1x1 conv with zero kernel and a bias that makes class 1 (wall) the argmax everywhere.
    const k = FACADE_CLASSES.length;
    const seg = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: k, kernelSize: 1, kernelInitializer: 'zeros', biasInitializer: 'zeros' })] });
    const bias = new Float32Array(k);
    bias[1] = 1;
    seg.layers[0]!.setWeights([tf.zeros([1, 1, 3, k]), tf.tensor1d(bias)]);
    const r = await evaluate(G, facadePairs({ count: 2, size: 32, seed: 0 }), { mode: 'inference', segmenter: seg });
    // Truth from the data set's own class ids (not from the coloured maps evaluate reads).
    const labels = [0, 1].flatMap((i) => Array.from(facadeSample(i, { size: 32, seed: 0 }).label));
    const walls = labels.filter((c) => c === 1).length;
    const present = new Set(labels).size;
    expect(r.segmentation!.pixelAccuracy).toBeCloseTo(walls / labels.length, 10);
    expect(r.segmentation!.meanClassAccuracy).toBeCloseTo(1 / present, 10);
    expect(r.segmentation!.meanIoU).toBeCloseTo(walls / labels.length / present, 10); // wall IoU = walls / all pixels, others 0
  });

  it('rejects unknown options', async () => {
    await expect(evaluate(G, facadePairs({ count: 1, size: 32 }), { mdoe: 'paper' } as never)).rejects.toThrow(/did you mean 'mode'/);
  });
});
