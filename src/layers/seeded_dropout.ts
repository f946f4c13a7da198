/**
 * Dropout whose masks are reproducible: with a seed, mask k is drawn with `deriveSeed(seed, k)`, so two
 * models built with the same seed and called the same way draw the same masks, while successive calls differ
 * (a plain seeded `tf.dropout` would repeat one mask forever, since tfjs re-creates its PRNG per call).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../util/random.js';
import { check, checkRange } from '../util/validate.js';

/** The base-layer arguments tfjs-layers accepts (`name`, `trainable`, `inputShape`, ...). */
type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options of {@link SeededDropout}. */
export interface SeededDropoutArgs extends BaseLayerArgs {
  /** Fraction of the units to drop, in [0, 1). Required. */
  rate: number;
  /** Base seed (integer >= 0) of the mask sequence. Default: unseeded, every mask random. */
  seed?: number;
}

/**
 * Inverted dropout (kept units scaled by `1 / (1 - rate)`), active only when `{training: true}` reaches the
 * layer (`model.apply(x, {training: true})`; `predict` never drops). Same semantics as tfjs-layers'
 * `Dropout`, plus a reproducible mask sequence when seeded. Serializable (registered on import).
 *
 * Its one piece of state is {@link SeededDropout.step}, the number of masks drawn so far.
 */
export class SeededDropout extends tfl.layers.Layer {
  /** Serialization name, stored in saved model topologies. */
  static className = 'SeededDropout';
  /** Drop rate. */
  readonly rate: number;
  /**
   * Base seed of the mask sequence, or undefined for unseeded masks. Mutable: a trainer may re-seed the layer
   * per step (together with {@link SeededDropout.step}) to make masks depend on the step alone.
   */
  seed: number | undefined;
  /** Masks drawn so far; the next mask uses `deriveSeed(seed, step)`. Set it to resume a run's sequence. */
  step = 0;

  /** Creates the layer; see {@link SeededDropoutArgs}. */
  constructor(args: SeededDropoutArgs) {
    super(args);
    checkRange(args.rate, 'rate', 0, 1, true);
    if (args.seed != null) {
      check(Number.isInteger(args.seed) && args.seed >= 0, 'seed', 'an integer >= 0', args.seed);
    }
    this.rate = args.rate;
    this.seed = args.seed ?? undefined;
    this.supportsMasking = true;
  }

  /** Output shape equals input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** Drops units in training mode; the identity otherwise. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs?.['training'] !== true || this.rate === 0) return x;
    const seed = this.seed === undefined ? undefined : deriveSeed(this.seed, this.step);
    this.step++;
    return tf.dropout(x, this.rate, undefined, seed);
  }

  /** Serializable configuration: the base layer config plus `rate` and `seed`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed ?? null };
  }
}

// Allowed import-time side effect: make saved models containing this layer loadable.
tf.serialization.registerClass(SeededDropout);
