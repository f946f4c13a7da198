import * as tf from '@tensorflow/tfjs-core';

/** Attributes of the `Conv2DBackpropFilter` kernel (tfjs-core's `Conv2DBackpropFilterAttrs`). */
interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: Parameters<typeof tf.conv2d>[3];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * Gradient of the `Conv2DBackpropFilter` kernel, which tfjs 4.22 does not register. That kernel computes
 * a convolution's weight gradient `dW = ∂⟨dy, conv(x, W)⟩/∂W` from the convolution input `x` and the
 * output gradient `dy`; it is bilinear in `(x, dy)`, and for an incoming gradient `G` (shaped like `W`):
 *
 * - `∂⟨G, dW⟩/∂x = conv2DBackpropInput(x.shape, dy, G)` (the transposed convolution of `dy` with `G`),
 * - `∂⟨G, dW⟩/∂dy = conv2d(x, G)` (the forward convolution with `G` as filter),
 *
 * both with the kernel's strides, padding, data format and rounding mode. Built from differentiable
 * kernels, so it composes to third order. Needed to differentiate through a weight gradient, e.g. the
 * WGAN-GP penalty of a discriminator with respect to its weights when tfjs' fused convolution computes
 * both input and weight gradients.
 */
export const conv2DBackpropFilterGradConfig: tf.GradConfig = {
  kernelName: 'Conv2DBackpropFilter',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs?: tf.NamedAttrMap) => {
    const [x, dy] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = ddw as tf.Tensor4D;
    const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as BackpropFilterAttrs;
    return {
      x: () =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: g }, {
          strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor4D,
      dy: () => tf.conv2d(x, g, strides, pad, dataFormat === 'NCHW' ? 'NCHW' : 'NHWC', 1, dimRoundingMode),
    };
  },
};
