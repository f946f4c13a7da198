// Tiny hand-computable discriminators for the loss tests.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Linear PixelGAN-like D: logits = wIn * input + wTarget * image at every pixel (1x1 conv, no bias).
 * Conditional (two inputs) unless `wIn` is null. Images are [b, size, size, 1].
 */
export function linearD(wIn: number | null, wTarget: number, size = 2): tfl.LayersModel {
  const image = tfl.input({ shape: [size, size, 1] });
  if (wIn === null) {
    const out = tfl.layers
      .conv2d({ filters: 1, kernelSize: 1, useBias: false })
      .apply(image) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: image, outputs: out });
    m.setWeights([tf.tensor4d([wTarget], [1, 1, 1, 1])]);
    return m;
  }
  const input = tfl.input({ shape: [size, size, 1] });
  const both = tfl.layers.concatenate().apply([input, image]) as tfl.SymbolicTensor;
  const out = tfl.layers.conv2d({ filters: 1, kernelSize: 1, useBias: false }).apply(both) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: [input, image], outputs: out });
  m.setWeights([tf.tensor4d([wIn, wTarget], [1, 1, 2, 1])]);
  return m;
}

/** Numerically stable softplus in plain JS: log(1 + e^x). */
export const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Mean of a plain array. */
export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Reads a scalar tensor and disposes it. */
export function num(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}
