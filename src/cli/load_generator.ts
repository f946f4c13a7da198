/**
 * The `--model` argument of `pix2pix test` and `pix2pix export`: loads a generator from a training run
 * (or its checkpoint folder), a plain model folder (`import-torch`, `model.save`), or a PyTorch
 * reference `.pth` state dict, and checks that it is an image-to-image generator.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFile, stat } from 'node:fs/promises';
import { importTorchCheckpoint, type TorchArch } from '../io/torch/checkpoint.js';
import { readTorchStateDict } from '../io/torch/read.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { Trainer } from '../trainer/trainer.js';
import { CliError } from './backend.js';
import { findModelFolder, loadPlainModel } from './model_folder.js';

/** A generator loaded for the CLI; `dispose` frees it (and the Trainer it came from, if any). */
export interface CliGenerator {
  /** The generator. */
  model: tfl.LayersModel;
  /** Where it came from, for logs: `'training checkpoint <dir>'`, `'model folder <dir>'`, `'PyTorch state dict <file>'`. */
  source: string;
  /** Frees the model. */
  dispose(): void;
}

/** Options of {@link loadCliGenerator}. */
export interface LoadCliGeneratorOptions {
  /** A train `--out` folder, its checkpoint folder, a model folder, or a `.pth` file. */
  model: string;
  /** With a `.pth`: the architecture it must have (the reference's `--netG`), e.g. `unet_256`. */
  arch?: TorchArch;
}

/** Throws unless `model` maps `[n, h, w, c]` images to images of the same height and width. */
function checkGenerator(model: tfl.LayersModel, flag: string): void {
  const shape = model.inputs[0]?.shape ?? [];
  const out = model.outputs[0]?.shape ?? [];
  if (model.inputs.length !== 1 || shape.length !== 4 || out.length !== 4 || out[1] !== shape[1] || out[2] !== shape[2]) {
    throw new CliError(`${flag}: not an image-to-image generator (inputs ${JSON.stringify(model.inputs.map((t) => t.shape))}, output ${JSON.stringify(out)}); is it a discriminator?`);
  }
}

/**
 * Loads the generator named by `--model` (see {@link LoadCliGeneratorOptions}).
 * @throws CliError naming the argument when it is missing, not a model, or not a generator.
 */
export async function loadCliGenerator(o: LoadCliGeneratorOptions): Promise<CliGenerator> {
  const flag = `--model ${o.model}`;
  const kind = await stat(o.model).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => null);
  if (kind === null) throw new CliError(`${flag}: no such file or folder`);
  if (kind === 'file') {
    let model: tfl.LayersModel;
    try {
      const sd = readTorchStateDict(new Uint8Array(await readFile(o.model)));
      model = importTorchCheckpoint(sd, o.arch === undefined ? {} : { arch: o.arch });
    } catch (e) {
      throw new CliError(`${flag}: not a PyTorch pix2pix state dict (${(e as Error).message})`);
    }
    try {
      checkGenerator(model, flag);
    } catch (e) {
      model.dispose();
      throw e;
    }
    return { model, source: `PyTorch state dict ${o.model}`, dispose: () => model.dispose() };
  }
  if (o.arch !== undefined) throw new CliError(`--arch applies to a .pth file only (--model ${o.model} is a folder)`);
  const folder = await findModelFolder(o.model, flag);
  if (folder.kind === 'trainer') {
    const trainer = await Trainer.load(fileCheckpoint(folder.dir));
    return { model: trainer.generator, source: `training checkpoint ${folder.dir}`, dispose: () => trainer.dispose() };
  }
  const model = await loadPlainModel(folder.dir, flag);
  try {
    checkGenerator(model, flag);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, source: `model folder ${folder.dir}`, dispose: () => model.dispose() };
}
