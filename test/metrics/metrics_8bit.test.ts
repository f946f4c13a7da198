// The evaluation metrics on 8-bit images against scikit-image's numbers for the same PNGs
// (scripts/fixtures/make_8bit_metric_fixtures.py), never against this code's own output.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { imageToTensor, type RawImage } from '../../src/data/image.js';
import * as tfl from '@tensorflow/tfjs-layers';
import { evaluate, imagePairMetrics } from '../../src/metrics/evaluate.js';
import { ssim } from '../../src/metrics/ssim.js';
import { readImage } from '../../src/node/image_io.js';

interface Case {
  name: string;
  output: string;
  target: string;
  psnr: number;
  ssim: number | null;
  ssim_gaussian: number | null;
  mae: number;
  l1: number;
}

const dir = fileURLToPath(new URL('../fixtures/metrics8/', import.meta.url));
const { cases } = JSON.parse(readFileSync(`${dir}values.json`, 'utf8')) as { cases: Case[] };
const pair = async (c: Case): Promise<[RawImage, RawImage]> => [await readImage(`${dir}${c.output}`), await readImage(`${dir}${c.target}`)];

describe.each(cases)('8-bit metrics vs scikit-image: $name', (c) => {
  it('PSNR, SSIM (7x7 uniform and 11x11 Gaussian), MAE and L1 (SSIM within 1e-4)', async () => {
    const [out, tgt] = await pair(c);
    const n0 = tf.memory().numTensors;
    const m = await imagePairMetrics(out, tgt);
    expect(tf.memory().numTensors).toBe(n0);
    expect(Math.abs(m.psnr - c.psnr)).toBeLessThan(1e-6);
    expect(Math.abs(m.mae - c.mae)).toBeLessThan(1e-9);
    expect(Math.abs(m.l1 - c.l1)).toBeLessThan(1e-9);
    if (c.ssim === null) expect(m.ssim).toBeNaN();
    else expect(Math.abs(m.ssim - c.ssim), `ssim ${m.ssim} vs ${c.ssim}`).toBeLessThan(1e-4);
    if (c.ssim_gaussian === null) expect(m.ssimGaussian).toBeNaN();
    else expect(Math.abs(m.ssimGaussian - c.ssim_gaussian), `ssimGaussian ${m.ssimGaussian} vs ${c.ssim_gaussian}`).toBeLessThan(1e-4);
  });

  it('ssim() of the [-1, 1] tensors equals scikit-image on the 8-bit images; the older [-1, 1] SSIM is another number', async () => {
    const [out, tgt] = await pair(c);
    if (c.ssim === null) return expect(out.width).toBeLessThan(7);
    const a = tf.expandDims(imageToTensor(out), 0) as tf.Tensor4D;
    const b = tf.expandDims(imageToTensor(tgt), 0) as tf.Tensor4D;
    const v = ssim(a, b).dataSync()[0]!; // defaults: range [-1,1], variant uniform7
    expect(Math.abs(v - c.ssim)).toBeLessThan(1e-4);
    if (c.ssim_gaussian !== null) {
      expect(Math.abs(ssim(a, b, { variant: 'gaussian11' }).dataSync()[0]! - c.ssim_gaussian)).toBeLessThan(1e-4);
      // The SSIM of the [-1, 1] values themselves (what versions up to 0.1 reported) is not scikit-image's on the PNGs.
      expect(Math.abs(ssim(a, b, { variant: 'gaussian11-pm1' }).dataSync()[0]! - c.ssim_gaussian)).toBeGreaterThan(1e-3);
    }
    tf.dispose([a, b]);
  });
});

describe('8-bit metrics: validation', () => {
  it('refuses 16-bit images and mismatched sizes, naming what it got', async () => {
    const a: RawImage = { width: 8, height: 8, channels: 1, data: new Uint8Array(64) };
    await expect(imagePairMetrics({ ...a, bitDepth: 16, data: new Uint16Array(64) }, a)).rejects.toThrow(/8-bit/);
    await expect(imagePairMetrics(a, { ...a, width: 4, data: new Uint8Array(32) })).rejects.toThrow(/4x8x1/);
  });

  it('evaluate scores a 16-bit target as the 8-bit image it writes', async () => {
    const [out] = await pair(cases[0]!);
    const wide: RawImage = { ...out, bitDepth: 16, data: Uint16Array.from(out.data, (v) => v * 257 + (v < 255 ? 100 : 0)) };
    const id = tfl.sequential({ layers: [tfl.layers.activation({ activation: 'linear', inputShape: [null, null, 3] })] });
    const seen: RawImage[] = [];
    const r = await evaluate(id, { length: 1, name: () => 'x', load: async () => ({ a: out, b: wide }) }, { mode: 'inference', onImage: (img) => void seen.push(img.target!) });
    expect(seen[0]!.bitDepth ?? 8).toBe(8);
    expect(Array.from(seen[0]!.data)).toEqual(Array.from(out.data));
    expect(r.mean).toMatchObject({ l1: 0, mae: 0, psnr: Infinity, ssim: 1, ssimGaussian: 1 });
    id.dispose();
  });

  it('unknown ssim variant is refused', () => {
    const x = tf.zeros([1, 12, 12, 1]) as tf.Tensor4D;
    expect(() => ssim(x, x, { variant: 'gauss' as never })).toThrow(/gauss/);
    x.dispose();
  });
});
