/**
 * Node-only: a trained model cached on disk under a key (exported from `@acme/pix2pix/node`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createHash } from 'node:crypto';
import { WriteError, writeFolderSafe } from '../node/fs/index.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkKeys } from '../util/validate.js';
import { FACADE_SEGMENTER_KEYS, facadeSegmenterKey, trainFacadeSegmenter, type FacadeSegmenterOptions } from './facade_segmenter.js';

/** Options of {@link cachedModel}. */
export interface CachedModelOptions {
  /** Directory holding the cache entries (created if missing). Required. */
  cacheDir: string;
  /**
   * Everything the model depends on (data set parameters, network and training options). Its JSON,
   * with keys sorted, is hashed into the entry's folder name; change any value and a new model is built.
   */
  key: Record<string, string | number | boolean>;
  /** Builds (trains) the model on a cache miss. */
  build: () => Promise<tfl.LayersModel>;
}

/** What {@link cachedModel} returns. */
export interface CachedModel {
  /** The model, loaded from disk or freshly built. */
  model: tfl.LayersModel;
  /** True when it came from the cache. */
  cached: boolean;
  /** The entry's folder (`model.json`, `weights.bin`, `key.json`). */
  path: string;
}

function keyHash(key: Record<string, string | number | boolean>): string {
  const sorted = Object.fromEntries(Object.keys(key).sort().map((k) => [k, key[k]]));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

/**
 * Returns the model cached under `key` in `cacheDir`, or builds it with `build()` and stores it there
 * (topology + weights, written to a temporary folder and renamed into place, so an interrupted run
 * never leaves a half-written entry). Used for the segmentation score's network, so that studies and
 * repeated runs train it once.
 */
export async function cachedModel(options: CachedModelOptions): Promise<CachedModel> {
  checkKeys(options, ['cacheDir', 'key', 'build'], 'cachedModel');
  const path = join(options.cacheDir, `model-${keyHash(options.key)}`);
  try {
    const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8')) as {
      modelTopology: tf.io.ModelArtifacts['modelTopology'];
      weightSpecs: tf.io.WeightsManifestEntry[];
    };
    const weights = await readFile(join(path, 'weights.bin'));
    const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightSpecs, weightData }));
    return { model, cached: true, path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const model = await options.build();
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      // The one write path: a temp folder renamed into place; an entry another process stored first is
      // kept (refused as not replaceable, which is fine: it holds the same model).
      await writeFolderSafe(
        path,
        async (w) => {
          await w.put('weights.bin', Buffer.concat(buffers.map((b) => Buffer.from(b))));
          await w.put('model.json', JSON.stringify({ modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs }));
          await w.put('key.json', JSON.stringify(options.key, null, 2));
        },
        { kind: 'cached-model', replaceable: async () => false },
      ).catch((e: unknown) => {
        if (!(e instanceof WriteError && e.code === 'EREFUSED')) throw e;
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { model, cached: false, path };
}

/** Options of {@link cachedFacadeSegmenter}. */
export interface CachedFacadeSegmenterOptions extends FacadeSegmenterOptions {
  /** Directory of the cache. Required. */
  cacheDir: string;
}

/**
 * The facades segmentation scorer (`trainFacadeSegmenter`), trained once per set of data and training
 * parameters and then loaded from `cacheDir`. Pass the same options to score with the same network.
 */
export async function cachedFacadeSegmenter(options: CachedFacadeSegmenterOptions): Promise<CachedModel> {
  checkKeys(options, ['cacheDir', ...FACADE_SEGMENTER_KEYS], 'cachedFacadeSegmenter');
  const { cacheDir, ...rest } = options;
  return cachedModel({ cacheDir, key: facadeSegmenterKey(rest), build: () => trainFacadeSegmenter(rest) });
}
