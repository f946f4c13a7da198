/**
 * Writes an export (tfjs model folder files, an ONNX file) to disk without ever replacing a file the
 * program did not write: the target must not exist yet (folders: or be empty).
 */
import { TFJS_EXPORT_JSON, TFJS_EXPORT_WEIGHTS, type TfjsExport } from '../io/export/tfjs.js';
import { writeFileSafe, writeFolderSafe } from './fs/index.js';

/**
 * Writes a tfjs export into `dir` (`model.json` + `weights.bin`), atomically: built in a temp folder
 * beside it and renamed into place (a kill or a full disk leaves nothing that blocks a rerun).
 * @param label - how errors name `dir` (e.g. `'--out x'`). Default: the path.
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
 * @throws WriteError when `dir` exists and is not empty (nothing is written then), or naming the cause.
 */
export async function writeTfjsExport(dir: string, exp: TfjsExport, label = dir): Promise<{
  /** Bytes written to `model.json`. */
  modelJson: number;
  /** Bytes written to `weights.bin`. */
  weights: number;
}> {
  const json = JSON.stringify(exp.modelJson);
  await writeFolderSafe(
    dir,
    async (w) => {
      await w.put(TFJS_EXPORT_WEIGHTS, exp.weights);
      await w.put(TFJS_EXPORT_JSON, json);
    },
    { kind: 'tfjs-export', label, replaceable: async () => false, record: false, expectedBytes: exp.weights.byteLength + Buffer.byteLength(json) },
  );
  return { modelJson: Buffer.byteLength(json), weights: exp.weights.byteLength };
}

/**
 * Writes bytes to a new file, atomically (temp file beside it, renamed into place).
 * @param label - how errors name the file. Default: the path.
 * @throws WriteError naming the file when it exists (nothing is replaced) or cannot be written.
 */
export async function writeNewFile(file: string, bytes: Uint8Array, label = file): Promise<void> {
  await writeFileSafe(file, bytes, { label, overwrite: 'never', record: false });
}
