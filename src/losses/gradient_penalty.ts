import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { check, checkKeys } from '../util/validate.js';
import { registerSecondOrderGradients } from '../gradients/register_second_order_gradients.js';

/** Options of {@link gradientPenalty}. */
export interface GradientPenaltyOptions {
  /** Penalty weight λ_GP. Default `10` (Gulrajani et al., 2017). Must be finite and >= 0. */
  weight?: number;
  /**
   * Seed of the random interpolation weights. tfjs' seeded ops repeat their numbers on every call, so
   * pass a new seed per training step. Default: unseeded (different weights on every call).
   */
  seed?: number;
  /** The gradient norm the penalty pulls towards. Default `1` (the 1-Lipschitz constraint). */
  targetNorm?: number;
}

/** Every key {@link GradientPenaltyOptions} accepts (unknown keys are errors). */
export const GRADIENT_PENALTY_OPTION_KEYS: readonly (keyof GradientPenaltyOptions)[] = ['weight', 'seed', 'targetNorm'];

/**
 * WGAN-GP gradient penalty (Gulrajani et al., "Improved Training of Wasserstein GANs", 2017):
 * `weight * mean_i((‖∇D(x̂_i)‖₂ - targetNorm)²)` on random interpolates `x̂ = α·real + (1-α)·fake`,
 * `α ~ U(0, 1)` drawn once per batch element, as in the PyTorch reference's `cal_gradient_penalty`
 * ('mixed').
 *
 * For a conditional discriminator (two inputs `[input, image]`) the interpolates are the pairs
 * `(input, x̂)`, i.e. interpolates of the real pair `(input, real)` and the fake pair `(input, fake)`, and
 * the norm is taken over the gradient with respect to the whole pair (input and image channels), as the
 * reference does on its channel-concatenated pair. An unconditional discriminator sees `x̂` alone and
 * `input` is ignored. The gradient is that of the sum of D's logits (all patches). The norm is
 * `sqrt(Σ g² + 1e-12)`, so its gradient stays finite where D is flat.
 *
 * Training with it needs second-order gradients (the penalty's gradient with respect to D's weights
 * differentiates D's backward pass); this calls {@link registerSecondOrderGradients} first.
 * D runs in training mode (`apply(x, { training: true })`).
 *
 * @param discriminator D, taking `[input, image]` (conditional) or `image`, returning logits.
 * @param input Conditioning images `[batch, h, w, cIn]` (ignored when D is unconditional).
 * @param real Real target images `[batch, h, w, cOut]`.
 * @param fake Generated images, same shape as `real`.
 * @param options See {@link GradientPenaltyOptions}.
 * @returns The scalar penalty, already multiplied by `weight` (0 without running D when `weight` is 0).
 */
export function gradientPenalty(
  discriminator: LayersModel,
  input: tf.Tensor4D,
  real: tf.Tensor4D,
  fake: tf.Tensor4D,
  options: GradientPenaltyOptions = {},
): tf.Scalar {
  checkKeys(options, GRADIENT_PENALTY_OPTION_KEYS, 'gradientPenalty');
  const weight = options.weight ?? 10;
  const targetNorm = options.targetNorm ?? 1;
  check(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0, 'gradientPenalty weight', 'a finite number >= 0', weight);
  check(typeof targetNorm === 'number' && Number.isFinite(targetNorm), 'gradientPenalty targetNorm', 'a finite number', targetNorm);
  check(
    real.shape.length === 4 && fake.shape.length === 4 && real.shape.every((d, i) => d === fake.shape[i]),
    'gradientPenalty real and fake', 'NHWC tensors of the same shape', { real: real.shape, fake: fake.shape },
  );
  if (weight === 0) return tf.scalar(0); // nothing to penalise: skip D's extra forward and backward pass
  registerSecondOrderGradients();
  const conditional = discriminator.inputs.length === 2;
  return tf.tidy(() => {
    const batch = real.shape[0];
    const alpha = tf.randomUniform([batch, 1, 1, 1], 0, 1, 'float32', options.seed);
    const interpolates = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as tf.Tensor4D;
    const logitSum = (...xs: tf.Tensor[]) =>
      tf.sum(discriminator.apply(conditional ? xs : xs[0]!, { training: true }) as tf.Tensor);
    const grads = tf.grads(logitSum)(conditional ? [input, interpolates] : [interpolates]);
    let sumSq: tf.Tensor = tf.zeros([batch]);
    for (const g of grads) sumSq = tf.add(sumSq, tf.sum(tf.square(g), [1, 2, 3]));
    const norm = tf.sqrt(tf.add(sumSq, 1e-12));
    return tf.mul(tf.mean(tf.square(tf.sub(norm, targetNorm))), weight) as tf.Scalar;
  });
}
