import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertNever, check, checkKeys, checkOneOf } from '../util/validate.js';
import { deriveSeed, randomSeed } from '../util/random.js';
import { ganLoss, GAN_MODES, type GanMode } from './gan_loss.js';
import { l1Loss } from './l1_loss.js';
import { l2Loss } from './l2_loss.js';
import { gradientPenalty } from './gradient_penalty.js';
import { registerSecondOrderGradients } from '../gradients/register_second_order_gradients.js';
import type { LossParts, Objective, ObjectiveArgs } from './types.js';

/** Adversarial term of {@link compositeLoss}: a {@link GanMode}, or `'none'` for the L1-only baseline. */
export type CompositeGan = GanMode | 'none';

/** Reconstruction term of {@link compositeLoss}: `'l1'` ({@link l1Loss}), `'l2'` ({@link l2Loss}) or `'none'` (GAN only). */
export type CompositeReconstruction = 'l1' | 'l2' | 'none';

/** Options of {@link compositeLoss}. */
export interface CompositeLossOptions {
  /** Weight of the reconstruction term in the generator objective. Default `100` (the paper's λ). Must be finite and >= 0. */
  lambda?: number;
  /**
   * Adversarial loss. Default `'vanilla'` (sigmoid cross-entropy on logits, the paper's cGAN).
   * `'lsgan'`: least squares; `'wgangp'`: Wasserstein critic with gradient penalty;
   * `'none'`: no discriminator at all (the paper's L1-only baseline).
   */
  gan?: CompositeGan;
  /** Reconstruction loss. Default `'l1'` (the paper's choice); `'l2'`; `'none'` for the GAN-only ablation. */
  reconstruction?: CompositeReconstruction;
  /** Weight of the WGAN-GP gradient penalty (only used with `gan: 'wgangp'`). Default `10` (Gulrajani et al.). Must be finite and >= 0. */
  gradientPenaltyWeight?: number;
  /**
   * Base seed of the penalty's random interpolation weights (only used with `gan: 'wgangp'`) when a call's
   * {@link ObjectiveArgs.seed} is absent; each such call then derives a fresh seed from this one and a
   * call counter. Default: a random seed.
   */
  seed?: number;
}

/** Every key {@link CompositeLossOptions} accepts (unknown keys are errors). */
export const COMPOSITE_LOSS_OPTION_KEYS: readonly (keyof CompositeLossOptions)[] = ['lambda', 'gan', 'reconstruction', 'gradientPenaltyWeight', 'seed'];

const GANS: readonly CompositeGan[] = [...GAN_MODES, 'none'];
const RECONSTRUCTIONS: readonly CompositeReconstruction[] = ['l1', 'l2', 'none'];

/** Runs `D` in training mode on one (conditional) pair, returning its logits. */
function applyD(discriminator: LayersModel, input: tf.Tensor4D, image: tf.Tensor4D): tf.Tensor {
  const x = discriminator.inputs.length === 2 ? [input, image] : image;
  return discriminator.apply(x, { training: true }) as tf.Tensor;
}

/** Lookup of the reconstruction term; `null` when switched off. */
function reconstructionFn(kind: CompositeReconstruction): ((p: tf.Tensor, t: tf.Tensor) => tf.Scalar) | null {
  switch (kind) {
    case 'l1':
      return l1Loss;
    case 'l2':
      return l2Loss;
    case 'none':
      return null;
    default:
      return assertNever(kind, 'reconstruction');
  }
}

/**
 * The pix2pix objective (paper section 3.1): `G* = arg min_G max_D L_cGAN(G, D) + λ L_L1(G)`, split into
 * the two objectives a trainer alternates between.
 *
 * - Generator: `total = adversarial + lambda * reconstruction`, where `adversarial = ganLoss(D(x, G(x)),
 *   real)` (for wgangp `-mean(D(x, G(x)))`) and `reconstruction = |y - G(x)|` (mean; `'l2'`: squared).
 *   Parts: `adversarial`, `reconstruction` (unweighted, before `lambda`), `total`.
 * - Discriminator: `total = 0.5 * (real + fake)` (+ `gradientPenalty` for wgangp), where
 *   `real = ganLoss(D(x, y), real)` and `fake = ganLoss(D(x, G(x)), fake)`, as in the PyTorch reference.
 *   Parts: `real`, `fake`, `gradientPenalty`, `total`.
 *
 * Parts that are switched off are reported as 0. The discriminator is run with
 * `discriminator.apply(x, { training: true })` (batch norm uses batch statistics and updates its moving
 * statistics); it is conditional (`[input, image]`) when it has two inputs, else it sees the image alone.
 * `fake` must be computed outside the discriminator's gradient scope, so that the discriminator update
 * does not backpropagate into the generator. The caller owns (and disposes) every returned tensor.
 *
 * With `gan: 'wgangp'` this registers the second-order gradients that tfjs lacks
 * ({@link registerSecondOrderGradients}); the penalty then trains on any backend with those kernels.
 *
 * @example
 * ```ts
 * import { compositeLoss, Trainer, unetGenerator, patchDiscriminator } from '@acme/pix2pix';
 *
 * const loss = compositeLoss({ lambda: 100, gan: 'vanilla', reconstruction: 'l1' }); // the paper's L1 + cGAN
 * const l1Only = compositeLoss({ gan: 'none' });                                     // the L1-only ablation
 * const trainer = new Trainer({ generator: unetGenerator({ imageSize: 64 }), discriminator: patchDiscriminator(), loss });
 * ```
 * @param options See {@link CompositeLossOptions}.
 * @returns The {@link Objective} pair.
 * @throws RangeError on an invalid option, or when both `gan` and `reconstruction` are `'none'`.
 */
export function compositeLoss(options: CompositeLossOptions = {}): Objective {
  checkKeys(options, COMPOSITE_LOSS_OPTION_KEYS, 'compositeLoss');
  const lambda = options.lambda ?? 100;
  const gan = options.gan ?? 'vanilla';
  const reconstruction = options.reconstruction ?? 'l1';
  const gradientPenaltyWeight = options.gradientPenaltyWeight ?? 10;
  check(typeof lambda === 'number' && Number.isFinite(lambda) && lambda >= 0, 'lambda', 'a finite number >= 0', lambda);
  checkOneOf(gan, 'gan', GANS);
  checkOneOf(reconstruction, 'reconstruction', RECONSTRUCTIONS);
  check(
    typeof gradientPenaltyWeight === 'number' && Number.isFinite(gradientPenaltyWeight) && gradientPenaltyWeight >= 0,
    'gradientPenaltyWeight', 'a finite number >= 0', gradientPenaltyWeight,
  );
  if (options.seed !== undefined) {
    check(Number.isInteger(options.seed) && options.seed >= 0, 'seed', 'an integer >= 0', options.seed);
  }
  if (gan === 'none' && reconstruction === 'none') {
    throw new RangeError(
      "compositeLoss needs at least one term: gan and reconstruction cannot both be 'none' (got gan: 'none', reconstruction: 'none')",
    );
  }
  if (gan === 'wgangp') registerSecondOrderGradients();

  const recon = reconstructionFn(reconstruction);
  const baseSeed = options.seed ?? randomSeed();
  let calls = 0;

  const generator = (args: ObjectiveArgs): LossParts =>
    tf.tidy(() => {
      const adversarial =
        gan === 'none' ? tf.scalar(0) : ganLoss(applyD(args.discriminator, args.input, args.fake), true, gan);
      const rec = recon === null ? tf.scalar(0) : recon(args.fake, args.target);
      const total = tf.add(adversarial, tf.mul(rec, lambda)) as tf.Scalar;
      return { adversarial, reconstruction: rec, total };
    });

  const discriminator = (args: ObjectiveArgs): LossParts => {
    if (gan === 'none') {
      throw new Error("compositeLoss({ gan: 'none' }) has no discriminator objective (usesDiscriminator is false)");
    }
    const { discriminator: D, input, target, fake: fakeImage } = args;
    const seed = gan === 'wgangp' ? (args.seed ?? deriveSeed(baseSeed, 'gradientPenalty', calls++)) : 0;
    return tf.tidy(() => {
      // Fake first, then real: the order of the PyTorch reference (matters for batch-norm moving statistics).
      const fake = ganLoss(applyD(D, input, fakeImage), false, gan);
      const real = ganLoss(applyD(D, input, target), true, gan);
      const penalty =
        gan === 'wgangp'
          ? gradientPenalty(D, input, target, fakeImage, { weight: gradientPenaltyWeight, seed })
          : tf.scalar(0);
      const total = tf.add(tf.mul(tf.add(real, fake), 0.5), penalty) as tf.Scalar;
      return { real, fake, gradientPenalty: penalty, total };
    });
  };

  const config: Record<string, string | number> = { lambda, gan, reconstruction };
  if (gan === 'wgangp') config.gradientPenaltyWeight = gradientPenaltyWeight;

  return {
    generator,
    discriminator,
    usesDiscriminator: gan !== 'none',
    config: Object.freeze(config),
  };
}
