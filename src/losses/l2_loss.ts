import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean squared error `mean((prediction - target)²)` over every element: the L2 reconstruction term
 * (PyTorch's `MSELoss`, mean reduction). The paper reports that L2 blurs more than L1.
 *
 * @param prediction Generator output, any shape (e.g. NHWC `[batch, h, w, c]`).
 * @param target Ground truth of the same shape.
 * @returns The scalar loss.
 */
export function l2Loss(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target))) as tf.Scalar;
}
