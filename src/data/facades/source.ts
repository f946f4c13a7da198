import { checkInt } from '../../util/validate.js';
import { pairedBatches, type PairedBatches, type PairedBatchesOptions } from '../batches.js';
import type { PairSource } from '../source.js';
import { facadeSample } from './sample.js';

/** Options of {@link facadePairs}. */
export interface FacadePairsOptions {
  /** Number of pairs. Default 400 (the size of the CMP facades training set). */
  count?: number;
  /** Image side in pixels. Default 256. */
  size?: number;
  /** Data set seed. Default 0. */
  seed?: number;
  /** Index of the first sample, so that disjoint splits can share a seed (e.g. a test split from 10000). Default 0. */
  offset?: number;
}

/**
 * The procedural facades data set as a {@link PairSource}: A = coloured label map, B = rendered photo
 * (see {@link facadeSample}). Samples are generated on demand, never stored.
 */
export function facadePairs(options: FacadePairsOptions = {}): PairSource {
  const count = options.count ?? 400;
  const size = options.size ?? 256;
  const seed = options.seed ?? 0;
  const offset = options.offset ?? 0;
  checkInt(count, 'count', 1);
  checkInt(offset, 'offset', 0);
  return {
    length: count,
    name: (i) => `facade #${offset + i} (seed ${seed})`,
    load: async (i) => {
      const s = facadeSample(offset + i, { size, seed });
      return {
        a: { width: size, height: size, channels: 3, data: s.labelRgb },
        b: { width: size, height: size, channels: 3, data: s.photo },
      };
    },
  };
}

/** Options of {@link facadeBatches}: the data set's and the batching's. */
export interface FacadeBatchesOptions extends FacadePairsOptions, Omit<PairedBatchesOptions, 'imageSize'> {}

/**
 * Training batches of the facades data set, label map -> photo by default: `facadePairs` streamed through
 * {@link pairedBatches} at `imageSize = size`. Each `for await` is one epoch; dispose the tensors.
 *
 * ```ts
 * for await (const { input, target } of facadeBatches({ count: 100, size: 64, batchSize: 4 })) { ... }
 * ```
 */
export function facadeBatches(options: FacadeBatchesOptions = {}): PairedBatches {
  const { count, size, seed, offset, ...rest } = options;
  const source = facadePairs({ count, size, seed, offset });
  return pairedBatches(source, { seed, ...rest, imageSize: size ?? 256 });
}
