/**
 * Weight initialisation of the pix2pix reference (`init_type='normal'`, gain 0.02): convolution kernels
 * N(0, 0.02), biases 0, normalization scale N(1, 0.02) and shift 0. Every layer derives its own seed from
 * the model seed and its layer name, so one seed gives identical weights while different layers differ.
 * @internal
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../util/random.js';

/** A tfjs-layers initializer instance. */
export type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/** Standard deviation of the reference's normal initialisation. */
export const INIT_STDDEV = 0.02;

/** The per-layer seed: `deriveSeed(seed, layerName)`, or `undefined` (random) when no model seed was given. */
export function layerSeed(seed: number | undefined, layerName: string): number | undefined {
  return seed === undefined ? undefined : deriveSeed(seed, layerName);
}

/** Kernel initializer N(0, 0.02) for the convolution called `layerName`. */
export function kernelInitializer(seed: number | undefined, layerName: string): Initializer {
  return tfl.initializers.randomNormal({ mean: 0, stddev: INIT_STDDEV, seed: layerSeed(seed, layerName) });
}

/** Scale (gamma) initializer N(1, 0.02) for the normalization layer called `layerName`. */
export function gammaInitializer(seed: number | undefined, layerName: string): Initializer {
  return tfl.initializers.randomNormal({ mean: 1, stddev: INIT_STDDEV, seed: layerSeed(seed, layerName) });
}
