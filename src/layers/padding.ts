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

/** What the two padding layers share: the `padding` option, shape rule, input check and config. */
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

  /** Pads an NHWC tensor. */
  protected abstract pad(x: tf.Tensor4D): tf.Tensor4D;

  /** Serializable configuration: the base layer config plus `padding`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}

/**
 * Reflection padding (PyTorch `nn.ReflectionPad2d(p)`, tf `mirrorPad(..., 'reflect')`): row `-k` copies row
 * `k`, the edge itself is not repeated. Needs height and width > `padding`. Input `[b, h, w, c]`, output
 * `[b, h + 2p, w + 2p, c]`. Registered for serialization on import.
 */
export class ReflectionPadding2D extends SpatialPadding2D {
  /** Serialization name, stored in saved model topologies. */
  static className = 'ReflectionPadding2D';

  protected pad(x: tf.Tensor4D): tf.Tensor4D {
    const p = this.padding;
    if (x.shape[1] <= p || x.shape[2] <= p) {
      throw new RangeError(`ReflectionPadding2D '${this.name}': padding ${p} needs height and width > ${p} (got ${x.shape[1]}x${x.shape[2]})`);
    }
    return tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], 'reflect');
  }
}

/**
 * Replication padding (PyTorch `nn.ReplicationPad2d(p)`): the edge rows and columns are repeated `p` times.
 * Input `[b, h, w, c]`, output `[b, h + 2p, w + 2p, c]`. Registered for serialization on import.
 */
export class ReplicationPadding2D extends SpatialPadding2D {
  /** Serialization name, stored in saved model topologies. */
  static className = 'ReplicationPadding2D';

  protected pad(x: tf.Tensor4D): tf.Tensor4D {
    const p = this.padding;
    if (p === 0) return tf.clone(x);
    return tf.tidy(() => {
      const edge = (t: tf.Tensor4D, axis: 1 | 2, at: number): tf.Tensor4D => {
        const begin = [0, 0, 0, 0];
        const size = [-1, -1, -1, -1];
        begin[axis] = at;
        size[axis] = 1;
        const reps = [1, 1, 1, 1];
        reps[axis] = p;
        return tf.tile(tf.slice(t, begin, size), reps);
      };
      const rows = tf.concat([edge(x, 1, 0), x, edge(x, 1, x.shape[1] - 1)], 1);
      return tf.concat([edge(rows, 2, 0), rows, edge(rows, 2, rows.shape[2] - 1)], 2);
    });
  }
}

// Allowed import-time side effect: make saved models containing these layers loadable.
tf.serialization.registerClass(ReflectionPadding2D);
tf.serialization.registerClass(ReplicationPadding2D);
