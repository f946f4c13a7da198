import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterGradConfig } from './conv2d_backprop_filter_grad.js';
import { comparisonGradConfigs } from './comparison_grads.js';

const CONFIGS: readonly tf.GradConfig[] = [conv2DBackpropFilterGradConfig, ...comparisonGradConfigs];

/**
 * Registers (with `tf.registerGradient`) the gradients that tfjs 4.22 lacks for second-order
 * differentiation of a pix2pix discriminator, i.e. for training with the WGAN-GP gradient penalty:
 *
 * - `Conv2DBackpropFilter`: the gradient of a convolution's weight gradient (see
 *   {@link conv2DBackpropFilterGradConfig});
 * - zero gradients for comparisons and boolean logic (`Greater`, `Less`, `LessEqual`, `Equal`,
 *   `NotEqual`, `LogicalAnd`, `LogicalOr`, `LogicalNot`), used by tfjs' own `LeakyRelu`, `Prelu` and
 *   `Pow` gradients (see {@link comparisonGradConfigs}).
 *
 * Every other kernel a discriminator's backward pass uses in tfjs 4.22 (`Conv2DBackpropInput`,
 * `FusedBatchNorm`, `PadV2`, `Slice`, `Concat`, `SplitV`, `Select`, `Tile`, `Rsqrt`, `Pow`, `Mean`, `Sum`, ...)
 * already has a gradient; fused convolutions fall back to a custom gradient inside gradient scopes.
 *
 * Idempotent, and it never overrides: a kernel that already has a gradient (registered by an earlier call,
 * by the user, or by a later tfjs) is left alone. `compositeLoss({ gan: 'wgangp' })` and
 * {@link gradientPenalty} call it; call it yourself to differentiate twice through a discriminator in
 * your own code. The registry is tfjs' global one, shared by every backend.
 *
 * @returns The kernel names registered by this call (empty when all were already present).
 */
export function registerSecondOrderGradients(): string[] {
  const registered: string[] = [];
  for (const config of CONFIGS) {
    if (tf.getGradient(config.kernelName) == null) {
      tf.registerGradient(config);
      registered.push(config.kernelName);
    }
  }
  return registered;
}
