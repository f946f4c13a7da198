import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { translateImage } from '../../src/generator/translate_image.js';

/** PSNR in dB between two tensors of values in [-1, 1] (peak-to-peak 2). */
function psnr(a: tf.Tensor, b: tf.Tensor): number {
  const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(a, b))).dataSync()[0]!);
  return 10 * Math.log10(4 / mse);
}

/** A pointwise (1x1 conv) model: every pixel's output depends on that pixel alone, divisor 1. */
function pointwise(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] });
  const y = tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'tanh', kernelInitializer: 'glorotUniform' }).apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

describe('translateImage', () => {
  it('keeps a 300x200 image at 300x200: reflect-pad to 320x224, translate, crop back', () => {
    const g = unetGenerator({ numDowns: 5, filters: 2, seed: 4 });
    const x = tf.randomUniform([200, 300, 3], -1, 1, 'float32', 1) as tf.Tensor3D;
    const y = translateImage(g, x);
    expect(y.shape).toEqual([200, 300, 3]);
    // Independently: pad 24 rows (12 top, 12 bottom) and 20 columns (10, 10) by reflection, predict, crop.
    const expected = tf.tidy(() => {
      const p = tf.mirrorPad(x, [[12, 12], [10, 10], [0, 0]], 'reflect');
      const out = g.predict(tf.expandDims(p, 0)) as tf.Tensor4D;
      return tf.squeeze(tf.slice(out, [0, 12, 10, 0], [1, 200, 300, 3]), [0]);
    });
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]!)).toBeLessThan(1e-5);
    tf.dispose([x, y, expected]);
    g.dispose();
  });

  it('resize: [w, h] gives that size', () => {
    const g = unetGenerator({ numDowns: 3, filters: 2, seed: 1 });
    const x = tf.zeros([20, 30, 3]) as tf.Tensor3D;
    const y = translateImage(g, x, { resize: [64, 40] });
    expect(y.shape).toEqual([40, 64, 3]);
    tf.dispose([x, y]);
    g.dispose();
  });

  it('tiles blend to exactly the whole-image result for a pointwise model (weights and crop are right)', () => {
    const g = pointwise();
    const x = tf.randomUniform([37, 53, 3], -1, 1, 'float32', 2) as tf.Tensor3D;
    const whole = translateImage(g, x);
    const tiled = translateImage(g, x, { tile: 16, overlap: 5 });
    const auto = translateImage(g, x, { maxPixels: 300 }); // automatic tiles of 17 = floor(sqrt(300))
    expect(tiled.shape).toEqual([37, 53, 2]);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(whole, tiled))).dataSync()[0]!)).toBeLessThan(1e-6);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(whole, auto))).dataSync()[0]!)).toBeLessThan(1e-6);
    tf.dispose([x, whole, tiled, auto]);
    g.dispose();
  });

  it('tiled U-Net inference matches the whole image closely away from the border (PSNR > 30 dB)', () => {
    const g = unetGenerator({ numDowns: 3, filters: 4, seed: 7 });
    const x = tf.tidy(() => tf.tanh(tf.randomNormal([96, 128, 3], 0, 1, 'float32', 3))) as tf.Tensor3D;
    const whole = translateImage(g, x);
    const tiled = translateImage(g, x, { tile: 48, overlap: 16 });
    const inner = (t: tf.Tensor3D) => tf.slice(t, [8, 8, 0], [80, 112, -1]);
    const [a, b] = [inner(whole), inner(tiled)];
    expect(psnr(a, b)).toBeGreaterThan(30);
    tf.dispose([x, whole, tiled, a, b]);
    g.dispose();
  });

  it('a model with a fixed input size (saved by earlier versions) runs at that size; the result has the image size', () => {
    // Pointwise model fixed to 8x8: resizing a constant image changes nothing, so the output is tanh(input).
    const fixed = tfl.sequential({ layers: [tfl.layers.activation({ activation: 'tanh', inputShape: [8, 8, 3] })] });
    const x = tf.fill([12, 20, 3], 0.5) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    const y = translateImage(fixed, x, { mode: 'inference' });
    expect(y.shape).toEqual([12, 20, 3]);
    expect(Math.max(...Array.from(y.dataSync()).map((v) => Math.abs(v - Math.tanh(0.5))))).toBeLessThan(1e-6);
    expect(tf.memory().numTensors).toBe(before + 1); // only the result is left
    tf.dispose([x, y]);
  });

  it('refuses non-finite output, a wrong channel count, a bad tile and unknown keys', () => {
    const g = pointwise();
    const x = tf.zeros([4, 4, 3]) as tf.Tensor3D;
    const w = g.getWeights();
    g.setWeights([tf.fill(w[0]!.shape, NaN), w[1]!]);
    expect(() => translateImage(g, x)).toThrow(/non-finite values/);
    expect(() => translateImage(g, x, { tile: 2 })).toThrow(/non-finite values \(NaN or Infinity\) in the 2x2 tile at x 0, y 0/);
    const x1 = tf.zeros([4, 4, 1]) as tf.Tensor3D;
    expect(() => translateImage(g, x1)).toThrow("image channels must be the generator's input channels = 3 (got 1)");
    const u = unetGenerator({ numDowns: 3, filters: 2 });
    expect(() => translateImage(u, x, { tile: 12 })).toThrow("tile must be a multiple of the generator's divisor 8 (got 12)");
    expect(() => translateImage(u, x, { tiles: 16 } as never)).toThrow("unknown option 'tiles' of translateImage (did you mean 'tile'?)");
    tf.dispose([x, x1]);
    g.dispose();
    u.dispose();
  });
});
