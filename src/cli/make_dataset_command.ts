/**
 * The `pix2pix make-dataset` command: the bundled facades (`--out` alone), or pairs made from a folder of
 * photos (`--from`, see ./make_dataset.ts). Flags of one kind are refused with the other.
 */
import type { Command } from 'commander';
import { CANNY_DEFAULTS } from '../data/canny.js';
import { PHOTO_PAIR_DEFAULTS, PHOTO_TASKS, type PhotoTask } from '../data/photo_pairs.js';
import { writeFacadeDataset } from '../node/facade_dataset.js';
import { CliError } from './backend.js';
import { runMakePhotoDataset } from './make_dataset.js';
import { intArg, numArg, oneOfArg, sideArg } from './parse.js';
import type { ProgramIo } from './program.js';

/** Flags that only make sense for the facades, and only with `--from`. */
const FACADE_ONLY = ['count', 'size', 'offset'] as const;
const PHOTO_ONLY = ['task', 'loadSize', 'cropSize', 'cropsPerPhoto', 'testFraction', 'testCount', 'sigma', 'lowThreshold', 'highThreshold', 'quantiles'] as const;
const kebab = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

interface MakeDatasetFlags {
  out: string;
  from?: string;
  count: number;
  size: number;
  seed: number;
  offset: number;
  task: PhotoTask;
  loadSize: number;
  cropSize?: number;
  cropsPerPhoto: number;
  testFraction: number;
  testCount?: number;
  sigma: number;
  lowThreshold: number;
  highThreshold: number;
  quantiles: boolean;
}

/** Adds `pix2pix make-dataset` to `program`; returns the command. */
export function registerMakeDataset(program: Command, io: ProgramIo): Command {
  const cmd = program
    .command('make-dataset')
    .description('write a paired data set in the A|B layout: the bundled procedural facades (label map | photo), or, with --from, pairs made from a folder of your photos (edges | photo, gray | photo, L | photo) in <out>/train and <out>/test')
    .requiredOption('--out <dir>', 'output folder (with --from: pairs go to <out>/train/ and <out>/test/)')
    .option('--seed <n>', 'seed (facades: the data set; --from: the train/test split and the crop places)', intArg(0), 0)
    .option('--count <n>', 'facades: number of pairs', intArg(1), 400)
    .option('--size <px>', 'facades: side of each half in pixels', sideArg(16, 2), 256)
    .option('--offset <n>', 'facades: index of the first pair (use a large one for a disjoint test split)', intArg(0), 0)
    .option('--from <dir>', 'a folder of photos (PNG/JPEG): make pairs from them instead of the facades')
    .option('--task <task>', `with --from: what A is: ${PHOTO_TASKS.join(', ')} (B is the photo)`, oneOfArg(PHOTO_TASKS), PHOTO_PAIR_DEFAULTS.task)
    .option('--load-size <px>', "with --from: scale each photo's shorter side to this first", sideArg(1), PHOTO_PAIR_DEFAULTS.loadSize)
    .option('--crop-size <px>', 'with --from: side of the square crops, each pair is 2*crop x crop (default: --load-size)', sideArg(1))
    .option('--crops-per-photo <n>', 'with --from: crops per photo (1: the centre square; more: random places)', intArg(1), PHOTO_PAIR_DEFAULTS.crops)
    .option('--test-fraction <x>', 'with --from: fraction of the photos held out in test/ (at least one photo when there are two)', numArg(0), 0.1)
    .option('--test-count <n>', 'with --from: number of photos held out in test/ (instead of --test-fraction)', intArg(0))
    .option('--sigma <x>', 'with --task edges: Canny Gaussian sigma in pixels', numArg(0), CANNY_DEFAULTS.sigma)
    .option('--low-threshold <x>', "with --task edges: Canny hysteresis low threshold (gradient of the image in [0, 1], skimage's units)", numArg(0), CANNY_DEFAULTS.lowThreshold)
    .option('--high-threshold <x>', 'with --task edges: Canny hysteresis high threshold', numArg(0), CANNY_DEFAULTS.highThreshold)
    .option('--quantiles', 'with --task edges: the thresholds are quantiles of the gradient magnitude (per photo)', CANNY_DEFAULTS.useQuantiles);
  cmd.action(async (o: MakeDatasetFlags) => {
    const given = (keys: readonly string[]) => keys.filter((k) => cmd.getOptionValueSource(k) === 'cli').map(kebab);
    if (o.from === undefined) {
      const wrong = given(PHOTO_ONLY);
      if (wrong.length > 0) throw new CliError(`${wrong.join(', ')}: only with --from <photos> (without it, make-dataset writes the facades)`);
      await writeFacadeDataset({ out: o.out, count: o.count, size: o.size, seed: o.seed, offset: o.offset, label: `--out ${o.out}` });
      io.log.write(`wrote ${o.count} facade pairs (${2 * o.size}x${o.size}, A = label map, B = photo) to ${o.out}\n`);
      return;
    }
    const wrong = given(FACADE_ONLY);
    if (wrong.length > 0) throw new CliError(`${wrong.join(', ')}: facades only; with --from use --load-size, --crop-size, --crops-per-photo`);
    await runMakePhotoDataset({
      from: o.from,
      out: o.out,
      task: o.task,
      loadSize: o.loadSize,
      ...(o.cropSize === undefined ? {} : { cropSize: o.cropSize }),
      crops: o.cropsPerPhoto,
      testFraction: o.testFraction,
      ...(o.testCount === undefined ? {} : { testCount: o.testCount }),
      seed: o.seed,
      canny: { sigma: o.sigma, lowThreshold: o.lowThreshold, highThreshold: o.highThreshold, useQuantiles: o.quantiles },
      log: io.log,
    });
  });
  return cmd;
}
