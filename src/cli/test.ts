/**
 * `pix2pix test`: the counterpart of the reference's `test.py`. Loads a generator (`--model`), runs it
 * over a test folder with `translateFolder`, writes `<results>/index.html`, `images/`, `metrics.json`
 * and `metrics.csv`, and prints the summary.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { Option, type Command } from 'commander';
import { DIRECTIONS, type Direction } from '../data/batches.js';
import { TORCH_ARCHS, type TorchArch } from '../io/torch/checkpoint.js';
import { EVALUATION_METRICS } from '../metrics/evaluate.js';
import { DATA_FOLDER_LAYOUTS, translateFolder, type DataFolderLayout, type TranslateFolderResult } from '../node/translate_folder.js';
import { CLI_BACKENDS, selectBackend, type CliBackend } from './backend.js';
import { loadCliGenerator } from './load_generator.js';
import { checkOutputPath } from '../node/fs/index.js';
import { findModelFolder, loadPlainModel } from './model_folder.js';
import { intArg, oneOfArg } from './parse.js';
import type { ProgramIo } from './program.js';

/** Options of `pix2pix test`. */
export interface TestOptions {
  /** A train `--out` folder, its checkpoint folder, a model folder, or a `.pth` file (with `arch`). */
  model: string;
  /** With a `.pth`: its architecture. */
  arch?: TorchArch;
  /** The test data folder. */
  data: string;
  /** The results folder. */
  results: string;
  /** Layout of `data` (default: detected, see `translateFolder`). */
  layout?: DataFolderLayout;
  /** Only the first n images. */
  numTest?: number;
  /** Inference mode (moving statistics, no dropout) instead of the paper's test time. */
  eval: boolean;
  direction: Direction;
  backend: CliBackend;
  /** Dropout seed of paper mode. */
  seed: number;
  /** A facades segmentation network's model folder: adds the segmentation score (label map -> photo data). */
  segmenter?: string;
  log?: NodeJS.WriteStream;
}

/** The summary lines `pix2pix test` prints. */
export function summaryLines(r: TranslateFolderResult): string[] {
  if (r.mean === null || r.std === null) return [`${r.images.length} image(s), no targets: no metrics`];
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  const lines = [`${r.scored} image(s) scored against their targets (8-bit images as written, in [-1, 1] units):`];
  for (const k of EVALUATION_METRICS) lines.push(`  ${k.toUpperCase().padEnd(5)} mean ${f(r.mean[k]).padStart(9)}  std ${f(r.std[k]).padStart(9)}`);
  if (r.segmentation) lines.push(`  segmentation: per-pixel acc. ${f(r.segmentation.pixelAccuracy)}, per-class acc. ${f(r.segmentation.meanClassAccuracy)}, class IoU ${f(r.segmentation.meanIoU)}`);
  return lines;
}

/** Runs `pix2pix test`; returns the result (also written to `<results>/metrics.json`). */
export async function runTest(o: TestOptions): Promise<TranslateFolderResult> {
  const log = o.log ?? process.stderr;
  checkOutputPath(o.results, '--results');
  const backend = await selectBackend(o.backend);
  const generator = await loadCliGenerator({ model: o.model, ...(o.arch === undefined ? {} : { arch: o.arch }) });
  const mode = o.eval ? 'inference' : 'paper';
  let segmenter: tfl.LayersModel | undefined;
  try {
    if (o.segmenter !== undefined) {
      const flag = `--segmenter ${o.segmenter}`;
      segmenter = await loadPlainModel((await findModelFolder(o.segmenter, flag)).dir, flag);
    }
    log.write(`pix2pix test: ${generator.source}, mode ${mode}, backend ${backend}\n`);
    const r = await translateFolder(generator.model, {
      data: o.data,
      results: o.results,
      ...(o.layout === undefined ? {} : { layout: o.layout }),
      direction: o.direction,
      mode,
      seed: o.seed,
      ...(o.numTest === undefined ? {} : { count: o.numTest }),
      modelName: generator.source,
      ...(segmenter ? { segmenter } : {}),
    });
    log.write(`${[...summaryLines(r), `wrote ${o.results}/index.html, metrics.json, metrics.csv and ${r.files.length - 3} image(s) (data layout ${r.layout})`].join('\n')}\n`);
    return r;
  } finally {
    generator.dispose();
    segmenter?.dispose();
  }
}

/** Adds `pix2pix test` to the program. */
export function registerTest(program: Command, io: ProgramIo): void {
  const cmd = program
    .command('test')
    .description("translate a test set and score it (the reference's test.py): writes <results>/index.html, images/, metrics.json, metrics.csv")
    .requiredOption('--model <path>', 'a train --out folder, its checkpoint folder, a model folder (import-torch), or a PyTorch .pth (with --arch)')
    .addOption(new Option('--arch <name>', `with a .pth: its architecture (${TORCH_ARCHS.join(', ')})`).argParser(oneOfArg(TORCH_ARCHS)))
    .requiredOption('--data <dir>', 'test data: A|B images, subfolders A/ and B/ with matching names, or input images alone (no metrics)')
    .requiredOption('--results <dir>', 'results folder: new, empty, or an earlier results folder (only its own files are replaced; anything else is refused)')
    .addOption(new Option('--layout <layout>', `data layout: ${DATA_FOLDER_LAYOUTS.join(', ')} (default: detected)`).argParser(oneOfArg(DATA_FOLDER_LAYOUTS)))
    .option('--num-test <n>', 'translate only the first n images (sorted by name)', intArg(1))
    .option('--eval', "inference mode: moving statistics, no dropout (the reference's --eval). Default: paper mode, dropout on and batch statistics, the paper's and the reference's test time", false)
    .option('--direction <dir>', 'AtoB or BtoA (pairs only)', oneOfArg(DIRECTIONS), 'AtoB')
    .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
    .option('--seed <n>', 'dropout seed of paper mode', intArg(0), 0)
    .option('--segmenter <dir>', 'a facades segmentation network saved as a model folder (trainFacadeSegmenter(), then model.save(fileCheckpoint(dir))): adds the segmentation score; label map -> photo facades only')
    .action(async (o: Omit<TestOptions, 'log'>) => {
      await runTest({ ...o, log: io.log });
    });
  cmd.showHelpAfterError(`Usage: pix2pix test ${cmd.usage()}\n(run 'pix2pix test --help' for all options)`);
}
