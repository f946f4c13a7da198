/**
 * `translateFolder`: the Node side of `pix2pix test` (the reference's `test.py`): translates a folder
 * (A|B pairs, an `A/` + `B/` pair of folders, or inputs alone) with `evaluate`, and writes a results
 * folder: `images/<name>_real_A.png`, `_fake_B.png`, `_real_B.png` (the reference's names), `index.html`,
 * `metrics.json` and `metrics.csv`.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Direction } from '../data/batches.js';
import type { DatasetMode } from '../data/colorization.js';
import { splitAB } from '../data/split.js';
import type { GeneratorEngine } from '../generator/engine.js';
import type { GenerationMode } from '../generator/generate.js';
import { evaluate, type EvaluationResult, type EvaluationSource } from '../metrics/evaluate.js';
import { assertNever, checkKeys, checkOneOf } from '../util/validate.js';
import { listImages, twoFolderPairs } from './folder_pairs.js';
import { encodePng, readImage } from './image_io.js';
import { recordedFolderOf, writeFolderSafe, type FolderWriter } from './fs/index.js';
import { isOwnResultsFolder, renderMetricsCsv, renderMetricsJson, renderResultsPage, RESULTS_FILES, type ResultsRow } from './results_page.js';

/** How a data folder is laid out: A|B images, `A/` + `B/` subfolders, or input images alone. */
export type DataFolderLayout = 'ab' | 'folders' | 'inputs';
/** The allowed {@link DataFolderLayout}s. */
export const DATA_FOLDER_LAYOUTS: readonly DataFolderLayout[] = ['ab', 'folders', 'inputs'];

/** Options of {@link translateFolder}. */
export interface TranslateFolderOptions {
  /** The data folder. Required. */
  data: string;
  /**
   * The results folder. Required. It must not exist, be empty, or hold a previous results folder and
   * nothing else (its files are then replaced); anything else is refused and nothing is written.
   */
  results: string;
  /**
   * Layout of `data`. Default: `'folders'` when it has subfolders `A` and `B`; else `'ab'` when its first
   * image is twice as wide as high; else `'inputs'` (no targets, no metrics).
   */
  layout?: DataFolderLayout;
  /** Which side is the input (pairs only). Default `'AtoB'`. */
  direction?: Direction;
  /** Test-time mode. Default `'paper'` (the reference's default; `'inference'` is its `--eval`). */
  mode?: GenerationMode;
  /** Base dropout seed of paper mode (see `evaluate`). Default 0. */
  seed?: number;
  /** Translate only the first `count` images (sorted by name; the reference's `--num_test`). Default: all. */
  count?: number;
  /** Facades segmentation network for the segmentation score (see `evaluate`). Default: none. */
  segmenter?: tfl.LayersModel;
  /** How the page and `metrics.json` name the model. Default `'generator'`. */
  modelName?: string;
  /** Called after each image is written, with its index and the number of images. Default: none. */
  onProgress?: (done: number, total: number) => void;
  /**
   * The engine that runs the generator (see `evaluate`), e.g. `onnxruntimeEngine` (inference mode
   * only: pass `mode: 'inference'`). Not disposed here. Default: none, tfjs.
   */
  engine?: GeneratorEngine;
  /** `'colorization'` for an L -> ab generator: outputs and metrics in RGB (see `evaluate`). Default `'aligned'`. */
  datasetMode?: DatasetMode;
}

/** What {@link translateFolder} returns: `evaluate`'s result plus the files and the layout used. */
export interface TranslateFolderResult extends EvaluationResult {
  /** The layout the data were read in. */
  layout: DataFolderLayout;
  /** Every file written, relative to the results folder. */
  files: string[];
}

const TRANSLATE_FOLDER_KEYS = ['data', 'results', 'layout', 'direction', 'mode', 'seed', 'count', 'segmenter', 'modelName', 'onProgress', 'engine', 'datasetMode'] as const;

const stemOf = (file: string) => basename(file, extname(file));

async function detectLayout(dir: string): Promise<DataFolderLayout> {
  const subdirs = (await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${dir}: cannot read folder (${e.code ?? e.message})`);
  }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  if (subdirs.includes('A') && subdirs.includes('B')) return 'folders';
  const first = await readImage(join(dir, (await listImages(dir))[0]!));
  return first.width === 2 * first.height ? 'ab' : 'inputs';
}

/** The data folder as an `evaluate` source whose names are file stems. */
async function openData(dir: string, layout: DataFolderLayout): Promise<EvaluationSource> {
  switch (layout) {
    case 'ab':
    case 'inputs': {
      const files = await listImages(dir);
      return {
        length: files.length,
        name: (i) => stemOf(files[i]!),
        load: async (i) => {
          const img = await readImage(join(dir, files[i]!));
          return layout === 'ab' ? splitAB(img, join(dir, files[i]!)) : { a: img };
        },
      };
    }
    case 'folders': {
      const pairs = await twoFolderPairs(join(dir, 'A'), join(dir, 'B'));
      return { length: pairs.length, name: (i) => stemOf(pairs.name(i).split(' + ')[0]!), load: (i) => pairs.load(i) };
    }
    default:
      return assertNever(layout, 'layout');
  }
}

/**
 * Translates a data folder with `generate` (through `evaluate`) and writes a results folder: the images,
 * `index.html` (summary table, then name | input | output | target per image, at their size),
 * `metrics.json` and `metrics.csv` (per-image L1, L2, PSNR, SSIM on the 8-bit images as written; mean
 * and population standard deviation; the segmentation score when a segmenter is given). Non-finite
 * values are written as `"Infinity"` / `"NaN"` in JSON and `inf` / `nan` in CSV.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { importTorchCheckpoint } from '@acme/pix2pix';
 * import { translateFolder } from '@acme/pix2pix/node';
 *
 * const G = importTorchCheckpoint(await readFile('latest_net_G.pth'));
 * // The reference's test.py: results/index.html, images/<name>_{real_A,fake_B,real_B}.png, metrics.
 * const result = await translateFolder(G, { data: 'datasets/facades/test', results: 'results/facades', mode: 'inference' });
 * console.log(result.mean?.psnr, result.files.length);
 * ```
 * @param generator - The generator.
 * @param options - See {@link TranslateFolderOptions}.
 * @throws Error (before writing anything) when the results folder holds files this program did not write.
 */
export async function translateFolder(generator: tfl.LayersModel, options: TranslateFolderOptions): Promise<TranslateFolderResult> {
  checkKeys(options, TRANSLATE_FOLDER_KEYS, 'translateFolder');
  const layout = options.layout ?? (await detectLayout(options.data));
  checkOneOf(layout, 'layout', DATA_FOLDER_LAYOUTS);
  const source = await openData(options.data, layout);
  // The whole folder is written atomically: a kill, a full disk or a bad image leaves nothing that blocks
  // the rerun; an earlier results folder of this program is replaced, anything else refused.
  const ownRecorded = recordedFolderOf('results');
  return writeFolderSafe(options.results, (w) => writeResults(generator, options, layout, source, w), {
    kind: 'results',
    inputs: [{ path: options.data, label: 'the data folder' }],
    replaceable: async (d) => (await ownRecorded(d)) || (await isOwnResultsFolder(d)),
  });
}

async function writeResults(
  generator: tfl.LayersModel,
  options: TranslateFolderOptions,
  layout: DataFolderLayout,
  source: EvaluationSource,
  w: FolderWriter,
): Promise<TranslateFolderResult> {
  // Inputs alone: every image is an input, whatever the direction.
  const direction = layout === 'inputs' ? 'AtoB' : (options.direction ?? 'AtoB');
  const rows: ResultsRow[] = [];
  const files: string[] = [];
  const used = new Set<string>();
  const total = Math.min(options.count ?? source.length, source.length);
  const result = await evaluate(generator, source, {
    direction,
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.count === undefined ? {} : { count: options.count }),
    ...(options.segmenter === undefined ? {} : { segmenter: options.segmenter }),
    ...(options.engine === undefined ? {} : { engine: options.engine }),
    ...(options.datasetMode === undefined ? {} : { datasetMode: options.datasetMode }),
    onImage: async (img) => {
      let name = img.name;
      for (let k = 2; used.has(name); k++) name = `${img.name}_${k}`;
      used.add(name);
      const rel = (suffix: string) => `${RESULTS_FILES.images}/${name}_${suffix}.png`;
      const row: ResultsRow = { name, input: rel('real_A'), output: rel('fake_B'), width: img.output.width, height: img.output.height };
      await w.put(row.input, encodePng(img.input));
      await w.put(row.output, encodePng(img.output));
      files.push(row.input, row.output);
      if (img.target) {
        row.target = rel('real_B');
        await w.put(row.target, encodePng(img.target));
        files.push(row.target);
      }
      if (img.metrics) row.metrics = img.metrics;
      rows.push(row);
      options.onProgress?.(rows.length, total);
    },
  });
  files.push(RESULTS_FILES.html, RESULTS_FILES.json, RESULTS_FILES.csv);
  const content = {
    model: options.modelName ?? 'generator',
    data: options.data,
    mode: result.mode,
    direction,
    rows,
    mean: result.mean,
    std: result.std,
    ...(result.segmentation ? { segmentation: result.segmentation } : {}),
  };
  await w.put(RESULTS_FILES.html, renderResultsPage(content));
  await w.put(RESULTS_FILES.csv, renderMetricsCsv(content));
  await w.put(RESULTS_FILES.json, renderMetricsJson(content, files));
  return { ...result, layout, files };
}
