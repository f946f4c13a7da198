/**
 * Spatial padding layers the PyTorch reference uses and tfjs-layers lacks: {@link ReflectionPadding2D}
 * (`nn.ReflectionPad2d`) and {@link ReplicationPadding2D} (`nn.ReplicationPad2d`), serializable, for NHWC
 * tensors of any height and width (`[null, null, C]` inputs).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkInt } from '../util/validate.js';

/** The base-layer arguments tfjs-layers accepts (`name`, `trainable`, `inputShape`, ...). */
type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options of {@link ReflectionPadding2D} and {@link ReplicationPadding2D}. */
export interface SpatialPaddingArgs extends BaseLayerArgs {
  /** Rows added above and below, and columns added left and right (integer >= 0). Default 1. */
  padding?: number;
}

/** `padding` slices of `x` along `axis` starting at `at`. */
function band(x: tf.Tensor4D, axis: 1 | 2, at: number, size: number): tf.Tensor4D {
  const begin = [0, 0, 0, 0];
  const sizes = [-1, -1, -1, -1];
  begin[axis] = at;
  sizes[axis] = size;
  return tf.slice(x, begin, sizes);
}

/** What the two padding layers share: the `padding` option, shape rule, input check, assembly and config. */
abstract class SpatialPadding2D extends tfl.layers.Layer {
  /** Rows / columns added on each side. */
  readonly padding: number;

  constructor(args: SpatialPaddingArgs = {}) {
    super(args);
    const padding = args.padding ?? 1;
    checkInt(padding, 'padding', 0);
    this.padding = padding;
  }

  /** `[b, h, w, c]` -> `[b, h + 2p, w + 2p, c]` (unknown sizes stay unknown). */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const grow = (d: number | null) => (d == null ? null : d + 2 * this.padding);
    return [s[0]!, grow(s[1]!), grow(s[2]!), s[3]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (x.rank !== 4) throw new RangeError(`${this.getClassName()} input must have rank 4 (NHWC) (got rank ${x.rank})`);
    return this.pad(x as tf.Tensor4D);
  }

  /**
   * The `padding` rows (axis 1) or columns (axis 2) that go before (`'start'`) or after (`'end'`) the tensor.
   * Built from slices, reversals and tiles, whose gradients tfjs gets right (its `mirrorPad` gradient drops
   * the mirrored copies' contributions).
   */
  protected abstract border(x: tf.Tensor4D, axis: 1 | 2, side: 'start' | 'end'): tf.Tensor4D;

  /** Pads an NHWC tensor: rows first, then columns. */
  protected pad(x: tf.Tensor4D): tf.Tensor4D {
    if (this.padding === 0) return tf.clone(x);
    return tf.tidy(() => {
      const rows = tf.concat([this.border(x, 1, 'start'), x, this.border(x, 1, 'end')], 1);
      return tf.concat([this.border(rows, 2, 'start'), rows, this.border(rows, 2, 'end')], 2);
    });
  }

  /** Serializable configuration: the base layer config plus `padding`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}

/**
 * Reflection padding (PyTorch `nn.ReflectionPad2d(p)`): row `-k` copies row
 * `k`, the edge itself is not repeated. Needs height and width > `padding`. Input `[b, h, w, c]`, output
 * `[b, h + 2p, w + 2p, c]`. Registered for serialization on import.
 */
export class ReflectionPadding2D extends SpatialPadding2D {
  /** Serialization name, stored in saved model topologies. */
  static className = 'ReflectionPadding2D';

  protected override pad(x: tf.Tensor4D): tf.Tensor4D {
    const p = this.padding;
    if (x.shape[1] <= p || x.shape[2] <= p) {
      throw new RangeError(`ReflectionPadding2D '${this.name}': padding ${p} needs height and width > ${p} (got ${x.shape[1]}x${x.shape[2]})`);
    }
    return super.pad(x);
  }

  protected border(x: tf.Tensor4D, axis: 1 | 2, side: 'start' | 'end'): tf.Tensor4D {
    const p = this.padding;
    return tf.reverse(band(x, axis, side === 'start' ? 1 : x.shape[axis] - 1 - p, p), axis);
  }
}

/**
 * Replication padding (PyTorch `nn.ReplicationPad2d(p)`): the edge rows and columns are repeated `p` times.
 * Input `[b, h, w, c]`, output `[b, h + 2p, w + 2p, c]`. Registered for serialization on import.
 */
export class ReplicationPadding2D extends SpatialPadding2D {
  /** Serialization name, stored in saved model topologies. */
  static className = 'ReplicationPadding2D';

  protected border(x: tf.Tensor4D, axis: 1 | 2, side: 'start' | 'end'): tf.Tensor4D {
    const reps = [1, 1, 1, 1];
    reps[axis] = this.padding;
    return tf.tile(band(x, axis, side === 'start' ? 0 : x.shape[axis] - 1, 1), reps);
  }
}

// Allowed import-time side effect: make saved models containing these layers loadable.
tf.serialization.registerClass(ReflectionPadding2D);
tf.serialization.registerClass(ReplicationPadding2D);
