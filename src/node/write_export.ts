/**
 * Writes an export (tfjs model folder files, an ONNX file) to disk without ever replacing a file the
 * program did not write: the target must not exist yet (folders: or be empty).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TFJS_EXPORT_JSON, TFJS_EXPORT_WEIGHTS, type TfjsExport } from '../io/export/tfjs.js';

/**
 * Writes a tfjs export into `dir` (`model.json` + `weights.bin`), creating it.
 * @example
 * ```ts
 * import { exportTfjsGenerator, unetGenerator } from '@acme/pix2pix';
 * import { writeTfjsExport } from '@acme/pix2pix/node';
 *
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * // model/model.json + model/weights.bin, loadable with tf.loadLayersModel after importing '@acme/pix2pix/layers'.
 * const bytes = await writeTfjsExport('model', await exportTfjsGenerator(G, { quantize: 'uint8' }));
 * ```
 * @returns The byte sizes of the two files.
 * @throws Error when `dir` exists and is not empty (nothing is written then).
 */
export async function writeTfjsExport(dir: string, exp: TfjsExport): Promise<{
  /** Bytes written to `model.json`. */
  modelJson: number;
  /** Bytes written to `weights.bin`. */
  weights: number;
}> {
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw new Error(`${dir}: cannot read (${e.code ?? e.message})`);
  });
  if (entries.length > 0) throw new Error(`${dir}: the folder exists and is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); give a new folder`);
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify(exp.modelJson);
  await writeFile(join(dir, TFJS_EXPORT_WEIGHTS), exp.weights, { flag: 'wx' });
  await writeFile(join(dir, TFJS_EXPORT_JSON), json, { flag: 'wx' });
  return { modelJson: Buffer.byteLength(json), weights: exp.weights.byteLength };
}

/**
 * Writes bytes to a new file (`wx`: fails when `file` exists).
 * @throws Error naming the file when it exists.
 */
export async function writeNewFile(file: string, bytes: Uint8Array): Promise<void> {
  await writeFile(file, bytes, { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === 'EEXIST' ? `${file}: exists; refusing to overwrite it (give a new file name)` : `${file}: cannot write (${e.code ?? e.message})`);
  });
}
