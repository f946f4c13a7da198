import * as tfl from '@tensorflow/tfjs-layers';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { COLORIZATION_CHANNELS, DATASET_MODES, type DatasetMode } from '../data/colorization.js';
// Imported for their registration side effect: plain model folders may hold these custom layers.
import '../layers/index.js';
import { CHECKPOINT_JSON, fileCheckpoint } from '../node/checkpoint.js';
import { CHECKPOINT_FORMAT } from '../trainer/checkpoint.js';
import { CliError } from './backend.js';
import { RUN_JSON } from './train/out_folder.js';

/**
 * A model folder the CLI reads: `'trainer'` is a Trainer checkpoint written by `pix2pix train` (both
 * networks, optimizer state); `'model'` is a plain tfjs-layers model folder (from `import-torch` or
 * `model.save(fileCheckpoint(dir))`).
 */
export interface ModelFolder {
  /** What the folder holds. */
  kind: 'trainer' | 'model';
  /** The folder whose `model.json` holds it (a run folder's `checkpoint/`, or the folder itself). */
  dir: string;
}

const isDir = async (p: string) => stat(p).then((s) => s.isDirectory(), () => null);
const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Finds the model in `path`: a training run folder (`<path>/checkpoint/model.json`), a checkpoint
 * folder, or a plain model folder (`<path>/model.json`), and tells a Trainer checkpoint from a plain
 * model by its topology's `format`.
 *
 * @param path - The folder given on the command line.
 * @param flag - How the command line named it, for errors (e.g. `'--model x'`).
 * @throws CliError when `path` is not a folder or holds no `model.json`.
 */
export async function findModelFolder(path: string, flag: string): Promise<ModelFolder> {
  if ((await isDir(path)) !== true) throw new CliError(`${flag}: not a folder (give a training --out folder, its checkpoint folder, or a model folder from import-torch)`);
  const dir = (await exists(join(path, 'checkpoint', CHECKPOINT_JSON))) ? join(path, 'checkpoint') : path;
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_JSON), 'utf8');
  } catch {
    throw new CliError(`${flag}: no ${CHECKPOINT_JSON} in ${dir} (give a training --out folder, its checkpoint folder, or a model folder from import-torch)`);
  }
  let format: unknown;
  try {
    const json = JSON.parse(text) as { modelTopology?: { format?: unknown } };
    format = json?.modelTopology?.format;
  } catch (e) {
    throw new CliError(`${flag}: ${join(dir, CHECKPOINT_JSON)} is not valid JSON (${(e as Error).message})`);
  }
  return { kind: format === CHECKPOINT_FORMAT ? 'trainer' : 'model', dir };
}

/**
 * Loads a plain model folder (kind `'model'`) with `tfl.loadLayersModel(fileCheckpoint(dir))`.
 *
 * @param dir - The folder holding `model.json` and `weights.bin`.
 * @param flag - How the command line named it, for errors.
 * @throws CliError when the folder is not a tfjs-layers model.
 */
export async function loadPlainModel(dir: string, flag: string): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(fileCheckpoint(dir));
  } catch (e) {
    throw new CliError(`${flag}: cannot load the model in ${dir}: ${(e as Error).message}`);
  }
}

/**
 * The data set mode a generator was trained in: `datasetMode` of the training run's `run.json` (in
 * `path`, or beside `path` when it is one of the run's `checkpoint*` folders); without one (a model folder, a `.pth`, a run of
 * an older version), `'colorization'` for a generator of 1 input and 2 output channels (L -> ab; no other
 * model makes 2-channel images), else `'aligned'`.
 *
 * @param path - The `--model` argument.
 * @param model - The generator loaded from it.
 */
export async function datasetModeOf(path: string, model: tfl.LayersModel): Promise<DatasetMode> {
  // A run's checkpoint folders (checkpoint/, checkpoint-best/, checkpoint-step-<n>/, ...) sit beside its run.json.
  const beside = basename(resolve(path)).startsWith('checkpoint') && (await exists(join(path, CHECKPOINT_JSON))) ? [join(dirname(resolve(path)), RUN_JSON)] : [];
  for (const file of [join(path, RUN_JSON), ...beside]) {
    let saved: unknown;
    try {
      saved = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      continue;
    }
    const mode = (saved as { datasetMode?: unknown } | null)?.datasetMode;
    if (typeof mode === 'string' && (DATASET_MODES as readonly string[]).includes(mode)) return mode as DatasetMode;
    if (saved !== null && typeof saved === 'object') return 'aligned';
  }
  const colorization = model.inputs[0]?.shape[3] === COLORIZATION_CHANNELS.input && model.outputs[0]?.shape[3] === COLORIZATION_CHANNELS.output;
  return colorization ? 'colorization' : 'aligned';
}
