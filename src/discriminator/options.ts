/**
 * Options of {@link patchDiscriminator} and their validation, shared by the factory and the geometry helpers.
 */
import { check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';
import { NORM_KINDS, type NormKind } from '../layers/norm.js';
import { resolveInit, type InitType, type WeightInit } from '../layers/init.js';

/**
 * Supported discriminator receptive fields, in input pixels: 1 is the PixelGAN (1x1 convs), the others are
 * PatchGANs with n = 1..5 stride-2 convs, RF(n) = 9 * 2^n - 2 (16, 34, 70, 142, 286; 286 covers a whole
 * 256x256 image, the paper's "ImageGAN").
 */
export type ReceptiveField = 1 | 16 | 34 | 70 | 142 | 286;

/** Every supported {@link ReceptiveField}, ascending. */
export const RECEPTIVE_FIELDS: readonly ReceptiveField[] = [1, 16, 34, 70, 142, 286];

/** Options of {@link patchDiscriminator}. */
export interface PatchDiscriminatorOptions {
  /** Receptive field of one output logit in input pixels; see {@link ReceptiveField}. Default 70 (the paper's 70x70 PatchGAN). */
  receptiveField?: ReceptiveField;
  /** Channels of the conditioning input image (used only when `conditional`). Default 3. */
  inputChannels?: number;
  /** Channels of the target (real or generated) image. Default 3. */
  targetChannels?: number;
  /** Filters of the first conv (the reference's `ndf`); conv k has `filters * min(2^k, 8)`. Default 64. */
  filters?: number;
  /** Normalization layer kind; see {@link NormKind}. Default `'batch'`. */
  norm?: NormKind;
  /**
   * `true`: a conditional discriminator with inputs `[input, target]`, concatenated on channels in that
   * order (the reference's `torch.cat((real_A, fake_B), 1)`). `false`: one input, `target` (the paper's
   * unconditional-GAN ablation). Default `true`.
   */
  conditional?: boolean;
  /**
   * Fixes the height and width of the inputs. Default: unset, so the model accepts any size
   * (`[batch, null, null, channels]`). Sizes should be multiples of `2^n` (n stride-2 convs) so that the
   * stride-2 'same' padding equals the reference's padding 1; see {@link discriminatorOutputShape}.
   */
  imageSize?: number;
  /** Model name. Default `'patch_discriminator'`. */
  name?: string;
  /** Seed (integer >= 0) for the weight initialisation; the same seed gives identical weights. Default: random. */
  seed?: number;
  /** Kernel initialisation (the reference's `--init_type`); see {@link InitType}. Default `'normal'`. */
  initType?: InitType;
  /** Gain of the initialisation (the reference's `--init_gain`); also the std of batch-norm scales. Default 0.02. */
  initGain?: number;
}

/** {@link PatchDiscriminatorOptions} after defaults and validation. @internal */
export interface ResolvedDiscriminatorOptions {
  /** Receptive field. */
  receptiveField: ReceptiveField;
  /** Conditioning input channels. */
  inputChannels: number;
  /** Target channels. */
  targetChannels: number;
  /** Base filters (ndf). */
  filters: number;
  /** Norm kind. */
  norm: NormKind;
  /** Conditional or not. */
  conditional: boolean;
  /** Fixed input size, or null for any size. */
  imageSize: number | null;
  /** Model name. */
  name: string;
  /** Seed or undefined. */
  seed: number | undefined;
  /** Weight initialisation (type and gain). */
  init: WeightInit;
}

/**
 * Validates the receptive field (default 70).
 * @internal
 */
export function resolveReceptiveField(receptiveField: unknown): ReceptiveField {
  const rf = receptiveField ?? 70;
  checkOneOf(rf, 'receptiveField', RECEPTIVE_FIELDS);
  return rf;
}

/** Every key of {@link PatchDiscriminatorOptions}, for `checkKeys`. @internal */
export const DISCRIMINATOR_OPTION_KEYS: readonly string[] = [
  'receptiveField', 'inputChannels', 'targetChannels', 'filters', 'norm', 'conditional', 'imageSize', 'name', 'seed', 'initType', 'initGain',
];

/**
 * Validates discriminator options and fills in defaults.
 * @internal
 */
export function resolveDiscriminatorOptions(options: PatchDiscriminatorOptions): ResolvedDiscriminatorOptions {
  check(options !== null && typeof options === 'object', 'options', 'an object', options);
  checkKeys(options, DISCRIMINATOR_OPTION_KEYS, 'patchDiscriminator');
  const receptiveField = resolveReceptiveField(options.receptiveField);
  const inputChannels = options.inputChannels ?? 3;
  checkInt(inputChannels, 'inputChannels', 1);
  const targetChannels = options.targetChannels ?? 3;
  checkInt(targetChannels, 'targetChannels', 1);
  const filters = options.filters ?? 64;
  checkInt(filters, 'filters', 1);
  const norm = options.norm ?? 'batch';
  checkOneOf(norm, 'norm', NORM_KINDS);
  const conditional = options.conditional ?? true;
  check(typeof conditional === 'boolean', 'conditional', 'a boolean', conditional);
  const imageSize = options.imageSize ?? null;
  if (imageSize !== null) checkInt(imageSize, 'imageSize', 1);
  const name = options.name ?? 'patch_discriminator';
  check(typeof name === 'string' && name.length > 0, 'name', 'a non-empty string', name);
  const seed = options.seed;
  if (seed !== undefined) checkInt(seed, 'seed', 0);
  const init = resolveInit(options.initType, options.initGain);
  return { receptiveField, inputChannels, targetChannels, filters, norm, conditional, imageSize, name, seed, init };
}
