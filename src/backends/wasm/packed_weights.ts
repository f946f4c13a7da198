/**
 * Packed panels of weight tensors kept between calls of our GEMM, for as long as the weights live.
 *
 * Our GEMM copies its right operand into panels on every call ({@link gemmHeap}); in training that is
 * the right thing, since a trained filter is a new tensor every step. In inference the same filters
 * run image after image, and packing a 4x4x512x1024 filter (32 MB) costs about as much as the product
 * with a 2x2 input. A kernel that sees a filter again (the callers count uses per filter) asks
 * {@link KernelScope.gemm} to keep the filter's panels; the next product with that filter, in that
 * orientation, reads them instead of packing. XNNPACK does the same for its convolutions.
 *
 * A tensor's data never changes while its data id lives (`Variable.assign` gives the variable a new
 * data id), so the data id is the key. The backend's `disposeData` is wrapped once per backend: when a
 * filter's data is freed, its panels are freed with it. At most {@link PACKED_WEIGHTS_BUDGET_BYTES}
 * are kept per backend; past that, products pack as before.
 *
 * @internal
 */

import type * as tf from '@tensorflow/tfjs-core';

/** The most bytes of kept panels per backend (the U-Net 256's decoder filters are ~140 MB of them). */
export const PACKED_WEIGHTS_BUDGET_BYTES = 384 * 2 ** 20;

/** The parts of the wasm backend used here (structural: no import). */
interface BackendForPacking {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  dataIdMap: { has(dataId: object): boolean };
}

/** One filter's kept panels, by packing variant (orientation, tile width, shape). */
interface Kept {
  readonly panels: tf.TensorInfo;
  /** Whether the panels hold the packed filter yet (the first call packs into them). */
  filled: boolean;
}

/** The kept panels of one backend. */
export class PackedWeights {
  private readonly byId = new WeakMap<object, Map<string, Kept>>();
  /** Bytes of panels kept now. */
  bytes = 0;

  constructor(private readonly backend: BackendForPacking) {}

  /** The panels kept for `dataId` under `variant`, or undefined. */
  get(dataId: object, variant: string): Kept | undefined {
    return this.byId.get(dataId)?.get(variant);
  }

  /**
   * New, unfilled panels of `floats` values for `dataId` under `variant`, or `null` when the budget
   * would be exceeded or the data is not on this backend. The caller packs into them and sets `filled`.
   */
  reserve(dataId: object, variant: string, floats: number): Kept | null {
    if (!this.backend.dataIdMap.has(dataId) || this.bytes + 4 * floats > PACKED_WEIGHTS_BUDGET_BYTES) return null;
    const kept: Kept = { panels: this.backend.makeOutput([floats], 'float32'), filled: false };
    let variants = this.byId.get(dataId);
    if (variants === undefined) this.byId.set(dataId, (variants = new Map()));
    variants.set(variant, kept);
    this.bytes += 4 * floats;
    return kept;
  }

  /** Frees the panels kept for `dataId` (called when its data is freed). */
  drop(dataId: object): void {
    for (const variant of [...(this.byId.get(dataId)?.keys() ?? [])]) this.forget(dataId, variant);
    this.byId.delete(dataId);
  }

  /** Frees the panels kept for `dataId` under `variant` (also: a packing that failed before filling them). */
  forget(dataId: object, variant: string): void {
    const kept = this.byId.get(dataId)?.get(variant);
    if (kept === undefined) return;
    this.byId.get(dataId)!.delete(variant);
    this.bytes -= 4 * kept.panels.shape[0]!;
    this.backend.disposeData(kept.panels.dataId, true);
  }
}

const perBackend = new WeakMap<object, PackedWeights>();

/** The kept panels of `backend` (a tfjs wasm backend), its `disposeData` wrapped on first use. */
export function packedWeightsFor(backend: tf.KernelBackend): PackedWeights {
  const hit = perBackend.get(backend);
  if (hit !== undefined) return hit;
  const b = backend as unknown as BackendForPacking;
  const cache = new PackedWeights(b);
  const dispose = b.disposeData.bind(b);
  b.disposeData = (dataId: object, force?: boolean): boolean => {
    const freed = dispose(dataId, force);
    if (!b.dataIdMap.has(dataId)) cache.drop(dataId);
    return freed;
  };
  perBackend.set(backend, cache);
  return cache;
}
