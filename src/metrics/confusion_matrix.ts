import { check, checkInt, checkKeys } from '../util/validate.js';

/**
 * A `numClasses x numClasses` confusion matrix of pixel counts: `counts[t * numClasses + p]` is the
 * number of pixels whose true class is `t` and predicted class is `p` (rows = truth, columns =
 * prediction). Accumulate batches into one matrix with {@link addToConfusionMatrix}, then score it
 * with {@link segmentationScores}.
 */
export interface ConfusionMatrix {
  /** Number of classes (the side of the matrix). */
  readonly numClasses: number;
  /** Row-major pixel counts, length `numClasses^2`. */
  readonly counts: Float64Array;
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Number of classes; class ids are `0 .. numClasses - 1`. Required. */
  numClasses: number;
  /**
   * A true-label value to skip (e.g. 255 for "unlabelled", as in Cityscapes). Pixels whose truth
   * equals it are not counted. Default: none (every pixel counts).
   */
  ignoreLabel?: number;
}

/**
 * Builds a confusion matrix from true and predicted class ids of the same pixels.
 *
 * @param truth True class ids, one per pixel (any layout, e.g. a label map's bytes).
 * @param predicted Predicted class ids for the same pixels in the same order.
 * @param options `numClasses` (required) and an optional `ignoreLabel`.
 */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, options: ConfusionMatrixOptions): ConfusionMatrix {
  checkKeys(options, ['numClasses', 'ignoreLabel'], 'confusionMatrix');
  checkInt(options.numClasses, 'numClasses', 1);
  const cm: ConfusionMatrix = { numClasses: options.numClasses, counts: new Float64Array(options.numClasses ** 2) };
  addToConfusionMatrix(cm, truth, predicted, options.ignoreLabel);
  return cm;
}

/**
 * Adds the pixels of one more batch to `cm` in place (so a whole test set can be scored as one
 * matrix, which is how the paper's FCN-score pools pixels).
 *
 * @param cm The matrix to add to.
 * @param truth True class ids, one per pixel.
 * @param predicted Predicted class ids for the same pixels.
 * @param ignoreLabel True-label value to skip (default: none).
 */
export function addToConfusionMatrix(
  cm: ConfusionMatrix,
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  ignoreLabel?: number,
): void {
  check(truth.length === predicted.length, 'predicted', `as long as truth (${truth.length} pixels)`, predicted.length);
  const k = cm.numClasses;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    if (t === ignoreLabel) continue;
    const p = predicted[i]!;
    if (!(Number.isInteger(t) && t >= 0 && t < k)) check(false, `truth[${i}]`, `a class id in [0, ${k})`, t);
    if (!(Number.isInteger(p) && p >= 0 && p < k)) check(false, `predicted[${i}]`, `a class id in [0, ${k})`, p);
    cm.counts[t * k + p]! += 1;
  }
}
