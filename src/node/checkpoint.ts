// Node file-system checkpoints: the tfjs `model.json` + `weights.bin` folder layout, saved atomically
// (temp folder + rename), replacing only folders that are recognisably this package's model of the same
// kind, and recovering from saves that were killed half-way.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CHECKPOINT_FORMAT, CheckpointError } from '../trainer/checkpoint.js';
import { checkedWeights, validateModelJSON } from '../trainer/checkpoint_validation.js';
import { makeDirs, processAlive, removeLeftovers, writeFolderSafe } from './fs/index.js';

export { processAlive } from './fs/index.js';


/** File holding the JSON part of a checkpoint directory (tfjs `model.json` layout). */
export const CHECKPOINT_JSON = 'model.json';
/** File holding the binary weights of a checkpoint directory. */
export const CHECKPOINT_WEIGHTS = 'weights.bin';

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a model folder holds: `'trainer'`, a Trainer checkpoint (both networks and optimizer state, from
 * `trainer.save`); `'model'`, a plain tfjs-layers model (from `model.save`, `import-torch`).
 */
export type ModelFolderKind = 'trainer' | 'model';

/** The kind of model a topology describes (a Trainer checkpoint carries {@link CHECKPOINT_FORMAT}). */
function kindOfTopology(topology: unknown): ModelFolderKind {
  return (topology as { format?: unknown } | null)?.format === CHECKPOINT_FORMAT ? 'trainer' : 'model';
}

const KIND_NAMES: Record<ModelFolderKind, string> = { trainer: 'a training checkpoint', model: 'a model folder' };

/**
 * The kind of model saved in folder `dir`: `'trainer'` or `'model'` when it holds a `model.json` with a
 * tfjs model topology; `null` when it does not exist or holds nothing; `'other'` for anything else (a
 * file, a folder of other files, a `model.json` that is not one of ours).
 */
export async function modelFolderKind(dir: string): Promise<ModelFolderKind | 'other' | null> {
  let st: fs.Stats;
  try {
    st = await fs.promises.lstat(dir);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return 'other';
  const entries = await fs.promises.readdir(dir);
  if (entries.length === 0) return null;
  // Only the two files this module writes (tfjs' own file:// saver names its weights `<name>.weights.bin`).
  if (!entries.every((e) => e === CHECKPOINT_JSON || /^(.+\.)?weights\.bin$/.test(e)) || !entries.includes(CHECKPOINT_JSON)) return 'other';
  try {
    const json = JSON.parse(await fs.promises.readFile(path.join(dir, CHECKPOINT_JSON), 'utf8')) as tf.io.ModelJSON;
    if (json === null || typeof json !== 'object' || json.modelTopology == null || !Array.isArray(json.weightsManifest)) return 'other';
    return kindOfTopology(json.modelTopology);
  } catch {
    return 'other';
  }
}

/**
 * Checks that saving `kind` into `dir` cannot destroy anything else: `dir` is absent, an empty folder,
 * or already holds a model of the same kind (which the save then replaces).
 *
 * @throws CheckpointError naming `dir` and what it holds otherwise.
 */
export async function checkReplaceable(dir: string, kind: ModelFolderKind): Promise<void> {
  const found = await modelFolderKind(dir);
  if (found === null || found === kind) return;
  const what = found === 'other' ? 'files that are not a pix2pix model folder' : KIND_NAMES[found];
  throw new CheckpointError(`${dir} already exists and holds ${what}: refusing to replace it with ${KIND_NAMES[kind]} (choose another folder, or remove it yourself)`);
}

/** The pid in a leftover's name (`<base>.tmp-<pid>-...`, `<base>.old-<pid>-...`), or null (older names without one). */
const pidOf = (name: string, marker: string) => {
  const m = new RegExp(`\\.${marker}-(\\d+)-`).exec(name);
  return m ? Number(m[1]) : null;
};

/**
 * Cleans up after saves of `dir` that were killed half-way (by a process that is no longer running):
 * removes their temporary folders (`.<name>.tmp-*`); when `dir` itself is missing (killed between the
 * two renames of a save), moves the newest complete previous checkpoint (`<name>.old-*`) back into
 * place; removes `<name>.old-*` folders that `dir` supersedes.
 *
 * @returns The leftover folder moved back to `dir`, or null.
 */
export async function recoverInterruptedSave(dir: string): Promise<string | null> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  let names: string[];
  try {
    names = await fs.promises.readdir(parent);
  } catch {
    return null;
  }
  const dead = (name: string, marker: string) => {
    const pid = pidOf(name, marker);
    return pid === null || !processAlive(pid);
  };
  await removeLeftovers(target); // temp folders of killed saves (a previous folder moved aside goes back)
  names = await fs.promises.readdir(parent);
  const olds = names.filter((n) => n.startsWith(`${base}.old-`) && dead(n, 'old')).sort();
  let restored: string | null = null;
  if (!(await exists(target))) {
    for (const n of [...olds].reverse()) {
      const kind = await modelFolderKind(path.join(parent, n));
      if (kind === 'trainer' || kind === 'model') {
        await fs.promises.rename(path.join(parent, n), target);
        restored = path.join(parent, n);
        break;
      }
    }
  }
  if (await exists(path.join(target, CHECKPOINT_JSON))) {
    for (const n of olds) if (path.join(parent, n) !== restored) await fs.promises.rm(path.join(parent, n), { recursive: true, force: true });
  }
  return restored;
}

async function saveDirectory(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const topology = artifacts.modelTopology;
  if (topology == null || topology instanceof ArrayBuffer) {
    throw new Error('fileCheckpoint saves JSON model topologies only (got none, or a binary GraphDef)');
  }
  const target = path.resolve(dir);
  await makeDirs(path.dirname(target));
  await recoverInterruptedSave(target);
  await checkReplaceable(target, kindOfTopology(topology));
  // The one write path: a temp folder beside the target (same file system, so the final rename is
  // atomic; its name carries the pid, so a later save can tell a dead process' leftover from a save in
  // progress), every file fsynced, then renamed into place.
  await writeFolderSafe(
    target,
    async (w) => {
      const weights = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await w.put(CHECKPOINT_WEIGHTS, new Uint8Array(weights));
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: topology,
        weightsManifest: [{ paths: [CHECKPOINT_WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      };
      if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
      await w.put(CHECKPOINT_JSON, JSON.stringify(modelJSON));
    },
    { kind: kindOfTopology(topology), label: target, replaceable: async () => true, record: false },
  );
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

async function leftovers(target: string): Promise<string[]> {
  try {
    const base = `${path.basename(target)}.old-`;
    return (await fs.promises.readdir(path.dirname(target))).filter((n) => n.startsWith(base));
  } catch {
    return [];
  }
}

async function loadDirectory(dir: string): Promise<tf.io.ModelArtifacts> {
  const target = path.resolve(dir);
  const jsonPath = path.join(target, CHECKPOINT_JSON);
  let text: string;
  try {
    text = await fs.promises.readFile(jsonPath, 'utf8');
  } catch (e) {
    const old = await leftovers(target);
    const hint = old.length > 0 ? ` (a save was interrupted; the previous checkpoint is in ${old.join(', ')})` : '';
    throw new CheckpointError(`no checkpoint at ${target}: cannot read ${CHECKPOINT_JSON} (${(e as NodeJS.ErrnoException).code ?? e})${hint}`);
  }
  let modelJSON: tf.io.ModelJSON;
  try {
    modelJSON = JSON.parse(text) as tf.io.ModelJSON;
  } catch (e) {
    throw new CheckpointError(`corrupt checkpoint: ${jsonPath} is not valid JSON (${(e as Error).message})`);
  }
  if (modelJSON === null || typeof modelJSON !== 'object' || modelJSON.modelTopology == null) {
    throw new CheckpointError(`corrupt checkpoint: ${jsonPath} has no modelTopology`);
  }
  validateModelJSON(modelJSON, jsonPath); // before tfjs iterates the manifest or rebuilds layers
  return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of manifest) {
      for (const p of group.paths) {
        const file = path.join(target, p);
        let buf: Buffer;
        try {
          buf = await fs.promises.readFile(file);
        } catch (e) {
          throw new CheckpointError(`corrupt checkpoint: weights file ${file} is missing (${(e as NodeJS.ErrnoException).code ?? e})`);
        }
        buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      }
      specs.push(...group.weights);
    }
    return [specs, checkedWeights(modelJSON, specs, tf.io.CompositeArrayBuffer.join(buffers), target)];
  });
}

/**
 * A tfjs IO handler that stores a checkpoint (or any JSON-topology model) as a directory in the tfjs
 * `file://` layout: `model.json` (topology + weights manifest) and `weights.bin`.
 *
 * Saving is atomic: everything is written (and fsynced) into a temporary sibling directory, which then
 * replaces `dir` by rename; if a save fails midway, `dir` still holds the previous checkpoint. A save
 * only replaces a folder that is absent, empty, or holds a model of the same kind (a Trainer checkpoint
 * or a plain model); anything else is a `CheckpointError` naming the folder, and nothing is touched.
 * Before writing, it cleans up after saves killed half-way ({@link recoverInterruptedSave}). Loading
 * reports a missing directory, missing files or invalid JSON as a `CheckpointError`.
 *
 * @example
 * ```ts
 * import { Trainer, unetGenerator, patchDiscriminator, compositeLoss } from '@acme/pix2pix';
 * import { fileCheckpoint } from '@acme/pix2pix/node';
 *
 * const trainer = new Trainer({ generator: unetGenerator({ imageSize: 64 }), discriminator: patchDiscriminator(), loss: compositeLoss() });
 * await trainer.save(fileCheckpoint('runs/facades/latest'));
 * const resumed = await Trainer.load(fileCheckpoint('runs/facades/latest'));
 * ```
 * @param dir - the checkpoint directory (created, with its parents, on save).
 * @returns An IO handler with `save` and `load`, and `source` (its `model.json`, which load errors name).
 */
export function fileCheckpoint(dir: string): tf.io.IOHandler & {
  /** The checkpoint's `model.json` (absolute), which load errors name. */
  readonly source: string;
} {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new RangeError(`dir must be a non-empty path (got ${JSON.stringify(dir)})`);
  }
  return {
    save: (artifacts) => saveDirectory(dir, artifacts),
    load: () => loadDirectory(dir),
    // Named by errors of values read from the checkpoint (Trainer.load).
    source: path.join(path.resolve(dir), CHECKPOINT_JSON),
  };
}

/**
 * A `tf.io` router that maps plain paths (strings without a `scheme://`) to {@link fileCheckpoint}, so
 * `trainer.save('runs/ckpt')` and `Trainer.load('runs/ckpt')` accept paths. Registering is your choice
 * (it is global to tfjs and also claims plain paths passed to `tf.loadLayersModel`):
 * `tf.io.registerSaveRouter(fileCheckpointRouter); tf.io.registerLoadRouter(fileCheckpointRouter);`.
 *
 * @param url - what was passed to `save` / `load`.
 * @returns A handler for plain paths; null for anything else (typed as `IOHandler`, the `tf.io.IORouter`
 *   signature, although tfjs routers signal "not mine" with null).
 */
export function fileCheckpointRouter(url: string | string[]): tf.io.IOHandler {
  if (typeof url !== 'string' || url.length === 0 || /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    return null as unknown as tf.io.IOHandler;
  }
  return fileCheckpoint(url);
}
