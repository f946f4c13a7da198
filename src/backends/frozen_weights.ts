/**
 * Convolution filters whose gradients a computation will not use, so that kernels may skip them.
 *
 * The generator's update differentiates the discriminator's output with respect to the fake image
 * only; the PyTorch reference says so with `set_requires_grad(netD, False)`. tfjs has no such switch,
 * and its fused convolution (what tfjs-layers' `Conv2D` runs) computes the input and the filter
 * gradient together, so every discriminator layer's weight gradient (~180 ms of a 256x256 step on
 * wasm) was computed and thrown away. {@link withFrozenWeights} names the filters; a backend's
 * convolution kernels that take part (this package's wasm kernels) note which inputs met a frozen
 * filter ({@link noteConvolution}), and the weight-gradient kernel then returns zeros for them
 * ({@link isFrozenConvInput}) instead of computing a gradient nobody reads. Only inputs made inside
 * the scope are noted (the discriminator's activations, never a caller's tensor that another
 * convolution may also read), told by the backend's increasing data ids. Backends that do not take
 * part, or that have no such ids, compute the gradient as before; results are the same either way.
 *
 * The state lives on `globalThis` under a registered symbol, so that every copy of this module
 * (the package's ESM and CommonJS builds, the `wasm` entry) shares it.
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';

interface FrozenState {
  /** Data ids of the filters frozen by the innermost {@link withFrozenWeights}, or null. */
  filters: WeakSet<object> | null;
  /** The backend's first data id made inside that scope. */
  firstId: number;
  /** Data ids of convolution inputs that met a frozen filter. */
  inputs: WeakSet<object>;
}

const KEY = Symbol.for('@acme/pix2pix/frozen-weights');

function state(): FrozenState {
  const g = globalThis as unknown as Record<symbol, FrozenState | undefined>;
  return (g[KEY] ??= { filters: null, firstId: Infinity, inputs: new WeakSet() });
}

/** Anything with a data id: a tensor or a `TensorInfo`. */
interface HasDataId {
  readonly dataId: object;
}

/**
 * Runs `fn` with `weights` frozen: convolutions in `fn` (forward passes, and the backward passes of
 * gradients taken later of what `fn` returned) may skip the gradients of these filters and report
 * zeros for them. Only for weights whose gradients the caller discards.
 */
export function withFrozenWeights<T>(weights: readonly HasDataId[], fn: () => T): T {
  const next = (tf.backend() as unknown as { dataIdNextNumber?: unknown }).dataIdNextNumber;
  if (typeof next !== 'number') return fn();
  const s = state();
  const outer = { filters: s.filters, firstId: s.firstId };
  s.filters = new WeakSet(weights.map((w) => w.dataId));
  s.firstId = next;
  try {
    return fn();
  } finally {
    s.filters = outer.filters;
    s.firstId = outer.firstId;
  }
}

/**
 * Called by a convolution's forward kernel with the backend's numeric id of `x`'s data: remembers
 * `x` when `filter` is frozen and `x` was made inside the scope.
 */
export function noteConvolution(x: HasDataId, filter: HasDataId, xId: number): void {
  const s = state();
  if (s.filters?.has(filter.dataId) && xId >= s.firstId) s.inputs.add(x.dataId);
}

/** Whether the weight gradient of a convolution of `x` is unused (its filter was frozen). */
export function isFrozenConvInput(x: HasDataId): boolean {
  return state().inputs.has(x.dataId);
}
