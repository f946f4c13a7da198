/**
 * `pix2pix test`: the counterpart of the reference's `test.py`. Loads a generator (`--model`), runs it
 * over a test folder with `translateFolder`, writes `<results>/index.html`, `images/`, `metrics.json`
 * and `metrics.csv`, and prints the summary.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { Option, type Command } from 'commander';
import { DIRECTIONS, type Direction } from '../data/batches.js';
import { DEFAULT_ENGINE, ENGINE_NAMES, type EngineName, type GeneratorEngine } from '../generator/engine.js';
import { TORCH_ARCHS, type TorchArch } from '../io/torch/checkpoint.js';
import { EVALUATION_METRICS } from '../metrics/evaluate.js';
import { DATA_FOLDER_LAYOUTS, translateFolder, type DataFolderLayout, type TranslateFolderResult } from '../node/translate_folder.js';
import { basename, resolve } from 'node:path';
import { DEFAULT_PHASE } from '../node/dataroot.js';
import { CLI_BACKENDS, CliError, selectBackend, type CliBackend } from './backend.js';
import { checkCliEngine, ENGINE_HELP, openCliEngine } from './engine.js';
import { loadCliGenerator } from './load_generator.js';
import { checkOutputPath } from '../node/fs/index.js';
import { datasetModeOf, findModelFolder, loadPlainModel } from './model_folder.js';
import { intArg, oneOfArg } from './parse.js';
import type { ProgramIo } from './program.js';
import { dataFolderOf, DEFAULT_CHECKPOINTS_DIR, DEFAULT_RESULTS_DIR, modelForEpoch, referenceResultsFolder, runFolderOf } from './reference_flags.js';

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
  /** Inference engine (see `EngineName`). Default `'tfjs'`. */
  engine?: EngineName;
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
  const lines = [`${r.scored} image(s) scored against their targets (8-bit images as written; PSNR and SSIM as scikit-image on uint8, L1/L2 in [-1, 1] units, MAE in 0-255):`];
  for (const k of EVALUATION_METRICS) lines.push(`  ${k.padEnd(12)} mean ${f(r.mean[k]).padStart(9)}  std ${f(r.std[k]).padStart(9)}`);
  if (r.segmentation) lines.push(`  segmentation: per-pixel acc. ${f(r.segmentation.pixelAccuracy)}, per-class acc. ${f(r.segmentation.meanClassAccuracy)}, class IoU ${f(r.segmentation.meanIoU)}`);
  return lines;
}

/** Runs `pix2pix test`; returns the result (also written to `<results>/metrics.json`). */
export async function runTest(o: TestOptions): Promise<TranslateFolderResult> {
  const log = o.log ?? process.stderr;
  const mode = o.eval ? 'inference' : 'paper';
  const engineName = o.engine ?? DEFAULT_ENGINE;
  checkCliEngine(engineName, mode);
  checkOutputPath(o.results, '--results');
  const backend = await selectBackend(o.backend);
  const generator = await loadCliGenerator({ model: o.model, ...(o.arch === undefined ? {} : { arch: o.arch }) });
  let segmenter: tfl.LayersModel | undefined;
  let engine: GeneratorEngine | undefined;
  try {
    engine = await openCliEngine(engineName, generator.model);
    if (o.segmenter !== undefined) {
      const flag = `--segmenter ${o.segmenter}`;
      segmenter = await loadPlainModel((await findModelFolder(o.segmenter, flag)).dir, flag);
    }
    const datasetMode = await datasetModeOf(o.model, generator.model);
    log.write(`pix2pix test: ${generator.source}, mode ${mode}${datasetMode === 'colorization' ? ', colorization (L -> ab, written as RGB)' : ''}, engine ${engineName}, backend ${backend}\n`);
    const r = await translateFolder(generator.model, {
      data: o.data,
      results: o.results,
      ...(o.layout === undefined ? {} : { layout: o.layout }),
      direction: o.direction,
      mode,
      seed: o.seed,
      ...(o.numTest === undefined ? {} : { count: o.numTest }),
      modelName: generator.source,
      datasetMode,
      ...(segmenter ? { segmenter } : {}),
      engine,
    });
    log.write(`${[...summaryLines(r), `wrote ${o.results}/index.html, metrics.json, metrics.csv and ${r.files.length - 3} image(s) (data layout ${r.layout})`].join('\n')}\n`);
    return r;
  } finally {
    await engine?.dispose();
    generator.dispose();
    segmenter?.dispose();
  }
}

/** What the command line of `pix2pix test` gives, before the reference's names are resolved. */
interface TestFlags extends Omit<TestOptions, 'log' | 'model' | 'data' | 'results'> {
  model?: string;
  name?: string;
  checkpointsDir?: string;
  epoch: string;
  data?: string;
  dataroot?: string;
  phase?: string;
  results?: string;
  resultsDir?: string;
  maxDatasetSize?: number;
}

/** Resolves the reference's names (`--dataroot`/`--phase`, `--name`/`--checkpoints-dir`/`--epoch`, `--results-dir`) into {@link TestOptions}. */
export async function resolveTestFlags(o: TestFlags): Promise<Omit<TestOptions, 'log'>> {
  const { name, checkpointsDir, epoch, dataroot, phase, resultsDir, maxDatasetSize, ...rest } = o;
  const run = runFolderOf({ ...(name === undefined ? {} : { name }), ...(checkpointsDir === undefined ? {} : { checkpointsDir }) }, { flag: '--model', value: o.model });
  if (run === undefined) throw new CliError("required option '--model <path>' (or --name <name> [--checkpoints-dir <dir>]) not specified");
  const model = await modelForEpoch(run, epoch);
  const data = await dataFolderOf({ ...(o.data === undefined ? {} : { data: o.data }), ...(dataroot === undefined ? {} : { dataroot }), ...(phase === undefined ? {} : { phase }) }, DEFAULT_PHASE.test, '--data');
  if (o.results !== undefined && resultsDir !== undefined) throw new CliError('--results <dir> and --results-dir <dir> both name the results folder: give one (--results-dir writes <results-dir>/<name>/<phase>_<epoch>/)');
  const results = o.results ?? referenceResultsFolder(resultsDir ?? DEFAULT_RESULTS_DIR, name ?? basename(resolve(run)), phase ?? DEFAULT_PHASE.test, epoch);
  const counts = [o.numTest, maxDatasetSize].filter((n): n is number => n !== undefined);
  return { ...rest, model, data, results, ...(counts.length > 0 ? { numTest: Math.min(...counts) } : {}) };
}

/** Adds `pix2pix test` to the program. */
export function registerTest(program: Command, io: ProgramIo): void {
  const cmd = program
    .command('test')
    .description("translate a test set and score it (the reference's test.py): writes <results>/index.html, images/, metrics.json, metrics.csv")
    .option('--model <path>', 'a train --out folder, its checkpoint folder, a model folder (import-torch), or a PyTorch .pth (with --arch)')
    .option('--name <name>', "the reference's run name: the model is <checkpoints-dir>/<name> (instead of --model)")
    .option('--checkpoints-dir <dir>', `with --name: the folder of runs (default: ${DEFAULT_CHECKPOINTS_DIR})`)
    .option('--epoch <which>', 'latest, best (train --keep-best), or an epoch number (train --save-epoch-freq; or <n>_net_G.pth in a reference checkpoint folder)', 'latest')
    .addOption(new Option('--arch <name>', `with a .pth: its architecture (${TORCH_ARCHS.join(', ')})`).argParser(oneOfArg(TORCH_ARCHS)))
    .option('--dataroot <dir>', `test data: <dataroot>/<phase>/ when it exists (the reference's layout), else the folder itself: A|B images, subfolders A/ and B/ with matching names, or input images alone (no metrics)`)
    .option('--data <dir>', 'same as --dataroot')
    .option('--phase <name>', `which split of --dataroot (default: ${DEFAULT_PHASE.test})`)
    .option('--results <dir>', 'results folder: new, empty, or an earlier results folder (only its own files are replaced; anything else is refused)')
    .option('--results-dir <dir>', `the reference's layout instead of --results: <results-dir>/<name>/<phase>_<epoch>/ (the default, with ${DEFAULT_RESULTS_DIR}/)`)
    .addOption(new Option('--layout <layout>', `data layout: ${DATA_FOLDER_LAYOUTS.join(', ')} (default: detected)`).argParser(oneOfArg(DATA_FOLDER_LAYOUTS)))
    .option('--num-test <n>', 'translate only the first n images (sorted by name)', intArg(1))
    .option('--max-dataset-size <n>', 'use only the first n images (with --num-test: the smaller)', intArg(1))
    .option('--eval', "inference mode: moving statistics, no dropout (the reference's --eval). Default: paper mode, dropout on and batch statistics, the paper's and the reference's test time", false)
    .option('--direction <dir>', 'AtoB or BtoA (pairs only)', oneOfArg(DIRECTIONS), 'AtoB')
    .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
    .option('--engine <name>', ENGINE_HELP, oneOfArg(ENGINE_NAMES), DEFAULT_ENGINE)
    .option('--seed <n>', 'dropout seed of paper mode', intArg(0), 0)
    .option('--segmenter <dir>', 'a facades segmentation network saved as a model folder (trainFacadeSegmenter(), then model.save(fileCheckpoint(dir))): adds the segmentation score; label map -> photo facades only')
    .action(async (o: TestFlags) => {
      await runTest({ ...(await resolveTestFlags(o)), log: io.log });
    });
  cmd.showHelpAfterError(`Usage: pix2pix test ${cmd.usage()}\n(run 'pix2pix test --help' for all options)`);
}
