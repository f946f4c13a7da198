/**
 * `pix2pix combine`: builds the A|B layout from two folders of images with matching names, refusing to
 * write over an input and writing exactly one output per pair.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convertChannels, imageToTensor, tensorToImage, type RawImage } from '../data/image.js';
import { joinAB } from '../data/split.js';
import { twoFolderFiles } from '../node/folder_pairs.js';
import { encodePng, readImage } from '../node/image_io.js';
import { writeFolderSafe } from '../node/fs/index.js';
import { selectBackend } from './backend.js';

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
  await selectBackend('cpu'); // resizing runs tfjs ops
  // One folder, written atomically: a bad image or a kill leaves nothing that blocks the rerun.
  const written = await writeFolderSafe(
    o.out,
    async (out) => {
      let n = 0;
      for (const f of files) {
        const a = await readImage(f.a);
        const b = await readImage(f.b);
        const [h, w] = o.size === undefined ? [a.height, a.width] : [o.size, o.size];
        let A = fit(a, h, w);
        let B = fit(b, h, w);
        if (A.channels !== B.channels) {
          A = convertChannels(A, 4);
          B = convertChannels(B, 4);
        }
        await out.put(`${f.stem}.png`, encodePng(joinAB(A, B)));
        n++;
      }
      return n;
    },
    { kind: 'combine', label: `--out ${o.out}`, inputs: [{ path: o.a, label: '--a' }, { path: o.b, label: '--b' }] },
  );
  log.write(`combined ${written} pair(s) into ${o.out}\n`);
  return written;
}
