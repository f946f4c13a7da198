import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean absolute error `mean(|prediction - target|)` over every element: the paper's L1 reconstruction
 * term (PyTorch's `L1Loss`, mean reduction).
 *
 * @param prediction Generator output, any shape (e.g. NHWC `[batch, h, w, c]`).
 * @param target Ground truth of the same shape.
 * @returns The scalar loss.
 */
export function l1Loss(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(prediction, target)))) as tf.Scalar;
}
