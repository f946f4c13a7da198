/**
 * `pix2pix translate`: loads a generator (training checkpoint or plain model folder) and translates a file
 * or a folder at each image's native size (or `--resize`), in tiles for large images, through the core's
 * `translateImage`; refuses outputs that would replace an input and keeps output names unique.
 */
import { InvalidArgumentError } from 'commander';
import type * as tfl from '@tensorflow/tfjs-layers';
import { stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Direction } from '../data/batches.js';
import { imageToTensor, tensorToImage, type ImageChannels, type RawImage } from '../data/image.js';
import { splitAB } from '../data/split.js';
import { generatorDivisor } from '../generator/divisor.js';
import { DEFAULT_ENGINE, type EngineName, type GeneratorEngine } from '../generator/engine.js';
import type { GenerationMode } from '../generator/generate.js';
import { translateImage } from '../generator/translate_image.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { listImages } from '../node/folder_pairs.js';
import { MAX_IMAGE_PIXELS, readImage, writeImage } from '../node/image_io.js';
import { checkWritable, makeDirs } from '../node/fs/index.js';
import { Trainer } from '../trainer/trainer.js';
import { deriveSeed } from '../util/random.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';
import { checkCliEngine, openCliEngine } from './engine.js';
import { datasetModeOf, findModelFolder, loadPlainModel } from './model_folder.js';
import { colorizeImage } from '../data/colorization.js';
import { DEFAULT_PHASE } from '../node/dataroot.js';
import { dataFolderOf, modelForEpoch, runFolderOf } from './reference_flags.js';

/** Commander value parser of `--resize WxH`: `[width, height]`, both integers >= 1. */
export function sizeArg(value: string): [number, number] {
  const m = /^(\d+)x(\d+)$/i.exec(value);
  const wh = m ? [Number(m[1]), Number(m[2])] : [];
  if (wh.length !== 2 || !wh.every((v) => Number.isSafeInteger(v) && v >= 1)) throw new InvalidArgumentError('must be WIDTHxHEIGHT, e.g. 512x256');
  if (wh[0]! * wh[1]! > MAX_IMAGE_PIXELS) throw new InvalidArgumentError(`${value} exceeds the limit of ${MAX_IMAGE_PIXELS} pixels per image`);
  return wh as [number, number];
}

/** Options of `pix2pix translate`. */
export interface TranslateOptions {
  model: string;
  input: string;
  output: string;
  /** `'paper'` (dropout + batch statistics) or `'inference'`; see `GenerationMode`. */
  mode: GenerationMode;
  /** Input files are A|B pairs: translate the half chosen by `direction`. */
  ab: boolean;
  direction: Direction;
  backend: CliBackend;
  /** Inference engine (see `EngineName`). Default `'tfjs'`. */
  engine?: EngineName;
  /** Dropout seed of `'paper'` mode: image i uses `deriveSeed(seed, 'translate', i)`. Default 0. */
  seed?: number;
  /** `[width, height]` to translate at instead of each image's own size. */
  resize?: [number, number];
  /** Tile side for tiled translation (default: automatic for large images). */
  tile?: number;
  /** Overlap of tiles (default tile / 8). */
  overlap?: number;
  /** Translate only the first `count` images of a folder (sorted by name). Default: all. */
  count?: number;
  log?: NodeJS.WriteStream;
}

/** What the command line of `pix2pix translate` gives, before the reference's names are resolved. */
export interface TranslateFlags extends Omit<TranslateOptions, 'log' | 'model' | 'input' | 'mode' | 'count'> {
  model?: string;
  name?: string;
  checkpointsDir?: string;
  epoch: string;
  input?: string;
  dataroot?: string;
  phase?: string;
  numTest?: number;
  maxDatasetSize?: number;
  eval: boolean;
  mode?: GenerationMode;
}

/**
 * Resolves the reference's names of `pix2pix translate` (`--name`/`--checkpoints-dir`/`--epoch`,
 * `--dataroot`/`--phase`, `--num-test`/`--max-dataset-size`, `--eval`) into {@link TranslateOptions}.
 * A `--dataroot` folder with `A/` and `B/` subfolders gives the input side's folder (`--direction`).
 */
export async function resolveTranslateFlags(o: TranslateFlags): Promise<Omit<TranslateOptions, 'log'>> {
  const { name, checkpointsDir, epoch, dataroot, phase, numTest, maxDatasetSize, eval: evalMode, mode, ...rest } = o;
  const run = runFolderOf({ ...(name === undefined ? {} : { name }), ...(checkpointsDir === undefined ? {} : { checkpointsDir }) }, { flag: '--model', value: o.model });
  if (run === undefined) throw new CliError("required option '--model <dir>' (or --name <name> [--checkpoints-dir <dir>]) not specified");
  if (o.input !== undefined && dataroot !== undefined) throw new CliError('--input and --dataroot both name what to translate: give one');
  if (phase !== undefined && dataroot === undefined) throw new CliError('--phase applies to --dataroot (the split <dataroot>/<phase>/)');
  let input = o.input;
  if (dataroot !== undefined) {
    input = await dataFolderOf({ dataroot, ...(phase === undefined ? {} : { phase }) }, DEFAULT_PHASE.test, '--input');
    const side = join(input, o.direction === 'AtoB' ? 'A' : 'B');
    if ((await isDir(join(input, 'A'))) === true && (await isDir(join(input, 'B'))) === true) input = side;
  }
  if (input === undefined) throw new CliError("required option '--input <path>' (or --dataroot <dir>) not specified");
  const counts = [numTest, maxDatasetSize].filter((n): n is number => n !== undefined);
  return { ...rest, model: await modelForEpoch(run, epoch), input, mode: mode ?? (evalMode ? 'inference' : 'paper'), ...(counts.length > 0 ? { count: Math.min(...counts) } : {}) };
}

const isDir = async (p: string) => stat(p).then((s) => s.isDirectory(), () => null);

/** A loaded generator: a Trainer checkpoint's, or a plain model folder's (from `import-torch`). */
interface LoadedGenerator {
  model: tfl.LayersModel;
  dispose(): void;
}

async function loadGenerator(o: TranslateOptions): Promise<LoadedGenerator> {
  const folder = await findModelFolder(o.model, `--model ${o.model}`);
  if (folder.kind === 'trainer') {
    const trainer = await Trainer.load(fileCheckpoint(folder.dir));
    return { model: trainer.generator, dispose: () => trainer.dispose() };
  }
  const model = await loadPlainModel(folder.dir, `--model ${o.model}`);
  const shape = model.inputs[0]?.shape ?? [];
  const out = model.outputs[0]?.shape ?? [];
  if (model.inputs.length !== 1 || shape.length !== 4 || out.length !== 4 || out[1] !== shape[1] || out[2] !== shape[2]) {
    model.dispose();
    throw new CliError(`--model ${o.model}: not an image-to-image generator (inputs ${JSON.stringify(model.inputs.map((t) => t.shape))}, output ${JSON.stringify(out)}); is it a discriminator?`);
  }
  return { model, dispose: () => model.dispose() };
}

/**
 * One output name per input file, unique: `x.png` for `x.jpg`, but `x_jpg.png` and `x_png.png` when
 * `x.jpg` and `x.png` are both there.
 */
export function outputNames(files: readonly string[]): string[] {
  const stems = files.map((f) => basename(f, extname(f)));
  const count = new Map<string, number>();
  for (const s of stems) count.set(s, (count.get(s) ?? 0) + 1);
  const names = files.map((f, i) => (count.get(stems[i]!)! > 1 ? `${stems[i]}_${extname(f).slice(1).toLowerCase()}.png` : `${stems[i]}.png`));
  const seen = new Set<string>();
  for (const [i, n] of names.entries()) {
    if (seen.has(n)) throw new CliError(`two inputs would both be written to ${n} (${files[i]}); rename one`);
    seen.add(n);
  }
  return names;
}

/**
 * Runs `pix2pix translate`: loads the generator from a training checkpoint or a plain model folder
 * (from `import-torch`) and translates a file or a folder, keeping each image's size and aspect
 * (`resize` for a fixed size), in tiles when an image is large. Returns the files written.
 */
export async function runTranslate(o: TranslateOptions): Promise<string[]> {
  const log = o.log ?? process.stderr;
  if ((await isDir(o.model)) !== true) throw new CliError(`--model ${o.model}: not a folder (give a training --out folder, its checkpoint folder, or a model folder from import-torch)`);
  const inputKind = await isDir(o.input);
  if (inputKind === null) throw new CliError(`--input ${o.input}: no such file or folder`);
  const files = inputKind ? (await listImages(o.input)).slice(0, o.count).map((n) => join(o.input, n)) : [o.input];
  const names = outputNames(files);
  const targets = names.map((n) => join(o.output, n));
  // Every output checked before any work: not an input (nor inside the --input folder), not a file (or
  // link) this program did not write.
  const write = { label: `--output ${o.output}`, inputs: [{ path: o.input, label: '--input' }, { path: o.model, label: '--model' }] };
  for (const t of targets) await checkWritable(t, write);
  const engineName = o.engine ?? DEFAULT_ENGINE;
  checkCliEngine(engineName, o.mode);
  const backend = await selectBackend(o.backend);
  const generator = await loadGenerator(o);
  let engine: GeneratorEngine | undefined;
  try {
    engine = await openCliEngine(engineName, generator.model);
    const channels = (generator.model.inputs[0]!.shape[3] ?? 3) as ImageChannels;
    const divisor = generatorDivisor(generator.model);
    // Colorization (L -> ab): L from each input, the predicted ab, written as RGB.
    const colorization = (await datasetModeOf(o.model, generator.model)) === 'colorization';
    if (colorization && engineName !== 'tfjs') throw new CliError(`--engine ${engineName}: colorization models run on the tfjs engine only`);
    await makeDirs(o.output, write.label);
    const size = o.resize ? `${o.resize[0]}x${o.resize[1]}` : 'native';
    log.write(`pix2pix translate: ${files.length} image(s), size ${size}, generator divisor ${divisor}, mode ${o.mode}${colorization ? ', colorization (L -> ab, written as RGB)' : ''}, engine ${engineName}, backend ${backend}\n`);
    const written: string[] = [];
    for (const [index, file] of files.entries()) {
      let img = await readImage(file);
      if (o.ab) {
        const { a, b } = splitAB(img, file);
        img = o.direction === 'AtoB' ? a : b;
      }
      const options = {
        mode: o.mode,
        seed: deriveSeed(o.seed ?? 0, 'translate', index),
        ...(o.resize ? { resize: o.resize } : {}),
        ...(o.tile === undefined ? {} : { tile: o.tile }),
        ...(o.overlap === undefined ? {} : { overlap: o.overlap }),
      };
      let image: RawImage;
      const x = colorization ? null : imageToTensor(img, channels);
      try {
        if (x === null) image = colorizeImage(generator.model, img, options).output;
        else {
          const y = await translateImage(generator.model, x, { ...options, engine });
          image = tensorToImage(y);
          y.dispose();
        }
      } catch (e) {
        throw new CliError(`${file}: ${(e as Error).message}`);
      } finally {
        x?.dispose();
      }
      const path = targets[index]!;
      await writeImage(path, image, write);
      written.push(path);
    }
    log.write(`wrote ${written.length} image(s) to ${o.output}\n`);
    return written;
  } finally {
    await engine?.dispose();
    generator.dispose();
  }
}
