/**
 * Finiteness checks of many tensors with one device reduction: per tensor, `sum(x * 0)` is 0 when every
 * element is finite and NaN otherwise (Inf * 0 = NaN), and all those scalars travel in one read, with
 * whatever other scalars the caller needs (the step's loss parts).
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from './checkpoint.js';

/** A scalar per tensor: 0 when all its elements are finite, NaN otherwise. The caller owns the result. */
export function nonFiniteMarkers(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.zeros([0]) as tf.Tensor1D;
    return tf.stack(tensors.map((t) => tf.sum(tf.mul(tf.cast(t, 'float32'), 0)))) as tf.Tensor1D;
  });
}

/** Reads scalars and finiteness markers together: one device read for the lot. */
export async function readScalars(scalars: readonly tf.Tensor[], markers: tf.Tensor1D): Promise<{ scalars: number[]; markers: Float32Array }> {
  const all = tf.tidy(() => tf.concat([tf.stack(scalars.map((t) => tf.cast(tf.reshape(t, []), 'float32'))), markers]));
  try {
    const data = (await all.data()) as Float32Array;
    return { scalars: Array.from(data.subarray(0, scalars.length)), markers: data.subarray(scalars.length) };
  } finally {
    all.dispose();
  }
}

/** The name of the first tensor holding a NaN or infinite value, or null when all are finite. */
export async function firstNonFinite(named: readonly NamedTensor[]): Promise<string | null> {
  const markers = nonFiniteMarkers(named.map((n) => n.tensor));
  try {
    const data = await markers.data();
    const i = data.findIndex((v) => !Number.isFinite(v));
    return i < 0 ? null : named[i]!.name;
  } finally {
    markers.dispose();
  }
}
