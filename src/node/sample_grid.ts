import * as tf from '@tensorflow/tfjs-core';
import { convertChannels, tensorToImage, type RawImage } from '../data/image.js';
import { encodePng } from './image_io.js';
import { writeFileSafe } from './fs/index.js';

/** Options of {@link sampleGrid}. */
export interface SampleGridOptions {
  /** Pixels of white between tiles. Default 2. */
  gap?: number;
  /** Most examples (rows) to show. Default 8. */
  maxRows?: number;
}

/**
 * Tiles image batches into one picture: one row per example, one column per batch (e.g. input |
 * output | target). Batches are NHWC tensors in [-1, 1] with the same batch size, height and width;
 * gray and RGB columns can be mixed (all are shown as RGB). Does not dispose the tensors.
 */
export function sampleGrid(columns: tf.Tensor4D[], options: SampleGridOptions = {}): RawImage {
  const gap = options.gap ?? 2;
  const maxRows = options.maxRows ?? 8;
  if (columns.length === 0) throw new RangeError('sampleGrid needs at least one column');
  const [n, h, w] = columns[0]!.shape;
  for (const c of columns) {
    if (c.shape[0] !== n || c.shape[1] !== h || c.shape[2] !== w) {
      throw new RangeError(`sampleGrid: all columns must have shape [${n}, ${h}, ${w}, c] (got [${c.shape.join(', ')}])`);
    }
  }
  const rows = Math.min(n, maxRows);
  const W = columns.length * w + (columns.length + 1) * gap;
  const H = rows * h + (rows + 1) * gap;
  const data = new Uint8Array(W * H * 3).fill(255);
  columns.forEach((col, ci) => {
    for (let r = 0; r < rows; r++) {
      const tile = tf.tidy(() => tf.squeeze(tf.slice(col, [r, 0, 0, 0], [1, h, w, -1]), [0]) as tf.Tensor3D);
      const rgb = convertChannels(tensorToImage(tile), 3).data;
      tile.dispose();
      const x0 = gap + ci * (w + gap);
      const y0 = gap + r * (h + gap);
      for (let y = 0; y < h; y++) data.set(rgb.subarray(y * w * 3, (y + 1) * w * 3), ((y0 + y) * W + x0) * 3);
    }
  });
  return { width: W, height: H, channels: 3, data };
}

/**
 * Writes {@link sampleGrid} of `columns` as a PNG file.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { writeSampleGrid } from '@acme/pix2pix/node';
 *
 * const input = tf.zeros([4, 64, 64, 3]) as tf.Tensor4D;
 * const output = tf.zeros([4, 64, 64, 3]) as tf.Tensor4D;
 * await writeSampleGrid('samples/epoch_001.png', [input, output], { maxRows: 4 }); // input | output, one row per example
 * ```
 */
export async function writeSampleGrid(path: string, columns: tf.Tensor4D[], options: SampleGridOptions = {}): Promise<void> {
  await writeFileSafe(path, encodePng(sampleGrid(columns, options)));
}
