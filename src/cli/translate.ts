import * as tf from '@tensorflow/tfjs-core';
import { mkdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Direction } from '../data/batches.js';
import { imageToTensor, tensorToImage, type ImageChannels } from '../data/image.js';
import { splitAB } from '../data/split.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { listImages } from '../node/folder_pairs.js';
import { readImage, writeImage } from '../node/image_io.js';
import { Trainer } from '../trainer/trainer.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';

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
  log?: NodeJS.WriteStream;
}

const isDir = async (p: string) => stat(p).then((s) => s.isDirectory(), () => null);

/** Runs `pix2pix translate`: loads the generator from a checkpoint and translates a file or a folder. */
export async function runTranslate(o: TranslateOptions): Promise<string[]> {
  const log = o.log ?? process.stderr;
  const modelKind = await isDir(o.model);
  if (modelKind !== true) throw new CliError(`--model ${o.model}: not a folder (give a training --out folder or its checkpoint folder)`);
  const ckpt = (await stat(join(o.model, 'checkpoint', 'model.json')).then(() => true, () => false)) ? join(o.model, 'checkpoint') : o.model;
  const inputKind = await isDir(o.input);
  if (inputKind === null) throw new CliError(`--input ${o.input}: no such file or folder`);
  const files = inputKind ? (await listImages(o.input)).map((n) => join(o.input, n)) : [o.input];
  const backend = await selectBackend(o.backend);
  const trainer = await Trainer.load(fileCheckpoint(ckpt));
  const shape = trainer.generator.inputs[0]!.shape;
  const size = shape[1] ?? 256;
  const channels = (shape[3] ?? 3) as ImageChannels;
  await mkdir(o.output, { recursive: true });
  log.write(`pix2pix translate: ${files.length} image(s), generator ${size}x${size}, mode ${o.mode}, backend ${backend}\n`);
  const written: string[] = [];
  for (const file of files) {
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
    const y = trainer.generate(x, { mode: o.mode });
    const out = tf.tidy(() => tf.squeeze(y, [0]) as tf.Tensor3D);
    const path = join(o.output, `${basename(file, extname(file))}.png`);
    await writeImage(path, tensorToImage(out));
    tf.dispose([x, y, out]);
    written.push(path);
  }
  trainer.dispose();
  log.write(`wrote ${written.length} image(s) to ${o.output}\n`);
  return written;
}
