import * as tfl from '@tensorflow/tfjs-layers';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
// Imported for their registration side effect: plain model folders may hold these custom layers.
import '../layers/index.js';
import { CHECKPOINT_JSON, fileCheckpoint } from '../node/checkpoint.js';
import { CHECKPOINT_FORMAT } from '../trainer/checkpoint.js';
import { CliError } from './backend.js';

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
