import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { predictLabels, segmentationNetwork } from '../../src/metrics/segmentation_network.js';
import { segmentationScore } from '../../src/metrics/segmentation_score.js';
import { trainSegmentationNetwork } from '../../src/metrics/train_segmentation_network.js';
import { Rng } from '../../src/util/random.js';

// A toy segmentation task whose answer is the colour: class 0 grey background, class 1 a red
// rectangle, class 2 a green rectangle (painted over class 1), plus a little noise.
const COLOURS = [
  [0, 0, 0],
  [0.9, -0.8, -0.8],
  [-0.8, 0.9, -0.8],
];
function toyData(n: number, size: number, seed: number) {
  const rng = new Rng(seed);
  const photos = new Float32Array(n * size * size * 3);
  const labels = new Int32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    for (const cls of [1, 2]) {
      const x0 = rng.int(size - 4);
      const y0 = rng.int(size - 4);
      const x1 = x0 + 3 + rng.int(size - x0 - 3);
      const y1 = y0 + 3 + rng.int(size - y0 - 3);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) labels[(i * size + y) * size + x] = cls;
    }
    for (let p = 0; p < size * size; p++) {
      const c = COLOURS[labels[i * size * size + p]!]!;
      for (let ch = 0; ch < 3; ch++) photos[(i * size * size + p) * 3 + ch] = c[ch]! + 0.1 * (rng.next() - 0.5);
    }
  }
  return { photos: tf.tensor4d(photos, [n, size, size, 3]), labels: tf.tensor3d(labels, [n, size, size], 'int32') };
}

describe('segmentation network and segmentation score', () => {
  it('maps [n, s, s, c] photos to [n, s, s, numClasses] logits and validates its options', () => {
    const m = segmentationNetwork({ imageSize: 16, numClasses: 5, filters: 4, levels: 2 });
    expect(m.outputs[0]!.shape).toEqual([null, 16, 16, 5]);
    const x = tf.zeros([2, 16, 16, 3]) as tf.Tensor4D;
    const labels = predictLabels(m, x);
    expect(labels.shape).toEqual([2, 16, 16]);
    expect(labels.dtype).toBe('int32');
    tf.dispose([x, labels]);
    expect(() => segmentationNetwork({ imageSize: 20, numClasses: 5, levels: 3 })).toThrow(/divisible by 2\^levels = 8 \(got 20\)/);
    expect(() => segmentationNetwork({ imageSize: 16, numClasses: 1 })).toThrow(/numClasses must be an integer >= 2 \(got 1\)/);
    m.dispose();
  });

  it('the same seed gives the same weights', () => {
    const a = segmentationNetwork({ imageSize: 8, numClasses: 3, filters: 2, levels: 1, seed: 7 });
    const b = segmentationNetwork({ imageSize: 8, numClasses: 3, filters: 2, levels: 1, seed: 7 });
    const c = segmentationNetwork({ imageSize: 8, numClasses: 3, filters: 2, levels: 1, seed: 8 });
    const w = (m: typeof a) => m.getWeights().map((t) => Array.from(t.dataSync()));
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('learns a colour-coded toy task; real photos score high, noise photos low; no tensor leaks', async () => {
    const train = toyData(24, 16, 1);
    const test = toyData(8, 16, 2);
    const m = segmentationNetwork({ imageSize: 16, numClasses: 3, filters: 4, levels: 1, seed: 3 });
    const before = tf.memory().numTensors;
    const { losses } = await trainSegmentationNetwork(m, train, { steps: 40, batchSize: 4, learningRate: 3e-2, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(losses).toHaveLength(40);
    expect(losses.slice(-5).reduce((s, v) => s + v, 0) / 5).toBeLessThan(losses[0]! / 4);

    const real = await segmentationScore(m, test.photos, test.labels, { batchSize: 3 });
    expect(real.pixelAccuracy).toBeGreaterThan(0.9);
    expect(real.meanIoU).toBeGreaterThan(0.75);
    const noise = tf.randomUniform([8, 16, 16, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const fake = await segmentationScore(m, noise, test.labels);
    expect(fake.meanIoU).toBeLessThan(real.meanIoU - 0.3);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([noise, train.photos, train.labels, test.photos, test.labels]);
    m.dispose();
  });
});
