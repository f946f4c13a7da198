import type { ConfusionMatrix } from './confusion_matrix.js';

/**
 * The three numbers of the paper's FCN-score tables (Isola et al. 2017, Tables 1-3: "Per-pixel acc.",
 * "Per-class acc.", "Class IOU"), plus the per-class values they average.
 */
export interface SegmentationScores {
  /** Correct pixels / all counted pixels: `sum_c n_cc / sum_c t_c`. */
  pixelAccuracy: number;
  /** Mean over classes present in the truth of `n_cc / t_c`. */
  meanClassAccuracy: number;
  /** Mean over classes with a non-empty union of `n_cc / (t_c + p_c - n_cc)`. */
  meanIoU: number;
  /** `n_cc / t_c` per class; `NaN` for a class absent from the truth. */
  classAccuracy: number[];
  /** `n_cc / (t_c + p_c - n_cc)` per class; `NaN` for a class neither true nor predicted anywhere. */
  classIoU: number[];
}

/**
 * Scores a confusion matrix the way the FCN-score is computed (Long et al.'s FCN evaluation, which
 * the paper's scripts use): with `n_ij` pixels of true class i predicted as j, `t_i = sum_j n_ij`
 * and `p_j = sum_i n_ij`, pixel accuracy `sum n_ii / sum t_i`, class accuracy `n_ii / t_i`, IoU
 * `n_ii / (t_i + p_i - n_ii)`. Classes whose value is undefined (0 / 0) are `NaN` and left out of the
 * means (a "nan-mean"); an empty matrix scores `NaN` everywhere.
 *
 * @param cm A matrix from {@link confusionMatrix} (rows = truth, columns = prediction).
 */
export function segmentationScores(cm: ConfusionMatrix): SegmentationScores {
  const k = cm.numClasses;
  const n = (i: number, j: number) => cm.counts[i * k + j]!;
  let correct = 0;
  let total = 0;
  const classAccuracy: number[] = [];
  const classIoU: number[] = [];
  for (let c = 0; c < k; c++) {
    let t = 0;
    let p = 0;
    for (let j = 0; j < k; j++) {
      t += n(c, j);
      p += n(j, c);
    }
    const tp = n(c, c);
    correct += tp;
    total += t;
    classAccuracy.push(t > 0 ? tp / t : NaN);
    classIoU.push(t + p - tp > 0 ? tp / (t + p - tp) : NaN);
  }
  const nanMean = (v: number[]) => {
    const ok = v.filter((x) => !Number.isNaN(x));
    return ok.length > 0 ? ok.reduce((s, x) => s + x, 0) / ok.length : NaN;
  };
  return {
    pixelAccuracy: total > 0 ? correct / total : NaN,
    meanClassAccuracy: nanMean(classAccuracy),
    meanIoU: nanMean(classIoU),
    classAccuracy,
    classIoU,
  };
}
