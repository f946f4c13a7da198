// Held-out validation of `pix2pix train --val-data`: mean L1, PSNR and SSIM of the generator on the
// first --val-count pairs of a second folder, generated the way the paper (and the reference's test.py
// without --eval) tests: paper mode, one image at a time, with a fixed dropout seed so that two
// validations differ only by the weights.
import * as tf from '@tensorflow/tfjs-core';
import { pairedBatches, type Direction } from '../../data/batches.js';
import { labBatchToRgb, type DatasetMode } from '../../data/colorization.js';
import type { ImageChannels } from '../../data/image.js';
import type { PairSource } from '../../data/source.js';
import { imageMetrics } from '../../metrics/image_metrics.js';
import { folderPairs, type FolderLayout } from '../../node/folder_pairs.js';
import type { Trainer } from '../../trainer/trainer.js';

/** Mean held-out metrics of one validation (images in [-1, 1]: L1 in those units, PSNR with range 2). */
export interface ValidationScores {
  /** Mean absolute error (lower is better). */
  l1: number;
  /** Mean PSNR in dB (higher is better). */
  psnr: number;
  /** Mean SSIM (higher is better). */
  ssim: number;
}

/** Options of {@link openValidation}. */
export interface ValidationOptions {
  /** Folder of held-out pairs. */
  dir: string;
  /** Its layout (default: detected). */
  layout?: FolderLayout;
  /** Use the first `count` pairs (default all). */
  count?: number;
  /** Image size (no jitter: resized to it). */
  size: number;
  direction: Direction;
  inputChannels: ImageChannels | number;
  outputChannels: ImageChannels | number;
  /** `'colorization'`: L -> ab batches, scored as RGB (the input's L with the predicted / true ab). Default `'aligned'`. */
  datasetMode?: DatasetMode;
}

/** The first `n` pairs of `source` (all when `n` is undefined or larger). */
export function firstPairs(source: PairSource, n: number | undefined): PairSource {
  if (n === undefined || n >= source.length) return source;
  return { length: n, name: (i) => source.name(i), load: (i) => source.load(i) };
}

/** A validation set: `score(trainer)` runs the generator on every pair and averages the metrics. */
export interface Validation {
  /** Number of held-out pairs. */
  length: number;
  /** Scores the trainer's generator. */
  score(trainer: Trainer): Promise<ValidationScores>;
}

/** Opens the held-out folder (checks it now, so a bad folder fails before training starts). */
export async function openValidation(o: ValidationOptions): Promise<Validation> {
  const source = firstPairs(await folderPairs(o.dir, { layout: o.layout }), o.count);
  const batches = pairedBatches(source, {
    imageSize: o.size,
    jitter: false,
    shuffle: false,
    batchSize: 1,
    prefetch: 1,
    direction: o.direction,
    inputChannels: o.inputChannels,
    targetChannels: o.outputChannels,
    datasetMode: o.datasetMode ?? 'aligned',
  });
  const colorization = o.datasetMode === 'colorization';
  return {
    length: source.length,
    async score(trainer) {
      const sum = { l1: 0, psnr: 0, ssim: 0 };
      let n = 0;
      for await (const { input, target } of batches.epoch(0)) {
        const fake = trainer.generate(input, { mode: 'paper', seed: trainer.seed });
        const rgb = colorization ? [labBatchToRgb(input, fake as tf.Tensor4D), labBatchToRgb(input, target)] : [];
        try {
          const m = await imageMetrics(rgb[0] ?? fake, rgb[1] ?? target);
          sum.l1 += m.l1.mean;
          sum.psnr += m.psnr.mean;
          sum.ssim += m.ssim.mean;
          n++;
        } finally {
          tf.dispose([fake, input, target, ...rgb]);
        }
      }
      return { l1: sum.l1 / n, psnr: sum.psnr / n, ssim: sum.ssim / n };
    },
  };
}
