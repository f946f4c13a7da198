import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check, checkInt, checkKeys } from '../util/validate.js';
import { addToConfusionMatrix, type ConfusionMatrix } from './confusion_matrix.js';
import { segmentationScores, type SegmentationScores } from './segmentation_scores.js';

/** Options of {@link segmentationScore}. */
export interface SegmentationScoreOptions {
  /** Photos segmented per forward pass (memory vs speed). Default 8. */
  batchSize?: number;
  /** A true-label value to leave out of the scores. Default: none. */
  ignoreLabel?: number;
}

/**
 * The package's FCN-score (Isola et al. 2017, section 4.2, Tables 1-3): segments `photos` (e.g.
 * generated from label maps) with a trained segmentation network and scores its labels against the
 * true label maps, pooling all pixels of all images into one confusion matrix. Report it for real
 * photos too: that is the ceiling ("ground truth" row of the paper's tables).
 *
 * @param model A segmentation network (e.g. {@link segmentationNetwork}, trained with
 *   {@link trainSegmentationNetwork}) from photos to `[n, h, w, numClasses]` logits.
 * @param photos NHWC `[n, h, w, c]` photos in [-1, 1].
 * @param labels True class ids `[n, h, w]` of the label maps the photos were made from.
 * @param options Batch size and an optional ignored label.
 * @returns Pixel accuracy, mean class accuracy, mean IoU (and the per-class values).
 */
export async function segmentationScore(
  model: tfl.LayersModel,
  photos: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: SegmentationScoreOptions = {},
): Promise<SegmentationScores> {
  checkKeys(options, ['batchSize', 'ignoreLabel'], 'segmentationScore');
  const batchSize = options.batchSize ?? 8;
  checkInt(batchSize, 'batchSize', 1);
  const [n, h, w] = photos.shape;
  check(
    labels.rank === 3 && labels.shape[0] === n && labels.shape[1] === h && labels.shape[2] === w,
    'labels',
    `of shape [${n}, ${h}, ${w}] to match the photos`,
    labels.shape,
  );
  const numClasses = (model.outputs[0]!.shape as number[])[3]!;
  const cm: ConfusionMatrix = { numClasses, counts: new Float64Array(numClasses * numClasses) };
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [pred, truth] = tf.tidy(() => {
      const x = tf.slice(photos, [start, 0, 0, 0], [size, -1, -1, -1]);
      return [tf.argMax(model.predict(x) as tf.Tensor4D, -1), tf.cast(tf.slice(labels, [start, 0, 0], [size, -1, -1]), 'int32')];
    });
    const [p, t] = await Promise.all([pred.data(), truth.data()]);
    tf.dispose([pred, truth]);
    addToConfusionMatrix(cm, t, p, options.ignoreLabel);
  }
  return segmentationScores(cm);
}
