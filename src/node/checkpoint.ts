import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError } from '../trainer/checkpoint.js';
import { checkedWeights, validateModelJSON } from '../trainer/checkpoint_validation.js';

/** The process umask, read without changing it for longer than the call. */
function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}


/** File holding the JSON part of a checkpoint directory (tfjs `model.json` layout). */
export const CHECKPOINT_JSON = 'model.json';
/** File holding the binary weights of a checkpoint directory. */
export const CHECKPOINT_WEIGHTS = 'weights.bin';

async function writeDurably(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.writeFile(file, data);
  const handle = await fs.promises.open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function saveDirectory(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  const topology = artifacts.modelTopology;
  if (topology == null || topology instanceof ArrayBuffer) {
    throw new Error('fileCheckpoint saves JSON model topologies only (got none, or a binary GraphDef)');
  }
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  await fs.promises.mkdir(parent, { recursive: true });
  // A sibling temp dir: same file system, so the final rename is atomic.
  const tmp = await fs.promises.mkdtemp(path.join(parent, `.${path.basename(target)}.tmp-`));
  let moved: string | null = null;
  try {
    // mkdtemp creates 0700; the final folder gets the permissions a plain mkdir would (0777 minus umask).
    await fs.promises.chmod(tmp, 0o777 & ~currentUmask());
    const weights = artifacts.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    await writeDurably(path.join(tmp, CHECKPOINT_WEIGHTS), new Uint8Array(weights));
    const modelJSON: tf.io.ModelJSON = {
      modelTopology: topology,
      weightsManifest: [{ paths: [CHECKPOINT_WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
    };
    if (artifacts.trainingConfig != null) modelJSON.trainingConfig = artifacts.trainingConfig;
    if (artifacts.userDefinedMetadata != null) modelJSON.userDefinedMetadata = artifacts.userDefinedMetadata;
    await writeDurably(path.join(tmp, CHECKPOINT_JSON), JSON.stringify(modelJSON));
    if (await exists(target)) {
      moved = `${target}.old-${process.pid}-${Date.now()}`;
      await fs.promises.rename(target, moved);
    }
    try {
      await fs.promises.rename(tmp, target);
    } catch (e) {
      if (moved) await fs.promises.rename(moved, target); // put the previous checkpoint back
      moved = null;
      throw e;
    }
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (moved) await fs.promises.rm(moved, { recursive: true, force: true });
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
 * replaces `dir` by rename; if a save fails midway, `dir` still holds the previous checkpoint. Loading
 * reports a missing directory, missing files or invalid JSON as a `CheckpointError`.
 *
 * @example
 * ```ts
 * await trainer.save(fileCheckpoint('runs/facades/latest'));
 * const resumed = await Trainer.load(fileCheckpoint('runs/facades/latest'));
 * ```
 * @param dir - the checkpoint directory (created, with its parents, on save).
 * @returns An IO handler with `save` and `load`.
 */
export function fileCheckpoint(dir: string): tf.io.IOHandler {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new RangeError(`dir must be a non-empty path (got ${JSON.stringify(dir)})`);
  }
  return {
    save: (artifacts) => saveDirectory(dir, artifacts),
    load: () => loadDirectory(dir),
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
