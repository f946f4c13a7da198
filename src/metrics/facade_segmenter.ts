import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { FACADE_CLASSES } from '../data/facades/palette.js';
import { facadeSample } from '../data/facades/sample.js';
import { checkInt, checkKeys } from '../util/validate.js';
import { segmentationNetwork } from './segmentation_network.js';
import { trainSegmentationNetwork, type SegmentationData } from './train_segmentation_network.js';

/** Which facades to take from the bundled procedural data set (see `facadeSample`). */
export interface FacadeSplitOptions {
  /** Image side in pixels (square). Default 64. */
  size?: number;
  /** Data set seed. Default 0. */
  seed?: number;
  /** Index of the first sample. Default 0. */
  offset?: number;
  /** Number of samples. Default 400. */
  count?: number;
}

/** Labelled facades as tensors: {@link SegmentationData} plus the coloured label maps (the pix2pix inputs). */
export interface FacadeTensors extends SegmentationData {
  /** Coloured label maps `[n, size, size, 3]` in [-1, 1] (A, the input of labels -> photo). */
  labelMaps: tf.Tensor4D;
}

const FACADE_SPLIT_KEYS = ['size', 'seed', 'offset', 'count'];
/** Every key of {@link FacadeSegmenterOptions}. @internal */
export const FACADE_SEGMENTER_KEYS: readonly string[] = [...FACADE_SPLIT_KEYS, 'filters', 'levels', 'steps', 'batchSize', 'learningRate', 'trainingSeed', 'onStep'];

/**
 * Samples `offset .. offset + count - 1` of the procedural facades data set as tensors: photos and
 * coloured label maps in [-1, 1] and class-id maps (int32). No jitter; the caller disposes the tensors.
 */
export function facadeTensors(options: FacadeSplitOptions = {}): FacadeTensors {
  checkKeys(options, FACADE_SPLIT_KEYS, 'facadeTensors');
  const size = options.size ?? 64;
  const seed = options.seed ?? 0;
  const offset = options.offset ?? 0;
  const count = options.count ?? 400;
  checkInt(count, 'count', 1);
  checkInt(offset, 'offset', 0);
  const px = size * size;
  const photos = new Float32Array(count * px * 3);
  const maps = new Float32Array(count * px * 3);
  const labels = new Int32Array(count * px);
  for (let i = 0; i < count; i++) {
    const s = facadeSample(offset + i, { size, seed });
    for (let j = 0; j < px * 3; j++) {
      photos[i * px * 3 + j] = s.photo[j]! / 127.5 - 1;
      maps[i * px * 3 + j] = s.labelRgb[j]! / 127.5 - 1;
    }
    labels.set(s.label, i * px);
  }
  return {
    photos: tf.tensor4d(photos, [count, size, size, 3]),
    labelMaps: tf.tensor4d(maps, [count, size, size, 3]),
    labels: tf.tensor3d(labels, [count, size, size], 'int32'),
  };
}

/** Options of {@link trainFacadeSegmenter}: the training split, the network and its training. */
export interface FacadeSegmenterOptions extends FacadeSplitOptions {
  /** Network width (see {@link segmentationNetwork}). Default 16. */
  filters?: number;
  /** Network depth (stride-2 levels). Default 3. */
  levels?: number;
  /** Adam steps. Default 1500. */
  steps?: number;
  /** Photos per step. Default 8. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /** Seed of the weights and of the batch order. Default 0. */
  trainingSeed?: number;
  /** Progress callback, called after every step. */
  onStep?: (step: number, loss: number) => void | Promise<void>;
}

/**
 * The scorer for the facades task: a {@link segmentationNetwork} with one output per class of
 * `FACADE_CLASSES`, trained on the real photos -> class ids of a facades split (by default samples
 * 0..399 at 64x64, the pix2pix training split). Score generated photos of a held-out split with
 * {@link segmentationScore}. In Node, `cachedFacadeSegmenter` from `@acme/pix2pix/node` trains it
 * once and reuses it from disk.
 */
export async function trainFacadeSegmenter(options: FacadeSegmenterOptions = {}): Promise<tfl.LayersModel> {
  checkKeys(options, FACADE_SEGMENTER_KEYS, 'trainFacadeSegmenter');
  const size = options.size ?? 64;
  const model = segmentationNetwork({
    imageSize: size,
    numClasses: FACADE_CLASSES.length,
    filters: options.filters ?? 16,
    levels: options.levels ?? 3,
    seed: options.trainingSeed ?? 0,
    name: 'facade_segmenter',
  });
  const data = facadeTensors({ size, seed: options.seed, offset: options.offset, count: options.count });
  try {
    await trainSegmentationNetwork(model, data, {
      steps: options.steps ?? 1500,
      batchSize: options.batchSize ?? 8,
      learningRate: options.learningRate ?? 1e-3,
      seed: options.trainingSeed ?? 0,
      onStep: options.onStep,
    });
  } finally {
    tf.dispose([data.photos, data.labels, data.labelMaps]);
  }
  return model;
}

/** The options of {@link trainFacadeSegmenter} with defaults filled in, as a cache key. @internal */
export function facadeSegmenterKey(options: FacadeSegmenterOptions): Record<string, number | string> {
  return {
    kind: 'facade_segmenter/v1',
    size: options.size ?? 64,
    seed: options.seed ?? 0,
    offset: options.offset ?? 0,
    count: options.count ?? 400,
    filters: options.filters ?? 16,
    levels: options.levels ?? 3,
    steps: options.steps ?? 1500,
    batchSize: options.batchSize ?? 8,
    learningRate: options.learningRate ?? 1e-3,
    trainingSeed: options.trainingSeed ?? 0,
  };
}
