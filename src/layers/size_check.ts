/**
 * {@link SpatialSizeCheck}: an identity layer that refuses inputs whose height or width is not a multiple of
 * a network's divisor, with a message naming the size and the nearest valid ones (fully convolutional
 * networks accept `[null, null, C]`, so the check has to happen when the tensor arrives).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { check, checkInt } from '../util/validate.js';

/** The base-layer arguments tfjs-layers accepts (`name`, `trainable`, `inputShape`, ...). */
type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options of {@link SpatialSizeCheck}. */
export interface SpatialSizeCheckArgs extends BaseLayerArgs {
  /** Height and width must be multiples of this (integer >= 1). Required. */
  multiple: number;
  /** Who needs it, for the message (e.g. `'resnetGenerator'`). Default `'this network'`. */
  owner?: string;
}

/** `n` rounded down and up to multiples of `m` (down omitted when it would be 0). */
export function nearestMultiples(n: number, m: number): number[] {
  const down = Math.floor(n / m) * m;
  return [...(down > 0 ? [down] : []), down + m];
}

/**
 * Passes NHWC inputs through unchanged; throws `RangeError` when height or width is not a multiple of
 * `multiple`: `resnetGenerator needs height and width that are multiples of 4 (got 30x32; nearest valid
 * height: 28 or 32)`. Registered for serialization on import.
 */
export class SpatialSizeCheck extends tfl.layers.Layer {
  /** Serialization name, stored in saved model topologies. */
  static className = 'SpatialSizeCheck';
  /** Required divisor. */
  readonly multiple: number;
  /** Owner named in the message. */
  readonly owner: string;

  /** Creates the layer; see {@link SpatialSizeCheckArgs}. */
  constructor(args: SpatialSizeCheckArgs) {
    super(args);
    checkInt(args.multiple, 'multiple', 1);
    const owner = args.owner ?? 'this network';
    check(typeof owner === 'string', 'owner', 'a string', owner);
    this.multiple = args.multiple;
    this.owner = owner;
  }

  /** Output shape equals input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** Checks height and width; returns the input. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (x.rank !== 4) throw new RangeError(`${this.owner} input must have rank 4 (NHWC) (got rank ${x.rank})`);
    const [h, w] = [x.shape[1]!, x.shape[2]!];
    const m = this.multiple;
    if (h % m !== 0 || w % m !== 0) {
      const hints = [
        h % m !== 0 ? `height: ${nearestMultiples(h, m).join(' or ')}` : '',
        w % m !== 0 ? `width: ${nearestMultiples(w, m).join(' or ')}` : '',
      ].filter(Boolean);
      throw new RangeError(
        `${this.owner} needs height and width that are multiples of ${m} (got ${h}x${w}; nearest valid ${hints.join(', ')})`,
      );
    }
    return tf.clone(x);
  }

  /** Serializable configuration: the base layer config plus `multiple` and `owner`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), multiple: this.multiple, owner: this.owner };
  }
}

// Allowed import-time side effect: make saved models containing this layer loadable.
tf.serialization.registerClass(SpatialSizeCheck);
