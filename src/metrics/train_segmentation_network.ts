import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed, Rng } from '../util/random.js';
import { check, checkInt, checkRange, checkKeys } from '../util/validate.js';

/** Labelled photos to train a segmentation network on. */
export interface SegmentationData {
  /** Photos, NHWC `[n, h, w, c]` in [-1, 1]. */
  photos: tf.Tensor4D;
  /** True class ids `[n, h, w]` (int32, or float holding integers). */
  labels: tf.Tensor3D;
}

/** Options of {@link trainSegmentationNetwork}. */
export interface TrainSegmentationOptions {
  /** Number of Adam steps. Default 300. */
  steps?: number;
  /** Photos per step, drawn at random from the data (with random horizontal flips). Default 8. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  learningRate?: number;
  /** Seed (integer >= 0) of the batch order and flips. Default 0. */
  seed?: number;
  /** Called after each step with the step index (0-based) and its cross-entropy; may be async. */
  onStep?: (step: number, loss: number) => void | Promise<void>;
}

/** What {@link trainSegmentationNetwork} reports. */
export interface TrainSegmentationResult {
  /** Mean softmax cross-entropy of each step, in order. */
  losses: number[];
}

/**
 * Trains a segmentation network (e.g. {@link segmentationNetwork}) in place to map photos to class ids,
 * minimising the per-pixel softmax cross-entropy of its logits with Adam. Runs on the current tfjs
 * backend and disposes every tensor it creates (the data stay owned by the caller).
 *
 * @param model A model from photos `[n, h, w, c]` to logits `[n, h, w, numClasses]`.
 * @param data Labelled photos.
 * @param options Steps, batch size, learning rate, seed.
 */
export async function trainSegmentationNetwork(
  model: tfl.LayersModel,
  data: SegmentationData,
  options: TrainSegmentationOptions = {},
): Promise<TrainSegmentationResult> {
  checkKeys(options, ['steps', 'batchSize', 'learningRate', 'seed', 'onStep'], 'trainSegmentationNetwork');
  const steps = options.steps ?? 300;
  const batchSize = options.batchSize ?? 8;
  const learningRate = options.learningRate ?? 1e-3;
  const seed = options.seed ?? 0;
  checkInt(steps, 'steps', 0);
  checkInt(batchSize, 'batchSize', 1);
  checkRange(learningRate, 'learningRate', 0, 1);
  checkInt(seed, 'seed', 0);
  const [n, h, w] = data.photos.shape;
  check(
    data.labels.rank === 3 && data.labels.shape[0] === n && data.labels.shape[1] === h && data.labels.shape[2] === w,
    'labels',
    `of shape [${n}, ${h}, ${w}] to match the photos`,
    data.labels.shape,
  );
  const numClasses = (model.outputs[0]!.shape as number[])[3]!;
  const rng = new Rng(deriveSeed(seed, 'segmentation-training'));
  const optimizer = tf.train.adam(learningRate);
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const labels = tf.cast(data.labels, 'int32');
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const idx = Array.from({ length: batchSize }, () => rng.int(n));
      const flip = rng.next() < 0.5;
      const cost = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const ii = tf.tensor1d(idx, 'int32');
            let x = tf.gather(data.photos, ii);
            let y = tf.gather(labels, ii) as tf.Tensor3D;
            if (flip) {
              x = tf.reverse(x, 2);
              y = tf.reverse(y, 2);
            }
            const logits = model.apply(x, { training: true }) as tf.Tensor4D;
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits) as tf.Scalar;
          }),
        true,
        vars,
      );
      const value = (await cost!.data())[0]!;
      cost!.dispose();
      losses.push(value);
      if (options.onStep) await options.onStep(step, value);
    }
  } finally {
    labels.dispose();
    optimizer.dispose();
  }
  return { losses };
}
