import type * as tfl from '@tensorflow/tfjs-layers';
import { buildGenerator, resolveGeneratorOptions, type GeneratorOptions } from './builder.js';

/**
 * The paper's encoder-decoder generator baseline (section 4.3, table 2): the {@link unetGenerator} without
 * its skip connections, built by the same builder.
 *
 * For 256x256 and `filters: 64` (n = 8): encoder C64-C128-C256-C512-C512-C512-C512-C512, decoder
 * CD512-CD512-CD512-C512-C256-C128-C64, then a transposed conv to `outputChannels` and tanh.
 *
 * Input `[batch, h, w, inputChannels]` in [-1, 1] for any h, w that are multiples of `2^numDowns` (fully
 * convolutional; `checkGeneratorInput` checks a size); output `[batch, h, w, outputChannels]` in [-1, 1]. Trainable parameters with `filters: 64`,
 * `norm: 'batch'`, 3 channels: 22,294,147 (64x64), 30,684,803 (128x128), 39,075,459 (256x256).
 *
 * Layer names are those of {@link unetGenerator} minus the `up{i}_concat` layers: `input`, `size_check`, `down{i}_lrelu`
 * (i >= 2), `down{i}_conv`, `down{i}_norm` (2 <= i <= n-1), `up{i}_relu`, `up{i}_deconv`, `up{i}_norm`
 * (i >= 2), `up{i}_dropout` (where placed), `output_tanh`.
 *
 * @example
 * ```ts
 * import { encoderDecoderGenerator } from '@acme/pix2pix';
 *
 * // The paper's ablation baseline: the U-Net without its skip connections.
 * const G = encoderDecoderGenerator({ imageSize: 256, filters: 64, seed: 1 });
 * G.summary();
 * ```
 * @param options see {@link GeneratorOptions}; all optional.
 * @returns a `tf.LayersModel`.
 * @throws RangeError for invalid options, quoting the received value.
 */
export function encoderDecoderGenerator(options: GeneratorOptions = {}): tfl.LayersModel {
  return buildGenerator(resolveGeneratorOptions(options, 'encoder_decoder_generator', 'encoderDecoderGenerator'), false, 'encoderDecoderGenerator');
}
