/**
 * `pix2pix combine`: builds the A|B layout from two folders of images with matching names, refusing to
 * write over an input and writing exactly one output per pair.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { convertChannels, imageToTensor, tensorToImage, type RawImage } from '../data/image.js';
import { joinAB } from '../data/split.js';
import { twoFolderFiles } from '../node/folder_pairs.js';
import { readImage, writeImage } from '../node/image_io.js';
import { CliError, selectBackend } from './backend.js';
import { real, refuseReplacingInputs } from './translate.js';

/** Options of `pix2pix combine`. */
export interface CombineOptions {
  a: string;
  b: string;
  out: string;
  /** Side of each (square) half; default: A keeps its size and B is resized to it. */
  size?: number;
  log?: NodeJS.WriteStream;
}

/** Converts to RGB (RGBA when there is alpha) and resizes to `[h, w]` (bilinear) when needed. */
function fit(img: RawImage, h: number, w: number): RawImage {
  const rgb = convertChannels(img, img.channels === 4 || img.channels === 2 ? 4 : 3);
  if (rgb.width === w && rgb.height === h) return rgb;
  const t = tf.tidy(() => tf.image.resizeBilinear(imageToTensor(rgb), [h, w], false, true));
  const out = tensorToImage(t);
  t.dispose();
  return out;
}

/**
 * Runs `pix2pix combine`: pairs `a/NAME.*` with `b/NAME.*` and writes `out/NAME.png` with A on the left
 * and B on the right: with `size`, both resized to `size` x `size`; without, A as it is and B resized to
 * A's size. Returns the number of files written.
 */
export async function runCombine(o: CombineOptions): Promise<number> {
  const log = o.log ?? process.stderr;
  const files = await twoFolderFiles(o.a, o.b);
  const targets = files.map((f) => join(o.out, `${f.stem}.png`));
  for (const [flag, dir] of [['--a', o.a], ['--b', o.b]] as const) {
    if ((await real(dir)) === (await real(o.out))) throw new CliError(`--out ${o.out} is the ${flag} folder: combined images would land among (and could replace) the inputs; choose another --out folder`);
  }
  await refuseReplacingInputs(targets, files.flatMap((f) => [f.a, f.b]), ['--out', '--a/--b']);
  await selectBackend('cpu'); // resizing runs tfjs ops
  await mkdir(o.out, { recursive: true });
  let written = 0;
  for (const [i, f] of files.entries()) {
    const a = await readImage(f.a);
    const b = await readImage(f.b);
    const [h, w] = o.size === undefined ? [a.height, a.width] : [o.size, o.size];
    let A = fit(a, h, w);
    let B = fit(b, h, w);
    if (A.channels !== B.channels) {
      A = convertChannels(A, 4);
      B = convertChannels(B, 4);
    }
    await writeImage(targets[i]!, joinAB(A, B));
    written++;
  }
  log.write(`combined ${written} pair(s) into ${o.out}\n`);
  return written;
}
