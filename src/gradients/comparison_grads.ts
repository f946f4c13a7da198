import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels whose outputs are piecewise constant in their inputs (comparisons and boolean logic), and whose
 * gradient tfjs 4.22 does not register. Their gradient is zero almost everywhere.
 */
export const ZERO_GRADIENT_KERNELS: readonly string[] = [
  'Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'LogicalNot',
];

/**
 * Zero-gradient configs for {@link ZERO_GRADIENT_KERNELS}. First-order gradients never need them (nothing
 * differentiates a boolean mask), but second-order ones do: tfjs' own gradients of `LeakyRelu`, `Prelu`,
 * `Pow` and `Relu6` build masks with `greater`/`less`, so differentiating those gradients again (the
 * WGAN-GP penalty of a LeakyReLU discriminator) fails with "gradient function not found for Greater".
 * The gradient is float32 zeros of each input's shape, as tfjs requires of every gradient.
 */
export const comparisonGradConfigs: readonly tf.GradConfig[] = ZERO_GRADIENT_KERNELS.map((kernelName) => ({
  kernelName,
  inputsToSave: kernelName === 'LogicalNot' ? ['x'] : ['a', 'b'],
  gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> => {
    const zeros = (t: tf.Tensor) => () => tf.zeros(t.shape, 'float32');
    return kernelName === 'LogicalNot' ? { x: zeros(saved[0]!) } : { a: zeros(saved[0]!), b: zeros(saved[1]!) };
  },
}));
