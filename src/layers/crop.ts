/**
 * {@link LeadingCrop2D}: drops the first rows and columns of NHWC tensors of any size. The ResNet
 * generator uses it to give its stride-2 transposed convs the PyTorch reference's `padding=1,
 * output_padding=1` alignment (tfjs' `cropping2D` cannot take `[null, null, C]` inputs).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkInt } from '../util/validate.js';

/** The base-layer arguments tfjs-layers accepts (`name`, `trainable`, `inputShape`, ...). */
type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Options of {@link LeadingCrop2D}. */
export interface LeadingCrop2DArgs extends BaseLayerArgs {
  /** Rows removed at the top and columns removed at the left (integer >= 0). Default 1. */
  crop?: number;
}

/**
 * Removes the first `crop` rows and the first `crop` columns: `[b, h, w, c]` -> `[b, h - crop, w - crop, c]`.
 * With a `valid` stride-2 transposed conv before it (output `2h + 1` for a 3x3 kernel) this reproduces
 * PyTorch's `ConvTranspose2d(k=3, s=2, padding=1, output_padding=1)` exactly (output `2h`, row `o` = full
 * row `o + 1`). Registered for serialization on import.
 */
export class LeadingCrop2D extends tfl.layers.Layer {
  /** Serialization name, stored in saved model topologies. */
  static className = 'LeadingCrop2D';
  /** Rows / columns removed at the top / left. */
  readonly crop: number;

  /** Creates the layer; see {@link LeadingCrop2DArgs}. */
  constructor(args: LeadingCrop2DArgs = {}) {
    super(args);
    const crop = args.crop ?? 1;
    checkInt(crop, 'crop', 0);
    this.crop = crop;
  }

  /** Height and width shrink by `crop` (unknown sizes stay unknown). */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const shrink = (d: number | null) => (d == null ? null : d - this.crop);
    return [s[0]!, shrink(s[1]!), shrink(s[2]!), s[3]!];
  }

  /** Slices off the leading rows and columns. */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (x.rank !== 4) throw new RangeError(`LeadingCrop2D input must have rank 4 (NHWC) (got rank ${x.rank})`);
    return tf.slice(x, [0, this.crop, this.crop, 0], [-1, -1, -1, -1]);
  }

  /** Serializable configuration: the base layer config plus `crop`. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), crop: this.crop };
  }
}

// Allowed import-time side effect: make saved models containing this layer loadable.
tf.serialization.registerClass(LeadingCrop2D);
