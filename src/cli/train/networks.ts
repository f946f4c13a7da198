// The networks and objective of a fresh `pix2pix train` run, built from the resolved flags, and the
// generator's starting weights for --init-generator (a model folder, a training run, or a reference .pth).
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFile, stat } from 'node:fs/promises';
import { patchDiscriminator } from '../../discriminator/patch_discriminator.js';
import type { ReceptiveField } from '../../discriminator/options.js';
import { encoderDecoderGenerator } from '../../generator/encoder_decoder_generator.js';
import type { GeneratorOptions } from '../../generator/builder.js';
import { resnetGenerator } from '../../generator/resnet_generator.js';
import { unetGenerator } from '../../generator/unet_generator.js';
import { importTorchWeights } from '../../io/torch/weights.js';
import type { InitType } from '../../layers/init.js';
import type { NormKind } from '../../layers/norm.js';
import { compositeLoss, type CompositeGan, type CompositeReconstruction } from '../../losses/composite_loss.js';
import type { Objective } from '../../losses/types.js';
import { fileCheckpoint } from '../../node/checkpoint.js';
import { Trainer } from '../../trainer/trainer.js';
import { assertNever } from '../../util/validate.js';
import { CliError } from '../backend.js';
import { findModelFolder, loadPlainModel } from '../model_folder.js';
import type { GeneratorKind } from '../train.js';
import type { NetG } from './flags.js';

/** What {@link buildNetworks} needs. */
export interface NetworkSpec {
  netG: NetG;
  size: number;
  inputChannels: number;
  outputChannels: number;
  filters: number;
  dFilters: number;
  norm: NormKind;
  /** Generator dropout on (the reference's default for pix2pix) or off (`--no-dropout`). */
  dropout: boolean;
  /** Weight initialisation of both networks (the reference's `--init_type`). Default: the factories' (`'normal'`). */
  initType?: InitType;
  /** Its gain (the reference's `--init_gain`). Default: the factories' (0.02). */
  initGain?: number;
  rf: ReceptiveField;
  /** Discriminator sees the output alone. */
  unconditionalD: boolean;
  gan: CompositeGan;
  reconstruction: CompositeReconstruction;
  lambda: number;
  seed: number;
}

/** The one lookup from `--netG` to a generator factory call. */
function makeGenerator(netG: NetG, o: GeneratorOptions): tfl.LayersModel {
  // The reference's ResNet generators take no imageSize (any multiple of 4) and use dropout 0.5 in their
  // blocks unless --no_dropout, as in its pix2pix model.
  const resnet = (blocks: number) => {
    const { imageSize: _size, dropout, ...rest } = o;
    return resnetGenerator({ ...rest, blocks, dropout: dropout === 0 ? 0 : 0.5 });
  };
  switch (netG) {
    case 'unet':
      return unetGenerator(o);
    case 'unet_256':
      return unetGenerator({ ...o, numDowns: 8 });
    case 'unet_128':
      return unetGenerator({ ...o, numDowns: 7 });
    case 'encoder-decoder':
      return encoderDecoderGenerator(o);
    case 'resnet_9blocks':
      return resnet(9);
    case 'resnet_6blocks':
      return resnet(6);
    default:
      return assertNever(netG, '--netG');
  }
}

/** `generator` and `numDowns` as run.json has always stored them (read by other commands). */
export function generatorKind(netG: NetG): { generator: GeneratorKind; numDowns?: number } {
  if (netG === 'unet_256') return { generator: 'unet', numDowns: 8 };
  if (netG === 'unet_128') return { generator: 'unet', numDowns: 7 };
  if (netG === 'resnet_9blocks' || netG === 'resnet_6blocks') return { generator: 'resnet' };
  return { generator: netG };
}

/** Builds G, D (null without an adversarial term) and the objective. */
export function buildNetworks(s: NetworkSpec): { G: tfl.LayersModel; D: tfl.LayersModel | null; loss: Objective } {
  let G: tfl.LayersModel;
  try {
    G = makeGenerator(s.netG, {
      imageSize: s.size,
      inputChannels: s.inputChannels,
      outputChannels: s.outputChannels,
      filters: s.filters,
      norm: s.norm,
      ...(s.dropout ? {} : { dropout: 0 }),
      initType: s.initType,
      initGain: s.initGain,
      seed: s.seed,
    });
  } catch (e) {
    throw new CliError(`--netG ${s.netG} --size ${s.size}: ${(e as Error).message}`);
  }
  const loss = compositeLoss({ lambda: s.lambda, gan: s.gan, reconstruction: s.reconstruction, seed: s.seed });
  const D = loss.usesDiscriminator
    ? patchDiscriminator({
        receptiveField: s.rf,
        inputChannels: s.inputChannels,
        targetChannels: s.outputChannels,
        filters: s.dFilters,
        norm: s.norm,
        conditional: !s.unconditionalD,
        initType: s.initType,
        initGain: s.initGain,
        seed: s.seed + 1,
      })
    : null;
  return { G, D, loss };
}

/** Copies `from`'s weights into `to`, checking that the two have the same weights (count and shapes). */
function copyWeights(to: tfl.LayersModel, from: tfl.LayersModel, what: string): void {
  const a = to.weights;
  const b = from.weights;
  const shapes = (ws: tfl.LayerVariable[]) => ws.map((w) => `[${w.shape.join(',')}]`).join(' ');
  if (a.length !== b.length || shapes(a) !== shapes(b)) {
    throw new CliError(
      `--init-generator ${what}: its generator does not match the one these flags build (${b.length} weights vs ${a.length}; ` +
        `check --netG, --ngf, --norm, --input-nc, --output-nc, --size)`,
    );
  }
  to.setWeights(from.getWeights());
}

/**
 * Loads `path`'s generator weights into `G`: a `.pth` file (the reference's state dict, e.g.
 * `latest_net_G.pth`), a training run or checkpoint folder (its generator), or a plain model folder
 * (`import-torch`, `model.save`).
 * @throws CliError naming `path` when it cannot be read or does not match `G`.
 */
export async function initGenerator(G: tfl.LayersModel, path: string): Promise<void> {
  const st = await stat(path).catch(() => null);
  if (st === null) throw new CliError(`--init-generator ${path}: no such file or folder`);
  if (st.isFile()) {
    try {
      importTorchWeights(G, new Uint8Array(await readFile(path)));
    } catch (e) {
      throw new CliError(`--init-generator ${path}: ${(e as Error).message}`);
    }
    return;
  }
  const folder = await findModelFolder(path, `--init-generator ${path}`);
  if (folder.kind === 'trainer') {
    const t = await Trainer.load(fileCheckpoint(folder.dir));
    try {
      copyWeights(G, t.generator, path);
    } finally {
      t.dispose();
    }
  } else {
    const m = await loadPlainModel(folder.dir, `--init-generator ${path}`);
    try {
      copyWeights(G, m, path);
    } finally {
      m.dispose();
    }
  }
}
