import type * as tfl from '@tensorflow/tfjs-layers';
import { buildGenerator, resolveGeneratorOptions, type GeneratorOptions } from './builder.js';

/**
 * The pix2pix U-Net generator (paper section 3.2.1 and appendix 6.1.1): an encoder-decoder whose decoder
 * level i also sees the encoder's level-i input through a skip connection.
 *
 * For 256x256 and `filters: 64` (n = 8): encoder C64-C128-C256-C512-C512-C512-C512-C512, decoder
 * CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128 (channel counts after each skip concat), then a
 * transposed conv to `outputChannels` and tanh. 4x4 convs with stride 2 everywhere.
 *
 * Input `[batch, h, w, inputChannels]` in [-1, 1] for any h, w that are multiples of `2^numDowns` (fully
 * convolutional; `checkGeneratorInput` checks a size); output `[batch, h, w, outputChannels]` in [-1, 1]. Trainable parameters with `filters: 64`,
 * `norm: 'batch'`, 3 channels: 29,244,035 (64x64), 41,828,995 (128x128), 54,413,955 (256x256).
 *
 * Layer names (a contract: checkpoint import/export maps onto them), n = numDowns, level i = 1 (outermost)
 * .. n (innermost):
 * - `input`: the input layer.
 * - `size_check`: a `SpatialSizeCheck` (an identity layer) refusing sizes that are not multiples of `2^numDowns`.
 * - `down{i}_lrelu` (i >= 2): LeakyReLU 0.2 before the conv.
 * - `down{i}_conv`: Conv2D 4x4 stride 2 'same', `filters * min(2^(i-1), 8)` filters; kernel HWIO; bias only
 *   under instance norm.
 * - `down{i}_norm` (2 <= i <= n-1): the norm (absent for `norm: 'none'`).
 * - `up{i}_relu`, `up{i}_deconv`: ReLU, then Conv2DTranspose 4x4 stride 2 'same' to the channels of the
 *   level's input (`outputChannels` for i = 1); kernel `[h, w, out, in]`; bias under instance norm and always
 *   on `up1_deconv`.
 * - `up{i}_norm` (i >= 2), `up{i}_dropout` ({@link SeededDropout}, where `dropoutPlacement` puts it, `dropout > 0`).
 * - `up{i}_concat` (i >= 2): `[encoder input of level i, decoder output of level i]` on channels, feeding
 *   level i-1 (as the reference's `torch.cat([x, model(x)], 1)`).
 * - `output_tanh`: the final tanh.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tf from '@tensorflow/tfjs-core';
 * import { unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, filters: 64, norm: 'batch', seed: 1 }); // the paper's U-Net 256
 * const y = G.predict(tf.zeros([1, 256, 256, 3])) as tf.Tensor4D;                  // [1, 256, 256, 3] in [-1, 1]
 * ```
 * @param options see {@link GeneratorOptions}; all optional.
 * @returns an unbuilt-for-training `tf.LayersModel` (call `predict`, `apply`, `save` as usual).
 * @throws RangeError for invalid options, quoting the received value.
 */
export function unetGenerator(options: GeneratorOptions = {}): tfl.LayersModel {
  return buildGenerator(resolveGeneratorOptions(options, 'unet_generator', 'unetGenerator'), true, 'unetGenerator');
}
