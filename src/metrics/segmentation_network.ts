import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../util/random.js';
import { check, checkInt, checkKeys } from '../util/validate.js';

/** Options of {@link segmentationNetwork}. */
export interface SegmentationNetworkOptions {
  /** Height and width of the square NHWC input photos; must be divisible by `2^levels`. Required. */
  imageSize: number;
  /** Number of classes, i.e. channels of the output logits. Required. */
  numClasses: number;
  /** Channels of the input photos. Default 3. */
  inputChannels?: number;
  /** Filters of the first level; level i has `filters * 2^i`. Default 16. */
  filters?: number;
  /** Number of stride-2 downsampling levels (>= 1). Default 3. */
  levels?: number;
  /** Seed (integer >= 0) of the weight initialisation; each layer derives its own. Default 0. */
  seed?: number;
  /** Model name. Default `'segmentation_network'`. */
  name?: string;
}

/**
 * A small fully convolutional segmentation network, the scorer behind the package's take on the
 * paper's "FCN-score" (Isola et al. 2017, section 4.2: an off-the-shelf semantic segmenter trained on
 * real photos is applied to generated photos; the better they are, the closer its labels are to the
 * true label maps). It is deliberately tiny so it trains in minutes on a CPU, in the spirit of, not a
 * copy of, the FCN-8s the paper used.
 *
 * Layout (f = `filters`, L = `levels`, all convs 3x3 'same' + ReLU):
 * `C(f)-C(f)`, then per level `C(f*2^i, stride 2)-C(f*2^i)`, then per level back up a 2x2 stride-2
 * transposed conv to `f*2^(i-1)`, concatenated with the encoder feature of that size, and `C(f*2^(i-1))`;
 * finally a 1x1 conv to `numClasses` logits (no softmax).
 *
 * Input `[batch, imageSize, imageSize, inputChannels]` photos in [-1, 1]; output
 * `[batch, imageSize, imageSize, numClasses]` logits. Train it with {@link trainSegmentationNetwork};
 * score images with {@link segmentationScore}.
 */
export function segmentationNetwork(options: SegmentationNetworkOptions): tfl.LayersModel {
  checkKeys(options, ['imageSize', 'numClasses', 'inputChannels', 'filters', 'levels', 'seed', 'name'], 'segmentationNetwork');
  const { imageSize, numClasses } = options;
  const inputChannels = options.inputChannels ?? 3;
  const filters = options.filters ?? 16;
  const levels = options.levels ?? 3;
  const seed = options.seed ?? 0;
  checkInt(imageSize, 'imageSize', 1);
  checkInt(numClasses, 'numClasses', 2);
  checkInt(inputChannels, 'inputChannels', 1);
  checkInt(filters, 'filters', 1);
  checkInt(levels, 'levels', 1);
  checkInt(seed, 'seed', 0);
  check(imageSize % 2 ** levels === 0, 'imageSize', `divisible by 2^levels = ${2 ** levels}`, imageSize);

  const init = (name: string) => tfl.initializers.heNormal({ seed: deriveSeed(seed, 'segmentation', name) });
  const conv = (x: tfl.SymbolicTensor, f: number, name: string, strides = 1) =>
    tfl.layers
      .conv2d({ filters: f, kernelSize: 3, strides, padding: 'same', activation: 'relu', kernelInitializer: init(name), name })
      .apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: [imageSize, imageSize, inputChannels], name: 'photo' });
  let x = conv(conv(input, filters, 'enc0_a'), filters, 'enc0_b');
  const skips: tfl.SymbolicTensor[] = [x];
  for (let i = 1; i <= levels; i++) {
    x = conv(conv(x, filters * 2 ** i, `enc${i}_a`, 2), filters * 2 ** i, `enc${i}_b`);
    if (i < levels) skips.push(x);
  }
  for (let i = levels; i >= 1; i--) {
    const f = filters * 2 ** (i - 1);
    const up = tfl.layers
      .conv2dTranspose({ filters: f, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(`up${i}`), name: `up${i}` })
      .apply(x) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ axis: -1, name: `skip${i}` }).apply([up, skips[i - 1]!]) as tfl.SymbolicTensor;
    x = conv(cat, f, `dec${i}`);
  }
  const logits = tfl.layers
    .conv2d({ filters: numClasses, kernelSize: 1, padding: 'same', kernelInitializer: init('logits'), name: 'logits' })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: options.name ?? 'segmentation_network' });
}

/** The per-pixel class ids (argmax of the logits) of `photos`: `[batch, h, w]` int32 (caller disposes). */
export function predictLabels(model: tfl.LayersModel, photos: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => tf.argMax(model.predict(photos) as tf.Tensor4D, -1) as tf.Tensor3D);
}
