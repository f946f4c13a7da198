/**
 * The one builder behind {@link unetGenerator} and {@link encoderDecoderGenerator}: a block function with
 * the roles outermost / middle / innermost, applied from level 1 (outermost) to level n (innermost), with
 * skip concatenations switched on (U-Net) or off (encoder-decoder). Mirrors the PyTorch reference's
 * `UnetSkipConnectionBlock`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { check, checkInt, checkKeys, checkOneOf, checkRange, assertNever } from '../util/validate.js';
import { kernelInitializer, layerSeed, resolveInit, type InitType, type WeightInit } from '../layers/init.js';
import { SeededDropout } from '../layers/seeded_dropout.js';
import { SpatialSizeCheck } from '../layers/size_check.js';
import { convBias, createNorm, NORM_KINDS, type NormKind } from '../layers/norm.js';

/**
 * Where the generator's dropout layers go (only when `dropout > 0`; never on the outermost block `up1`).
 * - `'paper'`: after the norm of the three decoder blocks nearest the bottleneck, `up{n}`, `up{n-1}`,
 *   `up{n-2}` (the paper's CD512-CD1024-CD1024 decoder blocks).
 * - `'reference'`: where the PyTorch reference puts it: on its `ngf*8 -> ngf*8` middle blocks, levels
 *   5 .. n-1, i.e. `up7`, `up6`, `up5` for 256x256 (n = 8), `up6`, `up5` for 128x128 and only `up5` for
 *   64x64. The reference's innermost block has no dropout.
 */
export type DropoutPlacement = 'paper' | 'reference';

/** Every accepted {@link DropoutPlacement}. */
export const DROPOUT_PLACEMENTS: readonly DropoutPlacement[] = ['paper', 'reference'];

/** Options of {@link unetGenerator} and {@link encoderDecoderGenerator}. */
export interface GeneratorOptions {
  /**
   * The square training size that picks the depth, a power of two (`numDowns = log2(imageSize)`, the
   * reference's `unet_256` / `unet_128`). It does not fix the input: the network is fully convolutional
   * (input `[batch, null, null, inputChannels]`) and runs on any H and W that are multiples of
   * `2^numDowns` (see `generatorDivisor`). Default: `2^numDowns` when `numDowns` is given, else 256.
   */
  imageSize?: number;
  /**
   * Number of stride-2 downsampling levels n (>= 2). Default `log2(imageSize)` (8 for 256, 7 for 128), which
   * takes the bottleneck to 1x1 as in the reference's `unet_256` / `unet_128`. When both are given,
   * `imageSize` must be >= `2^numDowns`. The reference needs n >= 5; smaller n (tiny test nets) keep the same
   * width rule.
   */
  numDowns?: number;
  /** Channels of the input image. Default 3. */
  inputChannels?: number;
  /** Channels of the output image. Default 3. */
  outputChannels?: number;
  /** Filters of the outermost encoder conv (the reference's `ngf`); level i has `filters * min(2^(i-1), 8)`. Default 64. */
  filters?: number;
  /** Normalization layer kind; see {@link NormKind}. Default `'batch'`. */
  norm?: NormKind;
  /** Dropout rate in [0, 1) on the decoder blocks chosen by `dropoutPlacement`; 0 adds no dropout layers. Default 0.5. */
  dropout?: number;
  /** Which decoder blocks get dropout; see {@link DropoutPlacement}. Default `'paper'`. */
  dropoutPlacement?: DropoutPlacement;
  /** Model name. Default `'unet_generator'` or `'encoder_decoder_generator'`. */
  name?: string;
  /**
   * Seed (integer >= 0) for the weight initialisation and the dropout masks; the same seed gives identical
   * weights and, call for call, identical dropout masks ({@link SeededDropout}). Each layer derives its own
   * seed from it and its name. Default: random.
   */
  seed?: number;
  /** Kernel initialisation (the reference's `--init_type`); see {@link InitType}. Default `'normal'`. */
  initType?: InitType;
  /** Gain of the initialisation (the reference's `--init_gain`); also the std of batch-norm scales. Default 0.02. */
  initGain?: number;
}

/** {@link GeneratorOptions} after defaults and validation. */
export interface ResolvedGeneratorOptions {
  /** Input height and width. */
  imageSize: number;
  /** Number of downsampling levels n. */
  numDowns: number;
  /** Input channels. */
  inputChannels: number;
  /** Output channels. */
  outputChannels: number;
  /** Base filters (ngf). */
  filters: number;
  /** Norm kind. */
  norm: NormKind;
  /** Dropout rate. */
  dropout: number;
  /** Dropout placement. */
  dropoutPlacement: DropoutPlacement;
  /** Model name. */
  name: string;
  /** Seed, or undefined for random weights. */
  seed: number | undefined;
  /** Weight initialisation (type and gain). */
  init: WeightInit;
}

/**
 * Number of U-Net downsampling levels for a square image: `log2(imageSize)` (8 for 256, 7 for 128, 6 for 64),
 * i.e. the depth at which the bottleneck is 1x1.
 * @throws RangeError when `imageSize` is not a power of two >= 4.
 */
export function unetNumDowns(imageSize: number): number {
  check(isPowerOfTwo(imageSize) && imageSize >= 4, 'imageSize', 'a power of two >= 4', imageSize);
  return Math.round(Math.log2(imageSize));
}

function isPowerOfTwo(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && (v & (v - 1)) === 0;
}

/** Every key of {@link GeneratorOptions}, for {@link checkKeys}. */
export const GENERATOR_OPTION_KEYS: readonly string[] = [
  'imageSize', 'numDowns', 'inputChannels', 'outputChannels', 'filters', 'norm', 'dropout', 'dropoutPlacement', 'name', 'seed', 'initType', 'initGain',
];

/**
 * Validates generator options and fills in defaults.
 * @param what - the factory's name, quoted in unknown-key errors. Default `defaultName`.
 * @internal
 */
export function resolveGeneratorOptions(
  options: GeneratorOptions,
  defaultName: string,
  what = defaultName,
): ResolvedGeneratorOptions {
  check(options !== null && typeof options === 'object', 'options', 'an object', options);
  checkKeys(options, GENERATOR_OPTION_KEYS, what);
  let { imageSize, numDowns } = options;
  if (numDowns !== undefined) checkInt(numDowns, 'numDowns', 2);
  if (imageSize !== undefined) {
    if (numDowns === undefined) {
      numDowns = unetNumDowns(imageSize);
    } else {
      const min = 2 ** numDowns;
      check(isPowerOfTwo(imageSize) && imageSize >= min, 'imageSize', `a power of two >= 2^numDowns = ${min}`, imageSize);
    }
  } else {
    numDowns ??= 8;
    imageSize = 2 ** numDowns;
  }
  const inputChannels = options.inputChannels ?? 3;
  checkInt(inputChannels, 'inputChannels', 1);
  const outputChannels = options.outputChannels ?? 3;
  checkInt(outputChannels, 'outputChannels', 1);
  const filters = options.filters ?? 64;
  checkInt(filters, 'filters', 1);
  const norm = options.norm ?? 'batch';
  checkOneOf(norm, 'norm', NORM_KINDS);
  const dropout = options.dropout ?? 0.5;
  checkRange(dropout, 'dropout', 0, 1, true);
  const dropoutPlacement = options.dropoutPlacement ?? 'paper';
  checkOneOf(dropoutPlacement, 'dropoutPlacement', DROPOUT_PLACEMENTS);
  const name = options.name ?? defaultName;
  check(typeof name === 'string' && name.length > 0, 'name', 'a non-empty string', name);
  const seed = options.seed;
  if (seed !== undefined) checkInt(seed, 'seed', 0);
  const init = resolveInit(options.initType, options.initGain);
  return { imageSize, numDowns, inputChannels, outputChannels, filters, norm, dropout, dropoutPlacement, name, seed, init };
}

/**
 * The 1-based decoder levels that carry dropout for n = `numDowns` (empty when `dropout` is 0).
 * @internal
 */
export function dropoutLevels(numDowns: number, placement: DropoutPlacement): number[] {
  let levels: number[];
  switch (placement) {
    case 'paper':
      levels = [numDowns, numDowns - 1, numDowns - 2];
      break;
    case 'reference':
      levels = [];
      for (let i = numDowns - 1; i >= 5; i--) levels.push(i);
      break;
    default:
      return assertNever(placement, 'dropoutPlacement');
  }
  return levels.filter((i) => i >= 2);
}

/** Output channels of the encoder conv of level i (1-based): `filters * min(2^(i-1), 8)`. */
function encoderChannels(filters: number, level: number): number {
  return filters * Math.min(2 ** (level - 1), 8);
}

type BlockRole = 'outermost' | 'middle' | 'innermost';

/** What every block needs from the whole network. */
interface BuildContext {
  readonly o: ResolvedGeneratorOptions;
  readonly skips: boolean;
  readonly dropoutAt: ReadonlySet<number>;
}

/**
 * One U-Net level: [lrelu] conv [norm] -> (inner levels) -> relu deconv [norm] [dropout] [concat with the
 * block input]. `x` is the block's input (the image for level 1, the previous level's output otherwise).
 */
function block(ctx: BuildContext, level: number, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  const { o } = ctx;
  const role: BlockRole = level === 1 ? 'outermost' : level === o.numDowns ? 'innermost' : 'middle';
  const bias = convBias(o.norm);
  const innerChannels = encoderChannels(o.filters, level);
  const outerChannels = level === 1 ? o.outputChannels : encoderChannels(o.filters, level - 1);
  const apply = (layer: tfl.layers.Layer, t: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(t) as tfl.SymbolicTensor;

  // Encoder half.
  let h = x;
  if (role !== 'outermost') h = apply(tfl.layers.leakyReLU({ alpha: 0.2, name: `down${level}_lrelu` }), h);
  const downName = `down${level}_conv`;
  h = apply(
    tfl.layers.conv2d({
      name: downName,
      filters: innerChannels,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      useBias: bias,
      kernelInitializer: kernelInitializer(o.seed, downName, o.init),
      biasInitializer: 'zeros',
    }),
    h,
  );
  if (role === 'middle') {
    const norm = createNorm(o.norm, `down${level}_norm`, o.seed, o.init.gain);
    if (norm) h = apply(norm, h);
  }

  // Inner levels.
  if (role !== 'innermost') h = block(ctx, level + 1, h);

  // Decoder half.
  h = apply(tfl.layers.reLU({ name: `up${level}_relu` }), h);
  const upName = `up${level}_deconv`;
  h = apply(
    tfl.layers.conv2dTranspose({
      name: upName,
      filters: outerChannels,
      kernelSize: 4,
      strides: 2,
      padding: 'same',
      useBias: role === 'outermost' ? true : bias,
      kernelInitializer: kernelInitializer(o.seed, upName, o.init),
      biasInitializer: 'zeros',
    }),
    h,
  );
  if (role === 'outermost') return apply(tfl.layers.activation({ activation: 'tanh', name: 'output_tanh' }), h);
  const norm = createNorm(o.norm, `up${level}_norm`, o.seed, o.init.gain);
  if (norm) h = apply(norm, h);
  if (ctx.dropoutAt.has(level)) {
    const name = `up${level}_dropout`;
    h = apply(new SeededDropout({ rate: o.dropout, seed: layerSeed(o.seed, name), name }), h);
  }
  if (ctx.skips) h = apply(tfl.layers.concatenate({ axis: -1, name: `up${level}_concat` }), [x, h]);
  return h;
}

/**
 * Builds a generator from validated options, with (`skips: true`, U-Net) or without skip connections.
 * @param owner - the factory's name, quoted by the size check's message (e.g. `'unetGenerator'`).
 * @internal
 */
export function buildGenerator(o: ResolvedGeneratorOptions, skips: boolean, owner: string): tfl.LayersModel {
  const dropoutAt = new Set(o.dropout > 0 ? dropoutLevels(o.numDowns, o.dropoutPlacement) : []);
  // Fully convolutional: any H, W that are multiples of 2^numDowns. The size check inside the model gives
  // `predict` on any other size a clear message instead of tfjs' concat shape error deep in the decoder.
  const input = tfl.input({ shape: [null, null, o.inputChannels], name: 'input' });
  const checked = new SpatialSizeCheck({ multiple: 2 ** o.numDowns, owner, name: 'size_check' }).apply(input) as tfl.SymbolicTensor;
  const output = block({ o, skips, dropoutAt }, 1, checked);
  return tfl.model({ inputs: input, outputs: output, name: o.name });
}
