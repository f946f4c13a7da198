/**
 * Instance normalization (Ulyanov et al., 2016) as a serializable tfjs-layers layer.
 *
 * tfjs-layers has no instance norm; this one matches PyTorch's `nn.InstanceNorm2d` defaults as used by the
 * pix2pix reference: per-sample, per-channel statistics over height and width, biased variance, epsilon
 * 1e-5, no affine parameters and no running statistics (so training and inference compute the same thing).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { check } from '../util/validate.js';

/** The base-layer arguments tfjs-layers accepts (`name`, `trainable`, `inputShape`, ...). */
type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options of {@link InstanceNormalization}. */
export interface InstanceNormalizationArgs extends BaseLayerArgs {
  /** Small constant added to the variance before the square root. Default `1e-5` (PyTorch's default). */
  epsilon?: number;
}

/**
 * Instance normalization over the spatial axes of NHWC tensors: `y = (x - mean_hw) / sqrt(var_hw + epsilon)`,
 * computed separately for every sample and channel. No trainable weights, no state.
 *
 * Input: `[batch, height, width, channels]`; output: same shape. Serializable: the class is registered with
 * `tf.serialization.registerClass` when this module is imported, so `tf.loadLayersModel` restores it.
 */
export class InstanceNormalization extends tfl.layers.Layer {
  /** Serialization name, stored in saved model topologies. */
  static className = 'InstanceNormalization';
  /** Variance epsilon. */
  readonly epsilon: number;

  /** Creates the layer; see {@link InstanceNormalizationArgs}. */
  constructor(args: InstanceNormalizationArgs = {}) {
    super(args);
    const epsilon = args.epsilon ?? 1e-5;
    check(typeof epsilon === 'number' && Number.isFinite(epsilon) && epsilon >= 0, 'epsilon', 'a finite number >= 0', epsilon);
    this.epsilon = epsilon;
    this.supportsMasking = true;
  }

  /** Output shape equals input shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  /** Normalizes each sample and channel over height and width. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (x.rank !== 4) {
        throw new RangeError(`InstanceNormalization input must have rank 4 (NHWC) (got rank ${x.rank})`);
      }
      const { mean, variance } = tf.moments(x, [1, 2], true);
      return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon)));
    });
  }

  /** Serializable configuration: the base layer config plus `epsilon`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

// The one allowed import-time side effect: make saved models containing this layer loadable.
tf.serialization.registerClass(InstanceNormalization);
