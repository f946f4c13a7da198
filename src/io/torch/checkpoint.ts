import type * as tfl from '@tensorflow/tfjs-layers';
import { unetGenerator } from '../../generator/unet_generator.js';
import { patchDiscriminator } from '../../discriminator/patch_discriminator.js';
import type { ReceptiveField } from '../../discriminator/options.js';
import type { NormKind } from '../../layers/norm.js';
import { check, checkInt, checkOneOf, describe } from '../../util/validate.js';
import { readTorchStateDict, type TorchTensor } from './read.js';
import { importTorchWeights } from './weights.js';

/**
 * The reference's architecture names (`--netG` / `--netD` of junyanz/pytorch-CycleGAN-and-pix2pix):
 * `'unet_256'` (num_downs 8), `'unet_128'` (num_downs 7), `'basic'` (the 70x70 PatchGAN, n_layers 3),
 * `'n_layers'` (PatchGAN with the checkpoint's n_layers, 1-5), `'pixel'` (PixelGAN). `'unet'` accepts a
 * U-Net of any depth.
 */
export type TorchArch = 'unet_256' | 'unet_128' | 'unet' | 'basic' | 'n_layers' | 'pixel';

/** Every {@link TorchArch}. */
export const TORCH_ARCHS: readonly TorchArch[] = ['unet_256', 'unet_128', 'unet', 'basic', 'n_layers', 'pixel'];

/** What a reference state dict says about the network it came from (see {@link inferTorchArchitecture}). */
export interface TorchArchitecture {
  /** `'unet'` (UnetGenerator), `'nlayer'` (NLayerDiscriminator) or `'pixel'` (PixelDiscriminator). */
  kind: 'unet' | 'nlayer' | 'pixel';
  /** U-Net `num_downs`, or NLayerDiscriminator `n_layers` (1 for the PixelGAN). */
  depth: number;
  /** `ngf` / `ndf`: filters of the first conv. */
  filters: number;
  /** Norm the network was trained with (instance vs none is told apart by the convs' biases). */
  norm: NormKind;
  /** Input channels of the first conv (for a conditional discriminator: input + target channels). */
  inputChannels: number;
  /** U-Net output channels (absent for discriminators). */
  outputChannels?: number;
}

const shapeOf = (sd: Map<string, TorchTensor>, key: string): number[] | undefined => sd.get(key)?.shape;

/**
 * Works out which reference network a state dict belongs to, and its size, from its keys and shapes:
 * `model.model.0.weight` -> U-Net (depth = nesting of `model.3` blocks), `model.0.weight` ->
 * NLayerDiscriminator (n_layers from the last conv's index 3n + 2), `net.0.weight` -> PixelDiscriminator.
 * Norm: `running_mean` buffers -> batch; else biases on the convs that precede a norm -> instance; else none.
 *
 * @param stateDict - A state dict from {@link readTorchStateDict} (a `module.` prefix is allowed).
 * @throws Error when the keys match none of the three networks.
 */
export function inferTorchArchitecture(stateDict: Map<string, TorchTensor>): TorchArchitecture {
  const keys = [...stateDict.keys()];
  const strip = keys.length > 0 && keys.every((k) => k.startsWith('module.'));
  const sd = strip ? new Map([...stateDict].map(([k, v]) => [k.slice(7), v])) : stateDict;
  const hasRunning = [...sd.keys()].some((k) => k.endsWith('.running_mean'));
  const first = (key: string): number[] => {
    const s = shapeOf(sd, key);
    if (!s || s.length !== 4) throw new Error(`state dict key '${key}' is missing or not a 4-d conv weight`);
    return s;
  };
  if (sd.has('model.model.0.weight')) {
    const prefix = (i: number) => 'model.model.1' + '.model.3'.repeat(i - 2);
    let n = 1;
    while (sd.has(`${prefix(n + 1)}.model.1.weight`)) n++;
    const w0 = first('model.model.0.weight');
    const wOut = first('model.model.3.weight');
    const norm: NormKind = hasRunning ? 'batch' : n >= 2 && sd.has(`${prefix(2)}.model.1.bias`) ? 'instance' : 'none';
    return { kind: 'unet', depth: n, filters: w0[0]!, norm, inputChannels: w0[1]!, outputChannels: wOut[1]! };
  }
  if (sd.has('model.0.weight')) {
    let last = 0;
    for (const k of sd.keys()) {
      const m = /^model\.(\d+)\.weight$/.exec(k);
      if (m) last = Math.max(last, Number(m[1]));
    }
    const n = (last - 2) / 3;
    if (!Number.isInteger(n) || n < 1) throw new Error(`state dict looks like an NLayerDiscriminator but its last conv is model.${last}`);
    const w0 = first('model.0.weight');
    const norm: NormKind = hasRunning ? 'batch' : sd.has('model.2.bias') ? 'instance' : 'none';
    return { kind: 'nlayer', depth: n, filters: w0[0]!, norm, inputChannels: w0[1]! };
  }
  if (sd.has('net.0.weight')) {
    const w0 = first('net.0.weight');
    const norm: NormKind = hasRunning ? 'batch' : sd.has('net.2.bias') ? 'instance' : 'none';
    return { kind: 'pixel', depth: 1, filters: w0[0]!, norm, inputChannels: w0[1]! };
  }
  throw new Error(
    'the state dict is not one of the reference pix2pix networks (no model.model.0.weight, model.0.weight or net.0.weight key; ' +
      `first keys: ${keys.slice(0, 5).join(', ') || 'none'}). ResNet generators are not supported.`,
  );
}

/** Options of {@link importTorchCheckpoint}. */
export interface ImportTorchCheckpointOptions {
  /**
   * The architecture the checkpoint must have; see {@link TorchArch}. Default: whatever the state dict is
   * (see {@link inferTorchArchitecture}). When given, a checkpoint of another architecture is an error.
   */
  arch?: TorchArch;
  /**
   * Input size of the built model. Generators: default `2^num_downs` (256 for unet_256); a larger power of
   * two also works. Discriminators: default unset (any size).
   */
  imageSize?: number;
  /**
   * Discriminators: channels of the target image; the rest of the first conv's input channels are the
   * conditioning input (`conditional` when there are any). Default 3.
   */
  targetChannels?: number;
  /**
   * Generators: dropout rate (the reference trains pix2pix with 0.5; it has no weights, so the checkpoint
   * cannot tell). Placed where the reference places it (`dropoutPlacement: 'reference'`). Default 0.5.
   */
  dropout?: number;
  /** Model name. Default: the factory's default. */
  name?: string;
}

const RF_OF_LAYERS: Readonly<Record<number, ReceptiveField>> = { 1: 16, 2: 34, 3: 70, 4: 142, 5: 286 };

/**
 * Builds the model a PyTorch reference checkpoint describes and loads its weights: the way to run a
 * published pix2pix model (`latest_net_G.pth`) in JS.
 *
 * ```ts
 * const G = importTorchCheckpoint(bytes, { arch: 'unet_256' });   // bytes of latest_net_G.pth
 * const fake = G.predict(input);                                   // input NHWC in [-1, 1]
 * ```
 *
 * The architecture (depth, `ngf`/`ndf`, channels, norm) is read from the state dict; `arch` only checks it.
 * Generators are built with `dropoutPlacement: 'reference'`, so training-mode / `mode: 'paper'` outputs
 * drop the same decoder blocks as the PyTorch reference (one level further out than the paper);
 * `predict` (inference mode) matches the reference's `--eval` outputs.
 *
 * @param source - File bytes (zip or legacy `torch.save` format) or a state dict from {@link readTorchStateDict}.
 * @param options - See {@link ImportTorchCheckpointOptions}.
 * @returns A new `tf.LayersModel` from {@link unetGenerator} or {@link patchDiscriminator}, weights loaded.
 */
export function importTorchCheckpoint(
  source: Uint8Array | Map<string, TorchTensor>,
  options: ImportTorchCheckpointOptions = {},
): tfl.LayersModel {
  check(options !== null && typeof options === 'object', 'options', 'an object', options);
  if (options.arch !== undefined) checkOneOf(options.arch, 'arch', TORCH_ARCHS);
  const sd = source instanceof Uint8Array ? readTorchStateDict(source) : source;
  const a = inferTorchArchitecture(sd);
  const found = a.kind === 'unet' ? `a U-Net generator with num_downs=${a.depth}` : a.kind === 'pixel' ? 'a PixelGAN discriminator' : `a PatchGAN discriminator with n_layers=${a.depth}`;
  const expect = (ok: boolean) => {
    if (!ok) throw new Error(`importTorchCheckpoint: arch ${describe(options.arch)} does not match the checkpoint, which is ${found}`);
  };
  const name = options.name === undefined ? {} : { name: options.name };
  let model: tfl.LayersModel;
  if (a.kind === 'unet') {
    if (options.arch !== undefined) {
      expect(options.arch === 'unet' || (options.arch === 'unet_256' && a.depth === 8) || (options.arch === 'unet_128' && a.depth === 7));
    }
    const imageSize = options.imageSize ?? 2 ** a.depth;
    model = unetGenerator({
      numDowns: a.depth,
      imageSize,
      inputChannels: a.inputChannels,
      outputChannels: a.outputChannels!,
      filters: a.filters,
      norm: a.norm,
      dropout: options.dropout ?? 0.5,
      dropoutPlacement: 'reference',
      ...name,
    });
  } else {
    if (options.arch !== undefined) {
      expect(a.kind === 'pixel' ? options.arch === 'pixel' : options.arch === 'n_layers' || (options.arch === 'basic' && a.depth === 3));
    }
    const receptiveField = a.kind === 'pixel' ? 1 : RF_OF_LAYERS[a.depth];
    if (receptiveField === undefined) throw new Error(`importTorchCheckpoint: n_layers=${a.depth} is not supported (1-5 are)`);
    const targetChannels = options.targetChannels ?? 3;
    checkInt(targetChannels, 'targetChannels', 1);
    check(targetChannels <= a.inputChannels, 'targetChannels', `<= the checkpoint's ${a.inputChannels} input channels`, targetChannels);
    const conditional = a.inputChannels > targetChannels;
    model = patchDiscriminator({
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
  try {
    importTorchWeights(model, sd);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
