/**
 * Helpers that touch a tfjs-layers model's state from outside: per-step dropout seeds, and snapshots of
 * its variables (used to keep BatchNorm moving statistics untouched and to roll back refused steps).
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../util/random.js';

interface SeededLayer {
  seed?: number;
  /** `SeededDropout`'s mask counter (its masks are `deriveSeed(seed, step++)`); absent on tfjs Dropout. */
  step?: number;
}

function isDropoutLike(layer: tfl.layers.Layer): boolean {
  return /Dropout/.test(layer.getClassName()) && 'seed' in layer && 'rate' in layer;
}

/** Every dropout layer of a model, nested models included, in a fixed (topological) order. */
export function dropoutLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  const found: tfl.layers.Layer[] = [];
  const visit = (layers: tfl.layers.Layer[]) => {
    for (const layer of layers) {
      const nested = (layer as unknown as { layers?: tfl.layers.Layer[] }).layers;
      if (Array.isArray(nested)) visit(nested);
      else if (isDropoutLike(layer)) found.push(layer);
    }
  };
  visit(model.layers);
  return found;
}

/**
 * Runs `fn` with dropout layer `i` (in {@link dropoutLayers} order, which a saved topology reproduces)
 * seeded `deriveSeed(seed, i)`, then restores the layers' own seeds. Layers with their own mask counter
 * (`SeededDropout.step`) have it pinned to 0 during `fn` and restored after, so the masks depend on
 * `seed` alone: not on how often the layer ran before, which a checkpoint does not record.
 * tfjs draws a dropout mask from a PRNG rebuilt from the seed on every call, so the same seed gives the
 * same mask: callers pass a new `seed` per step (and the same one where the same mask is wanted).
 */
export function withDropoutSeeds<T>(layers: readonly tfl.layers.Layer[], seed: number, fn: () => T): T {
  const seeded = layers as unknown as SeededLayer[];
  const saved = seeded.map((l) => ({ seed: l.seed, step: l.step }));
  seeded.forEach((l, i) => {
    l.seed = deriveSeed(seed, i);
    if (typeof saved[i]!.step === 'number') l.step = 0;
  });
  try {
    return fn();
  } finally {
    seeded.forEach((l, i) => {
      l.seed = saved[i]!.seed;
      if (typeof saved[i]!.step === 'number') l.step = saved[i]!.step;
    });
  }
}

/** Storage-sharing copies of some variables' current values (no data is copied). */
export function snapshotVariables(vars: readonly tfl.LayerVariable[]): tf.Tensor[] {
  return vars.map((v) => tf.clone(v.read()));
}

/** Writes a snapshot back into the variables it was taken from. */
export function restoreVariables(vars: readonly tfl.LayerVariable[], snap: readonly tf.Tensor[]): void {
  vars.forEach((v, i) => v.write(snap[i]!));
}

/**
 * Runs `fn` and then puts the model's non-trainable weights (BatchNorm moving mean and variance) back
 * to their values before the call, so a training-mode forward pass leaves them untouched.
 */
export function withFrozenStatistics<T>(model: tfl.LayersModel, fn: () => T): T {
  const vars = model.nonTrainableWeights;
  const snap = snapshotVariables(vars);
  try {
    return fn();
  } finally {
    restoreVariables(vars, snap);
    tf.dispose(snap);
  }
}
