// initType / initGain (the reference's init_weights): the statistics of initialised weights against the
// formulas of PyTorch's initialisers (torch.nn.init), with fans computed here by hand from the layer shapes.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { resnetGenerator } from '../../src/generator/resnet_generator.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';

function weight(model: tfl.LayersModel, layer: string, index = 0): { values: Float32Array; shape: number[] } {
  const w = model.getLayer(layer).getWeights()[index]!;
  return { values: w.dataSync() as Float32Array, shape: w.shape };
}

function stats(v: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length) };
}

/** The tfjs kernel `[..., a, b]` as a rows x b matrix, and its Gram matrix of columns (or rows when wide). */
function gram(values: Float32Array, shape: number[]): { g: number[][]; n: number } {
  const cols = shape[shape.length - 1]!;
  const rows = values.length / cols;
  const m = tf.tensor2d(values, [rows, cols]);
  const g = rows >= cols ? tf.matMul(m, m, true, false) : tf.matMul(m, m, false, true);
  const out = g.arraySync() as number[][];
  tf.dispose([m, g]);
  return { g: out, n: out.length };
}

describe('initType / initGain', () => {
  // resnetGenerator filters 16: block convs are 3x3, 64 -> 64 (36,864 values); up1_deconv is a 3x3 transposed
  // conv 64 -> 32, whose PyTorch weight is [in 64, out 32, 3, 3], so PyTorch's fan_in = 32 * 9 = 288 and
  // fan_out = 64 * 9 = 576.
  it("'normal': N(0, gain^2), the default gain 0.02", () => {
    const a = resnetGenerator({ blocks: 1, filters: 16, seed: 1 });
    const b = resnetGenerator({ blocks: 1, filters: 16, seed: 1, initType: 'normal', initGain: 0.07 });
    const sa = stats(weight(a, 'block1_conv1').values);
    const sb = stats(weight(b, 'block1_conv1').values);
    expect(Math.abs(sa.mean)).toBeLessThan(0.001);
    expect(sa.std).toBeGreaterThan(0.02 * 0.97);
    expect(sa.std).toBeLessThan(0.02 * 1.03);
    expect(sb.std).toBeGreaterThan(0.07 * 0.97);
    expect(sb.std).toBeLessThan(0.07 * 1.03);
    a.dispose();
    b.dispose();
  });

  it("'xavier': std = gain * sqrt(2 / (fan_in + fan_out))", () => {
    const g = resnetGenerator({ blocks: 1, filters: 16, seed: 2, initType: 'xavier', initGain: 1.5 });
    const conv = stats(weight(g, 'block1_conv1').values).std;
    const want = 1.5 * Math.sqrt(2 / (576 + 576));
    expect(conv / want).toBeGreaterThan(0.97);
    expect(conv / want).toBeLessThan(1.03);
    const deconv = stats(weight(g, 'up1_deconv').values).std;
    const wantDeconv = 1.5 * Math.sqrt(2 / (288 + 576));
    expect(deconv / wantDeconv).toBeGreaterThan(0.96);
    expect(deconv / wantDeconv).toBeLessThan(1.04);
    g.dispose();
  });

  it("'kaiming': std = sqrt(2 / fan_in) with PyTorch's fan_in (a transposed conv's is its output channels); the gain is ignored", () => {
    const g = resnetGenerator({ blocks: 1, filters: 16, seed: 3, initType: 'kaiming', initGain: 123 });
    const conv = stats(weight(g, 'block1_conv1').values).std;
    expect(conv / Math.sqrt(2 / 576)).toBeGreaterThan(0.97);
    expect(conv / Math.sqrt(2 / 576)).toBeLessThan(1.03);
    const deconv = stats(weight(g, 'up1_deconv').values).std;
    expect(deconv / Math.sqrt(2 / 288)).toBeGreaterThan(0.96);
    expect(deconv / Math.sqrt(2 / 288)).toBeLessThan(1.04);
    g.dispose();
  });

  it("'orthogonal': the flattened kernel has orthonormal columns (tall) or rows (wide), times the gain", () => {
    // Tall: 3x3x64 -> 64 (576 x 64). Wide: the PixelGAN's 1x1 conv0, 6 -> 16 (6 x 16).
    const g = resnetGenerator({ blocks: 1, filters: 16, seed: 4, initType: 'orthogonal', initGain: 2 });
    const d = patchDiscriminator({ receptiveField: 1, filters: 16, seed: 4, initType: 'orthogonal', initGain: 1 });
    for (const [model, layer, gain, n] of [[g, 'block1_conv1', 2, 64], [d, 'conv0', 1, 6]] as const) {
      const { values, shape } = weight(model, layer);
      const { g: m, n: size } = gram(values, shape);
      expect(size).toBe(n);
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) expect(Math.abs(m[i]![j]! - (i === j ? gain * gain : 0))).toBeLessThan(1e-4 * gain * gain);
      }
    }
    g.dispose();
    d.dispose();
  });

  it('biases 0 and batch-norm scales N(1, gain^2), shifts 0 (every factory)', () => {
    const g = resnetGenerator({ blocks: 3, filters: 16, seed: 5, initGain: 0.1 });
    const u = unetGenerator({ numDowns: 5, imageSize: 32, filters: 16, seed: 5, initGain: 0.1 });
    const d = patchDiscriminator({ receptiveField: 70, filters: 16, seed: 5, initGain: 0.1 });
    for (const model of [g, u, d]) {
      const gammas: number[] = [];
      for (const layer of model.layers) {
        for (const w of layer.weights) {
          const v = Array.from(w.read().dataSync());
          if (w.originalName.endsWith('gamma')) gammas.push(...v);
          if (w.originalName.endsWith('bias') || w.originalName.endsWith('beta')) expect(v.every((x) => x === 0)).toBe(true);
        }
      }
      const s = stats(gammas);
      expect(gammas.length).toBeGreaterThan(200);
      expect(Math.abs(s.mean - 1)).toBeLessThan(0.02);
      expect(s.std).toBeGreaterThan(0.085);
      expect(s.std).toBeLessThan(0.115);
      model.dispose();
    }
  });

  it('the U-Net and the discriminator take initType too (kaiming on a 4x4 conv: fan_in = 16 * in)', () => {
    // unet filters 16: down2_conv is 4x4, 16 -> 32: fan_in 256. PatchGAN filters 16: conv1 4x4, 16 -> 32.
    const u = unetGenerator({ numDowns: 5, imageSize: 32, filters: 16, seed: 6, initType: 'kaiming' });
    const d = patchDiscriminator({ receptiveField: 70, filters: 16, seed: 6, initType: 'kaiming' });
    for (const [model, layer] of [[u, 'down2_conv'], [d, 'conv1']] as const) {
      const std = stats(weight(model, layer).values).std;
      expect(std / Math.sqrt(2 / 256)).toBeGreaterThan(0.95);
      expect(std / Math.sqrt(2 / 256)).toBeLessThan(1.05);
    }
    u.dispose();
    d.dispose();
  });

  it('the same seed gives the same weights; bad values are refused, quoting them', () => {
    const a = resnetGenerator({ blocks: 1, filters: 4, seed: 7, initType: 'orthogonal' });
    const b = resnetGenerator({ blocks: 1, filters: 4, seed: 7, initType: 'orthogonal' });
    expect(Array.from(weight(a, 'conv0').values)).toEqual(Array.from(weight(b, 'conv0').values));
    a.dispose();
    b.dispose();
    expect(() => resnetGenerator({ initType: 'he' as never })).toThrow("initType must be one of 'normal' | 'xavier' | 'kaiming' | 'orthogonal' (got 'he')");
    expect(() => unetGenerator({ numDowns: 5, initGain: -1 })).toThrow('initGain must be a finite number >= 0 (got -1)');
    expect(() => patchDiscriminator({ initGain: Number.NaN })).toThrow('initGain must be a finite number >= 0 (got NaN)');
  });
});
