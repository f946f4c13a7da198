import { describe, expect, it } from 'vitest';
import { addToConfusionMatrix, confusionMatrix } from '../../src/metrics/confusion_matrix.js';
import { segmentationScores } from '../../src/metrics/segmentation_scores.js';

describe('confusion matrix and FCN-score style segmentation scores (hand-computed)', () => {
  // 10 pixels, 3 classes (class 2 never true, predicted once).
  //   truth: 0 0 0 0 1 1 1 1 1 1
  //   pred : 0 0 1 2 1 1 1 0 1 1
  const truth = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
  const pred = [0, 0, 1, 2, 1, 1, 1, 0, 1, 1];

  it('counts rows = truth, columns = prediction', () => {
    const cm = confusionMatrix(truth, pred, { numClasses: 3 });
    // row 0: [2, 1, 1]; row 1: [1, 5, 0]; row 2: [0, 0, 0]
    expect(Array.from(cm.counts)).toEqual([2, 1, 1, 1, 5, 0, 0, 0, 0]);
  });

  it('scores: pixel 7/10, class (2/4 + 5/6)/2, IoU (2/5 + 5/7 + 0/1)/3', () => {
    const s = segmentationScores(confusionMatrix(truth, pred, { numClasses: 3 }));
    expect(s.pixelAccuracy).toBeCloseTo(0.7, 12);
    // class 0: t=4, tp=2 -> 0.5; class 1: t=6, tp=5 -> 5/6; class 2 absent from truth -> NaN (excluded)
    expect(s.classAccuracy[0]).toBeCloseTo(0.5, 12);
    expect(s.classAccuracy[1]).toBeCloseTo(5 / 6, 12);
    expect(s.classAccuracy[2]).toBeNaN();
    expect(s.meanClassAccuracy).toBeCloseTo((0.5 + 5 / 6) / 2, 12);
    // IoU class 0: tp 2, t 4, p 3 -> 2/5; class 1: tp 5, t 6, p 6 -> 5/7; class 2: tp 0, t 0, p 1 -> 0
    expect(s.classIoU).toEqual([2 / 5, 5 / 7, 0].map((v) => expect.closeTo(v, 12)));
    expect(s.meanIoU).toBeCloseTo((2 / 5 + 5 / 7 + 0) / 3, 12);
  });

  it('accumulates batches and honours ignoreLabel', () => {
    const cm = confusionMatrix([0, 1], [0, 0], { numClasses: 2 });
    addToConfusionMatrix(cm, [1, 255, 1], [1, 0, 1], 255);
    expect(Array.from(cm.counts)).toEqual([1, 0, 1, 2]);
    const s = segmentationScores(cm);
    expect(s.pixelAccuracy).toBeCloseTo(3 / 4, 12);
    expect(s.meanIoU).toBeCloseTo((1 / 2 + 2 / 3) / 2, 12);
  });

  it('a perfect prediction scores 1 everywhere; an empty matrix NaN', () => {
    const s = segmentationScores(confusionMatrix([0, 1, 2, 2], [0, 1, 2, 2], { numClasses: 4 }));
    expect([s.pixelAccuracy, s.meanClassAccuracy, s.meanIoU]).toEqual([1, 1, 1]);
    expect(s.classIoU[3]).toBeNaN();
    expect(segmentationScores(confusionMatrix([], [], { numClasses: 2 })).pixelAccuracy).toBeNaN();
  });

  it('rejects out-of-range ids and length mismatches, quoting the value', () => {
    expect(() => confusionMatrix([0, 3], [0, 0], { numClasses: 3 })).toThrow(/truth\[1\] must be a class id in \[0, 3\) \(got 3\)/);
    expect(() => confusionMatrix([0], [0, 1], { numClasses: 3 })).toThrow(/as long as truth.*got 2/);
    expect(() => confusionMatrix([0], [0], { numClasses: 0 })).toThrow(/numClasses must be an integer >= 1 \(got 0\)/);
  });
});
