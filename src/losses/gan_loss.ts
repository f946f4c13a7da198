import * as tf from '@tensorflow/tfjs-core';
import { assertNever, checkOneOf } from '../util/validate.js';

/**
 * The adversarial loss variants.
 * - `'vanilla'`: sigmoid cross-entropy on logits (the paper's cGAN loss).
 * - `'lsgan'`: least squares, mean squared error to 1 (real) or 0 (fake) (Mao et al., 2017).
 * - `'wgangp'`: Wasserstein critic loss, `-mean(logits)` for real, `+mean(logits)` for fake
 *   (Gulrajani et al., 2017; add {@link gradientPenalty} to the critic's objective).
 */
export type GanMode = 'vanilla' | 'lsgan' | 'wgangp';

/** Every {@link GanMode}, for validation and iteration. */
export const GAN_MODES: readonly GanMode[] = ['vanilla', 'lsgan', 'wgangp'];

/**
 * Adversarial loss of discriminator logits against a real/fake label, averaged over every element
 * (batch and patch positions), as PyTorch's `BCEWithLogitsLoss` / `MSELoss` with mean reduction.
 *
 * - `'vanilla'`: `mean(softplus(-x))` for real, `mean(softplus(x))` for fake: the sigmoid cross-entropy
 *   `-z log σ(x) - (1 - z) log(1 - σ(x))`, written so that it stays finite for any logit magnitude.
 * - `'lsgan'`: `mean((x - 1)²)` for real, `mean(x²)` for fake.
 * - `'wgangp'`: `-mean(x)` for real, `mean(x)` for fake.
 *
 * The generator's loss is `ganLoss(D(fake), true, mode)` (for wgangp: `-mean(D(fake))`).
 *
 * @param logits Raw discriminator outputs (no sigmoid), any shape, e.g. `[batch, h, w, 1]`.
 * @param isReal Whether the label is "real" (`true`) or "fake" (`false`).
 * @param mode Which adversarial loss; see {@link GanMode}.
 * @returns The scalar loss.
 */
export function ganLoss(logits: tf.Tensor, isReal: boolean, mode: GanMode): tf.Scalar {
  checkOneOf(mode, 'ganLoss mode', GAN_MODES);
  return tf.tidy(() => {
    switch (mode) {
      case 'vanilla':
        return tf.mean(tf.softplus(isReal ? tf.neg(logits) : logits));
      case 'lsgan':
        return tf.mean(tf.square(isReal ? tf.sub(logits, 1) : logits));
      case 'wgangp':
        return isReal ? tf.neg(tf.mean(logits)) : tf.mean(logits);
      default:
        return assertNever(mode, 'ganLoss mode');
    }
  }) as tf.Scalar;
}
