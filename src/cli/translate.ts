import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Direction } from '../data/batches.js';
import { imageToTensor, tensorToImage, type ImageChannels } from '../data/image.js';
import { splitAB } from '../data/split.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { listImages } from '../node/folder_pairs.js';
import { readImage, writeImage } from '../node/image_io.js';
import { dropoutLayers, paperModeForward } from '../trainer/model_state.js';
import { Trainer } from '../trainer/trainer.js';
import { deriveSeed } from '../util/random.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';
import { findModelFolder, loadPlainModel } from './model_folder.js';

/** Options of `pix2pix translate`. */
export interface TranslateOptions {
  model: string;
  input: string;
  output: string;
  mode: 'paper' | 'inference';
  /** Input files are A|B pairs: translate the half chosen by `direction`. */
  ab: boolean;
  direction: Direction;
  backend: CliBackend;
  /**
   * Dropout seed of `'paper'` mode: image i uses `deriveSeed(seed, 'translate', i)`. Default: a Trainer
   * checkpoint's own generate seeds; 0 for a plain model folder.
   */
  seed?: number;
  log?: NodeJS.WriteStream;
}

const isDir = async (p: string) => stat(p).then((s) => s.isDirectory(), () => null);

/** A loaded generator: a Trainer checkpoint's, or a plain model folder's (from `import-torch`). */
interface LoadedGenerator {
  model: tfl.LayersModel;
  /** Translates one batch; `index` counts the images, for per-image dropout seeds. */
  generate(x: tf.Tensor4D, index: number): tf.Tensor4D;
  dispose(): void;
}

async function loadGenerator(o: TranslateOptions): Promise<LoadedGenerator> {
  const folder = await findModelFolder(o.model, `--model ${o.model}`);
  if (folder.kind === 'trainer') {
    const trainer = await Trainer.load(fileCheckpoint(folder.dir));
    return {
      model: trainer.generator,
      generate: (x, i) => trainer.generate(x, { mode: o.mode, ...(o.seed === undefined ? {} : { seed: deriveSeed(o.seed, 'translate', i) }) }),
      dispose: () => trainer.dispose(),
    };
  }
  const model = await loadPlainModel(folder.dir, `--model ${o.model}`);
  const shape = model.inputs[0]?.shape ?? [];
  const out = model.outputs[0]?.shape ?? [];
  if (model.inputs.length !== 1 || shape.length !== 4 || out.length !== 4 || out[1] !== shape[1] || out[2] !== shape[2]) {
    model.dispose();
    throw new CliError(`--model ${o.model}: not an image-to-image generator (inputs ${JSON.stringify(model.inputs.map((t) => t.shape))}, output ${JSON.stringify(out)}); is it a discriminator?`);
  }
  const dropout = dropoutLayers(model);
  return {
    model,
    generate: (x, i) =>
      o.mode === 'paper' ? paperModeForward(model, dropout, x, deriveSeed(o.seed ?? 0, 'translate', i)) : tf.tidy(() => model.predict(x) as tf.Tensor4D),
    dispose: () => model.dispose(),
  };
}

/**
 * Runs `pix2pix translate`: loads the generator from a training checkpoint or a plain model folder
 * (from `import-torch`) and translates a file or a folder.
 */
export async function runTranslate(o: TranslateOptions): Promise<string[]> {
  const log = o.log ?? process.stderr;
  if ((await isDir(o.model)) !== true) throw new CliError(`--model ${o.model}: not a folder (give a training --out folder, its checkpoint folder, or a model folder from import-torch)`);
  const inputKind = await isDir(o.input);
  if (inputKind === null) throw new CliError(`--input ${o.input}: no such file or folder`);
  const files = inputKind ? (await listImages(o.input)).map((n) => join(o.input, n)) : [o.input];
  const backend = await selectBackend(o.backend);
  const generator = await loadGenerator(o);
  const shape = generator.model.inputs[0]!.shape;
  const size = shape[1] ?? 256;
  const channels = (shape[3] ?? 3) as ImageChannels;
  await mkdir(o.output, { recursive: true });
  log.write(`pix2pix translate: ${files.length} image(s), generator ${size}x${size}, mode ${o.mode}, backend ${backend}\n`);
  const written: string[] = [];
  for (const [index, file] of files.entries()) {
    let img = await readImage(file);
    if (o.ab) {
      const { a, b } = splitAB(img, file);
      img = o.direction === 'AtoB' ? a : b;
    }
    const x = tf.tidy(() => {
      const t = imageToTensor(img, channels);
      const r = t.shape[0] === size && t.shape[1] === size ? t : tf.image.resizeBilinear(t, [size, size], false, true);
      return tf.expandDims(r, 0) as tf.Tensor4D;
    });
    const y = generator.generate(x, index);
    const out = tf.tidy(() => tf.squeeze(y, [0]) as tf.Tensor3D);
    const path = join(o.output, `${basename(file, extname(file))}.png`);
    await writeImage(path, tensorToImage(out));
    tf.dispose([x, y, out]);
    written.push(path);
  }
  generator.dispose();
  log.write(`wrote ${written.length} image(s) to ${o.output}\n`);
  return written;
}
