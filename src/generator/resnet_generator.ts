/**
 * The ResNet generator of the PyTorch reference (`ResnetGenerator`: its `resnet_9blocks` / `resnet_6blocks`
 * pix2pix generators and its CycleGAN generator; Johnson et al. 2016): options, validation and the network.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { assertNever, check, checkInt, checkKeys, checkOneOf, checkRange } from '../util/validate.js';
import { kernelInitializer, layerSeed, resolveInit, type InitType, type WeightInit } from '../layers/init.js';
import { convBias, createNorm, NORM_KINDS, type NormKind } from '../layers/norm.js';
import { ReflectionPadding2D, ReplicationPadding2D } from '../layers/padding.js';
import { LeadingCrop2D } from '../layers/crop.js';
import { SpatialSizeCheck } from '../layers/size_check.js';
import { SeededDropout } from '../layers/seeded_dropout.js';

/**
 * Padding of the 3x3 convs inside the residual blocks (the reference's `padding_type`): `'reflect'`
 * (default), `'replicate'` or `'zero'`. The 7x7 convs at both ends always use reflection padding, as in the
 * reference.
 */
export type ResnetPadding = 'reflect' | 'replicate' | 'zero';

/** Every {@link ResnetPadding}. */
export const RESNET_PADDINGS: readonly ResnetPadding[] = ['reflect', 'replicate', 'zero'];

/** Height and width of a ResNet generator's input must be multiples of this (two stride-2 levels). */
export const RESNET_SIZE_MULTIPLE = 4;

/** Options of {@link resnetGenerator}. */
export interface ResnetGeneratorOptions {
  /** Residual blocks (integer >= 0): 9 is the reference's `resnet_9blocks`, 6 its `resnet_6blocks`. Default 9. */
  blocks?: number;
  /** Filters of the first conv (the reference's `ngf`); the blocks have `4 * filters`. Default 64. */
  filters?: number;
  /** Normalization layer kind; see {@link NormKind}. Default `'batch'`. */
  norm?: NormKind;
  /**
   * Dropout rate in [0, 1) between the two convs of every residual block (the reference's `use_dropout`
   * means 0.5). Default 0 (off, the reference's default for ResNet generators: `--no_dropout`-like).
   */
  dropout?: number;
  /** Padding inside the residual blocks; see {@link ResnetPadding}. Default `'reflect'`. */
  padding?: ResnetPadding;
  /** Channels of the input image. Default 3. */
  inputChannels?: number;
  /** Channels of the output image. Default 3. */
  outputChannels?: number;
  /** Seed (integer >= 0) for the weights and dropout masks; the same seed gives the same weights. Default: random. */
  seed?: number;
  /** Kernel initialisation (the reference's `--init_type`); see {@link InitType}. Default `'normal'`. */
  initType?: InitType;
  /** Gain of the initialisation (the reference's `--init_gain`); also the std of batch-norm scales. Default 0.02. */
  initGain?: number;
  /** Model name. Default `'resnet_generator'`. */
  name?: string;
}

const OPTION_KEYS: readonly (keyof ResnetGeneratorOptions)[] = [
  'blocks', 'filters', 'norm', 'dropout', 'padding', 'inputChannels', 'outputChannels', 'seed', 'initType', 'initGain', 'name',
];

interface Resolved {
  blocks: number;
  filters: number;
  norm: NormKind;
  dropout: number;
  padding: ResnetPadding;
  inputChannels: number;
  outputChannels: number;
  seed: number | undefined;
  init: WeightInit;
  name: string;
}

function resolve(options: ResnetGeneratorOptions): Resolved {
  checkKeys(options, OPTION_KEYS, 'resnetGenerator');
  const blocks = options.blocks ?? 9;
  checkInt(blocks, 'blocks', 0);
  const filters = options.filters ?? 64;
  checkInt(filters, 'filters', 1);
  const norm = options.norm ?? 'batch';
  checkOneOf(norm, 'norm', NORM_KINDS);
  const dropout = options.dropout ?? 0;
  checkRange(dropout, 'dropout', 0, 1, true);
  const padding = options.padding ?? 'reflect';
  checkOneOf(padding, 'padding', RESNET_PADDINGS);
  const inputChannels = options.inputChannels ?? 3;
  checkInt(inputChannels, 'inputChannels', 1);
  const outputChannels = options.outputChannels ?? 3;
  checkInt(outputChannels, 'outputChannels', 1);
  const seed = options.seed;
  if (seed !== undefined) checkInt(seed, 'seed', 0);
  const init = resolveInit(options.initType, options.initGain);
  const name = options.name ?? 'resnet_generator';
  check(typeof name === 'string' && name.length > 0, 'name', 'a non-empty string', name);
  return { blocks, filters, norm, dropout, padding, inputChannels, outputChannels, seed, init, name };
}

/** The padding layer of one {@link ResnetPadding} (one lookup, exhaustive). */
function paddingLayer(kind: ResnetPadding, padding: number, name: string): tfl.layers.Layer {
  switch (kind) {
    case 'reflect':
      return new ReflectionPadding2D({ padding, name });
    case 'replicate':
      return new ReplicationPadding2D({ padding, name });
    case 'zero':
      return tfl.layers.zeroPadding2d({ padding, name });
    default:
      return assertNever(kind, 'padding');
  }
}

/**
 * The reference's ResNet generator (`ResnetGenerator`, `--netG resnet_9blocks | resnet_6blocks`; also the
 * reference's CycleGAN generator), fully convolutional:
 *
 * c7s1-ngf, d2ngf, d4ngf, R4ngf x `blocks`, u2ngf, ungf, c7s1-out, tanh: reflection pad 3 + 7x7 conv, norm,
 * ReLU; two 3x3 stride-2 convs (zero padding 1), norm, ReLU; `blocks` residual blocks `x + [pad 1, 3x3 conv,
 * norm, ReLU, (dropout), pad 1, 3x3 conv, norm](x)`; two 3x3 stride-2 transposed convs with PyTorch's
 * `padding=1, output_padding=1` alignment (a `valid` transposed conv then dropping the first row and column),
 * norm, ReLU; reflection pad 3, 7x7 conv with bias, tanh. Convs before a norm have a bias only under
 * instance norm (the reference's rule).
 *
 * Input `[batch, h, w, inputChannels]` in [-1, 1] with h and w multiples of 4 (others are refused with the
 * nearest valid sizes); output `[batch, h, w, outputChannels]` in [-1, 1]. Trainable parameters with
 * `filters: 64`, 3 channels: 11,383,427 (9 blocks, batch norm), 11,378,179 (9, instance), 7,841,411
 * (6, batch), 7,837,699 (6, instance).
 *
 * Layer names (a contract: the PyTorch import/export maps onto them): `input`, `size_check`, `pad0`,
 * `conv0`, `norm0`, `relu0`; `down{i}_pad`, `down{i}_conv`, `down{i}_norm`, `down{i}_relu` (i = 1, 2);
 * `block{b}_pad1`, `block{b}_conv1`, `block{b}_norm1`, `block{b}_relu`, `block{b}_dropout` (when
 * `dropout > 0`), `block{b}_pad2`, `block{b}_conv2`, `block{b}_norm2`, `block{b}_add` (b = 1..blocks);
 * `up{i}_deconv`, `up{i}_crop`, `up{i}_norm`, `up{i}_relu` (i = 1, 2); `out_pad`, `out_conv`, `output_tanh`.
 * Norm layers are absent for `norm: 'none'`.
 *
 * @example
 * ```ts
 * import { resnetGenerator } from '@acme/pix2pix';
 *
 * // The reference's resnet_9blocks (also its CycleGAN generator), instance norm.
 * const G = resnetGenerator({ blocks: 9, filters: 64, norm: 'instance', seed: 1 });
 * console.log(G.countParams());
 * ```
 * @param options see {@link ResnetGeneratorOptions}; all optional.
 * @returns a `tf.LayersModel` with input shape `[null, null, null, inputChannels]`.
 * @throws RangeError for invalid or unknown options, quoting the received value.
 */
export function resnetGenerator(options: ResnetGeneratorOptions = {}): tfl.LayersModel {
  const o = resolve(options);
  const bias = convBias(o.norm);
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
  const conv = (name: string, filters: number, kernelSize: number, strides: number, useBias: boolean, transposed = false) => {
    const args = {
      name,
      filters,
      kernelSize,
      strides,
      padding: 'valid' as const,
      useBias,
      kernelInitializer: kernelInitializer(o.seed, name, o.init),
      biasInitializer: 'zeros' as const,
    };
    return transposed ? tfl.layers.conv2dTranspose(args) : tfl.layers.conv2d(args);
  };
  const norm = (name: string, x: tfl.SymbolicTensor) => {
    const layer = createNorm(o.norm, name, o.seed, o.init.gain);
    return layer ? apply(layer, x) : x;
  };
  const relu = (name: string, x: tfl.SymbolicTensor) => apply(tfl.layers.reLU({ name }), x);

  const input = tfl.input({ shape: [null, null, o.inputChannels], name: 'input' });
  let h = apply(new SpatialSizeCheck({ multiple: RESNET_SIZE_MULTIPLE, owner: 'resnetGenerator', name: 'size_check' }), input);
  h = apply(new ReflectionPadding2D({ padding: 3, name: 'pad0' }), h);
  h = relu('relu0', norm('norm0', apply(conv('conv0', o.filters, 7, 1, bias), h)));
  for (let i = 1; i <= 2; i++) {
    h = apply(tfl.layers.zeroPadding2d({ padding: 1, name: `down${i}_pad` }), h);
    h = relu(`down${i}_relu`, norm(`down${i}_norm`, apply(conv(`down${i}_conv`, o.filters * 2 ** i, 3, 2, bias), h)));
  }
  const width = o.filters * 4;
  for (let b = 1; b <= o.blocks; b++) {
    const x = h;
    let r = apply(paddingLayer(o.padding, 1, `block${b}_pad1`), x);
    r = relu(`block${b}_relu`, norm(`block${b}_norm1`, apply(conv(`block${b}_conv1`, width, 3, 1, bias), r)));
    if (o.dropout > 0) {
      const name = `block${b}_dropout`;
      r = apply(new SeededDropout({ rate: o.dropout, ...(o.seed === undefined ? {} : { seed: layerSeed(o.seed, name)! }), name }), r);
    }
    r = apply(paddingLayer(o.padding, 1, `block${b}_pad2`), r);
    r = norm(`block${b}_norm2`, apply(conv(`block${b}_conv2`, width, 3, 1, bias), r));
    h = apply(tfl.layers.add({ name: `block${b}_add` }), [x, r]);
  }
  for (let i = 1; i <= 2; i++) {
    h = apply(conv(`up${i}_deconv`, o.filters * 2 ** (2 - i), 3, 2, bias, true), h);
    h = apply(new LeadingCrop2D({ crop: 1, name: `up${i}_crop` }), h);
    h = relu(`up${i}_relu`, norm(`up${i}_norm`, h));
  }
  h = apply(new ReflectionPadding2D({ padding: 3, name: 'out_pad' }), h);
  h = apply(conv('out_conv', o.outputChannels, 7, 1, true), h);
  const output = apply(tfl.layers.activation({ activation: 'tanh', name: 'output_tanh' }), h);
  return tfl.model({ inputs: input, outputs: output, name: o.name });
}
