import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/**
 * Named scalar parts of one objective. `total` is what gets minimised; the other keys are for logging
 * (e.g. `adversarial`, `reconstruction` for the generator; `real`, `fake`, `gradientPenalty` for the
 * discriminator). Parts that are switched off are reported as 0.
 */
export type LossParts = {
  /** The objective to minimise. */
  total: tf.Scalar;
} & Record<string, tf.Scalar>;

/**
 * What an objective needs to evaluate one batch. The loss runs the discriminator itself (in training
 * mode), so variants such as the WGAN-GP penalty can evaluate it on interpolated pairs. Whether `D` is
 * conditional is read from the model (two inputs `[input, target]` vs one), never passed separately.
 */
export interface ObjectiveArgs {
  /** The discriminator, as made by `patchDiscriminator` (or any model with the same contract). */
  discriminator: LayersModel;
  /** Conditioning images, NHWC in [-1, 1]. */
  input: tf.Tensor4D;
  /** Real target images, NHWC in [-1, 1]. */
  target: tf.Tensor4D;
  /** Generator output for `input`, NHWC in [-1, 1]. */
  fake: tf.Tensor4D;
  /**
   * Optional seed for this call's randomness (the WGAN-GP interpolation weights); a trainer derives one
   * per step so that runs and resumed runs repeat exactly. When absent, the objective derives one from
   * its own `seed` option and a call counter.
   */
  seed?: number;
}

/**
 * A pix2pix objective pair, as returned by `compositeLoss`. Both functions are pure given their
 * arguments and must be called inside a gradient scope (e.g. `optimizer.minimize`) to train.
 */
export interface Objective {
  /** Generator objective: adversarial + lambda * reconstruction. */
  generator(args: ObjectiveArgs): LossParts;
  /** Discriminator objective: 0.5 * (loss on real pairs + loss on fake pairs) (+ gradient penalty for wgangp). */
  discriminator(args: ObjectiveArgs): LossParts;
  /** False for `gan: 'none'` (L1-only baseline): the Trainer then skips the discriminator update. */
  readonly usesDiscriminator: boolean;
  /** The resolved options, defaults filled in (serialised into checkpoints). */
  readonly config: Readonly<Record<string, string | number>>;
}
