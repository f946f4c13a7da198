import { join } from 'node:path';
import { facadeSample } from '../data/facades/sample.js';
import { joinAB } from '../data/split.js';
import { checkInt } from '../util/validate.js';
import { encodePng } from './image_io.js';
import { writeFolderSafe } from './fs/index.js';

/** Options of {@link writeFacadeDataset}. */
export interface WriteFacadeDatasetOptions {
  /**
   * Folder to write (created atomically: a temp folder beside it renamed into place). Required. It must
   * not exist, be empty, or hold an earlier data set written by this function (which is replaced).
   */
  out: string;
  /** Number of pairs. Default 400. */
  count?: number;
  /** Image side in pixels (each file is `2 * size` x `size`). Default 256. */
  size?: number;
  /** Data set seed. Default 0. */
  seed?: number;
  /** Index of the first sample (for disjoint splits with one seed). Default 0. */
  offset?: number;
  /** How errors name `out` (e.g. `'--out data'`). Default: the path. */
  label?: string;
  /** Called after each file with the number written so far. */
  onProgress?: (written: number, count: number) => void;
}

/**
 * Writes the procedural facades data set in the A|B layout: `out/00000.png`, ... each `2 * size` x
 * `size`, label map (A) on the left, photo (B) on the right. Returns the file paths.
 * @example
 * ```ts
 * import { writeFacadeDataset } from '@acme/pix2pix/node';
 *
 * // 400 procedural label-map|photo pairs in the reference's A|B layout, for trying things without a download.
 * const files = await writeFacadeDataset({ out: 'datasets/facades_procedural/train', count: 400, size: 256, seed: 0 });
 * ```
 */
export async function writeFacadeDataset(options: WriteFacadeDatasetOptions): Promise<string[]> {
  const count = options.count ?? 400;
  const size = options.size ?? 256;
  const seed = options.seed ?? 0;
  const offset = options.offset ?? 0;
  checkInt(count, 'count', 1);
  checkInt(size, 'size', 16);
  checkInt(offset, 'offset', 0);
  const digits = Math.max(5, String(offset + count - 1).length);
  return writeFolderSafe(
    options.out,
    async (w) => {
      const paths: string[] = [];
      for (let i = 0; i < count; i++) {
        const s = facadeSample(offset + i, { size, seed });
        const img = joinAB({ width: size, height: size, channels: 3, data: s.labelRgb }, { width: size, height: size, channels: 3, data: s.photo });
        const name = `${String(offset + i).padStart(digits, '0')}.png`;
        await w.put(name, encodePng(img));
        paths.push(join(options.out, name));
        options.onProgress?.(i + 1, count);
      }
      return paths;
    },
    { kind: 'make-dataset', label: options.label ?? options.out },
  );
}
