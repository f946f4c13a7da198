/**
 * Finiteness checks of many tensors with one device reduction each and one read for all: per tensor,
 * `sum(x)` is finite when every element is (one op per tensor; the markers travel in one read with
 * whatever other scalars the caller needs, the step's loss parts). A non-finite sum of finite values
 * (overflow beyond 3.4e38) is told apart by {@link confirmNonFinite} before anything is reported.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from './checkpoint.js';

const asFloat = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

/** A scalar per tensor, finite when all its elements are (see the module note). The caller owns the result. */
export function nonFiniteMarkers(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.zeros([0]) as tf.Tensor1D;
    return tf.stack(tensors.map((t) => tf.sum(asFloat(t)))) as tf.Tensor1D;
  });
}

/** Whether `t` really holds a NaN or infinite element (for a tensor whose marker was not finite). */
export async function confirmNonFinite(t: tf.Tensor): Promise<boolean> {
  const flag = tf.tidy(() => tf.sum(tf.mul(asFloat(t), 0)));
  try {
    return !Number.isFinite((await flag.data())[0]!);
  } finally {
    flag.dispose();
  }
}

/** The index of the first tensor whose marker is not finite and which really holds a non-finite value, or -1. */
export async function firstNonFiniteIndex(tensors: readonly tf.Tensor[], markers: ArrayLike<number>): Promise<number> {
  for (let i = 0; i < markers.length; i++) {
    if (!Number.isFinite(markers[i]!) && (await confirmNonFinite(tensors[i]!))) return i;
  }
  return -1;
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
  const tensors = named.map((n) => n.tensor);
  const markers = nonFiniteMarkers(tensors);
  try {
    const i = await firstNonFiniteIndex(tensors, await markers.data());
    return i < 0 ? null : named[i]!.name;
  } finally {
    markers.dispose();
  }
}
