/**
 * `importTorchCheckpoint`: builds the model a reference checkpoint describes (architecture read by
 * `architecture.ts` from the layouts in `layout.ts`) and loads its weights.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { unetGenerator } from '../../generator/unet_generator.js';
import { resnetGenerator, RESNET_PADDINGS, type ResnetPadding } from '../../generator/resnet_generator.js';
import { patchDiscriminator } from '../../discriminator/patch_discriminator.js';
import { RECEPTIVE_FIELDS } from '../../discriminator/options.js';
import { discriminatorLayerCount } from '../../discriminator/geometry.js';
import { assertNever, check, checkInt, checkKeys, checkOneOf, describe } from '../../util/validate.js';
import { inferTorchArchitecture, type TorchArchitecture } from './architecture.js';
import { layoutOf, TORCH_ARCH_LAYOUTS, TORCH_ARCHS, type TorchArch } from './layout.js';
import { readTorchStateDict, type TorchTensor } from './read.js';
import { importTorchWeights } from './weights.js';

export { TORCH_ARCHS, type TorchArch } from './layout.js';
export { inferTorchArchitecture, type TorchArchitecture } from './architecture.js';

/** Options of {@link importTorchCheckpoint}. */
export interface ImportTorchCheckpointOptions {
  /**
   * The architecture the checkpoint must have; see {@link TorchArch}. Default: whatever the state dict is
   * (see {@link inferTorchArchitecture}). When given, a checkpoint of another architecture is an error.
   */
  arch?: TorchArch;
  /**
   * Input size of the built model. U-Net generators: default `2^num_downs` (256 for unet_256); a larger power
   * of two also works. Discriminators: default unset (any size). ResNet generators take any multiple of 4
   * and ignore it.
   */
  imageSize?: number;
  /**
   * Discriminators: channels of the target image; the rest of the first conv's input channels are the
   * conditioning input (`conditional` when there are any). Default 3.
   */
  targetChannels?: number;
  /**
   * Generators: dropout rate (the reference trains pix2pix with 0.5; it has no weights, so a U-Net checkpoint
   * cannot tell). U-Nets: placed where the reference places it (`dropoutPlacement: 'reference'`). ResNets:
   * used only when the checkpoint has dropout modules (`use_dropout`, which shifts its keys). Default 0.5.
   */
  dropout?: number;
  /**
   * ResNet generators: padding inside the residual blocks. A checkpoint cannot tell `'reflect'` from
   * `'replicate'` (same keys); `'zero'` is read from the keys and must not contradict them. Default
   * `'reflect'` (the reference's), or `'zero'` for a zero-padded checkpoint.
   */
  padding?: ResnetPadding;
  /** Model name. Default: the factory's default. */
  name?: string;
}

const OPTION_KEYS: readonly (keyof ImportTorchCheckpointOptions)[] = ['arch', 'imageSize', 'targetChannels', 'dropout', 'padding', 'name'];

/**
 * Builds the model a PyTorch reference checkpoint describes and loads its weights: the way to run a
 * published pix2pix model (`latest_net_G.pth`) in JS.
 *
 * ```ts
 * const G = importTorchCheckpoint(bytes, { arch: 'unet_256' });   // bytes of latest_net_G.pth (or resnet_9blocks, ...)
 * const fake = G.predict(input);                                   // input NHWC in [-1, 1]
 * ```
 *
 * The architecture (depth, `ngf`/`ndf`, channels, norm) is read from the state dict; `arch` only checks it.
 * Generators are built with `dropoutPlacement: 'reference'`, so training-mode / `mode: 'paper'` outputs
 * drop the same decoder blocks as the PyTorch reference (one level further out than the paper);
 * `predict` (inference mode) matches the reference's `--eval` outputs.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { importTorchCheckpoint } from '@acme/pix2pix';
 *
 * // A generator saved by the PyTorch reference (torch.save of netG's state_dict); the architecture is inferred.
 * const G = importTorchCheckpoint(await readFile('checkpoints/facades_label2photo/latest_net_G.pth'));
 * ```
 * @param source - File bytes (zip or legacy `torch.save` format) or a state dict from {@link readTorchStateDict}.
 * @param options - See {@link ImportTorchCheckpointOptions}.
 * ResNet generators (`resnet_9blocks`, `resnet_6blocks`, any `n_blocks`; also the reference's CycleGAN
 * generators, which are the same module) are built by {@link resnetGenerator}, fully convolutional.
 *
 * @returns A new `tf.LayersModel` from {@link unetGenerator}, {@link resnetGenerator} or
 *   {@link patchDiscriminator}, weights loaded.
 */
export function importTorchCheckpoint(
  source: Uint8Array | Map<string, TorchTensor>,
  options: ImportTorchCheckpointOptions = {},
): tfl.LayersModel {
  checkKeys(options, OPTION_KEYS, 'importTorchCheckpoint');
  check(options !== null && typeof options === 'object', 'options', 'an object', options);
  if (options.arch !== undefined) checkOneOf(options.arch, 'arch', TORCH_ARCHS);
  if (options.padding !== undefined) checkOneOf(options.padding, 'padding', RESNET_PADDINGS);
  const sd = source instanceof Uint8Array ? readTorchStateDict(source) : source;
  const a = inferTorchArchitecture(sd);
  if (options.arch !== undefined) {
    const want = TORCH_ARCH_LAYOUTS[options.arch as TorchArch];
    if (want.kind !== a.kind || (want.depth !== undefined && want.depth !== a.depth)) {
      throw new Error(`importTorchCheckpoint: arch ${describe(options.arch)} does not match the checkpoint, which is ${layoutOf(a.kind).describeFound(a)}`);
    }
  }
  const model = buildFor(a, options);
  try {
    importTorchWeights(model, sd);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Our model for an inferred architecture (one case per reference network, exhaustive). */
function buildFor(a: TorchArchitecture, options: ImportTorchCheckpointOptions): tfl.LayersModel {
  const name = options.name === undefined ? {} : { name: options.name };
  switch (a.kind) {
    case 'unet':
      return unetGenerator({
        numDowns: a.depth,
        imageSize: options.imageSize ?? 2 ** a.depth,
        inputChannels: a.inputChannels,
        outputChannels: a.outputChannels!,
        filters: a.filters,
        norm: a.norm,
        dropout: options.dropout ?? 0.5,
        dropoutPlacement: 'reference',
        ...name,
      });
    case 'resnet': {
      if (options.padding !== undefined && (options.padding === 'zero') !== (a.padding === 'zero')) {
        throw new Error(
          `importTorchCheckpoint: padding '${options.padding}' does not match the checkpoint, whose residual blocks ` +
            (a.padding === 'zero' ? 'pad inside their convs (zero padding)' : 'have padding modules (reflect or replicate)'),
        );
      }
      return resnetGenerator({
        blocks: a.depth,
        inputChannels: a.inputChannels,
        outputChannels: a.outputChannels!,
        filters: a.filters,
        norm: a.norm,
        dropout: a.dropout ? (options.dropout ?? 0.5) : 0,
        padding: options.padding ?? a.padding ?? 'reflect',
        ...name,
      });
    }
    case 'nlayer':
    case 'pixel': {
      const layers = a.kind === 'pixel' ? 0 : a.depth;
      const receptiveField = RECEPTIVE_FIELDS.find((rf) => discriminatorLayerCount(rf) === layers);
      if (receptiveField === undefined) throw new Error(`importTorchCheckpoint: n_layers=${a.depth} is not supported (1-5 are)`);
      const targetChannels = options.targetChannels ?? 3;
      checkInt(targetChannels, 'targetChannels', 1);
      check(targetChannels <= a.inputChannels, 'targetChannels', `<= the checkpoint's ${a.inputChannels} input channels`, targetChannels);
      const conditional = a.inputChannels > targetChannels;
      return patchDiscriminator({
        receptiveField,
        inputChannels: conditional ? a.inputChannels - targetChannels : 3,
        targetChannels,
        conditional,
        filters: a.filters,
        norm: a.norm,
        ...(options.imageSize === undefined ? {} : { imageSize: options.imageSize }),
        ...name,
      });
    }
    default:
      return assertNever(a.kind, 'architecture');
  }
}
