import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { convertChannels, imageToTensor, tensorToImage, type RawImage } from '../data/image.js';
import { joinAB } from '../data/split.js';
import { twoFolderPairs } from '../node/folder_pairs.js';
import { writeImage } from '../node/image_io.js';

/** Options of `pix2pix combine`. */
export interface CombineOptions {
  a: string;
  b: string;
  out: string;
  /** Side of each half; default: the height of each A image. */
  size?: number;
  log?: NodeJS.WriteStream;
}

function toSquare(img: RawImage, size: number): RawImage {
  const rgb = convertChannels(img, img.channels === 4 || img.channels === 2 ? 4 : 3);
  if (rgb.width === size && rgb.height === size) return rgb;
  const t = tf.tidy(() => tf.image.resizeBilinear(imageToTensor(rgb), [size, size], false, true));
  const out = tensorToImage(t);
  t.dispose();
  return out;
}

/**
 * Runs `pix2pix combine`: pairs `a/NAME.*` with `b/NAME.*` and writes `out/NAME.png` with A on the left
 * and B on the right, each resized to a square of `size` (default: A's height).
 */
export async function runCombine(o: CombineOptions): Promise<number> {
  const log = o.log ?? process.stderr;
  const pairs = await twoFolderPairs(o.a, o.b);
  await mkdir(o.out, { recursive: true });
  for (let i = 0; i < pairs.length; i++) {
    const p = await pairs.load(i);
    const a = p.a as RawImage;
    const size = o.size ?? a.height;
    let A = toSquare(a, size);
    let B = toSquare(p.b as RawImage, size);
    if (A.channels !== B.channels) {
      A = convertChannels(A, 4);
      B = convertChannels(B, 4);
    }
    const nameA = pairs.name(i).split(' + ')[0]!;
    await writeImage(join(o.out, `${basename(nameA, extname(nameA))}.png`), joinAB(A, B));
  }
  log.write(`combined ${pairs.length} pair(s) into ${o.out}\n`);
  return pairs.length;
}
