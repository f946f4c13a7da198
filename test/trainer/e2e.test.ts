import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { Rng } from '../../src/util/random.js';

const SIZE = 32;

/** One random-shapes image in [-1, 1]: a flat background with a rectangle and a disc of other colours. */
function shapes(rng: Rng): Float32Array {
  const img = new Float32Array(SIZE * SIZE * 3);
  const colour = () => [rng.next() * 2 - 1, rng.next() * 2 - 1, rng.next() * 2 - 1];
  const bg = colour();
  const rect = colour();
  const disc = colour();
  const [rx, ry, rw, rh] = [rng.int(SIZE / 2), rng.int(SIZE / 2), 4 + rng.int(SIZE / 2), 4 + rng.int(SIZE / 2)];
  const [cx, cy, r] = [rng.int(SIZE), rng.int(SIZE), 3 + rng.int(SIZE / 4)];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let c = bg;
      if (x >= rx && x < rx + rw && y >= ry && y < ry + rh) c = rect;
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) c = disc;
      img.set(c, (y * SIZE + x) * 3);
    }
  }
  return img;
}

test('end to end: a tiny U-Net learns to invert the colours of random shapes with L1 (loss falls well below its start)', async () => {
  const rng = new Rng(12345);
  const examples = Array.from({ length: 24 }, () => shapes(rng));
  const batchSize = 1;
  // A restartable source: each epoch walks the examples in a fixed order, fresh tensors per batch.
  const data = {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < examples.length; i += batchSize) {
        const buf = new Float32Array(batchSize * SIZE * SIZE * 3);
        examples.slice(i, i + batchSize).forEach((e, k) => buf.set(e, k * e.length));
        const input = tf.tensor4d(buf, [batchSize, SIZE, SIZE, 3]);
        yield { input, target: tf.neg(input) as tf.Tensor4D };
      }
    },
  };
  const trainer = new Trainer({
    generator: unetGenerator({ imageSize: SIZE, filters: 4, seed: 3 }),
    loss: compositeLoss({ gan: 'none', reconstruction: 'l1' }),
    learningRate: 2e-3,
    schedule: 'constant',
    seed: 1,
  });
  const losses: number[] = [];
  const started = Date.now();
  await trainer.fit(data, { epochs: 8, onStep: (s) => void losses.push(s.generator.reconstruction!) });
  const seconds = (Date.now() - started) / 1000;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const start = mean(losses.slice(0, 16));
  const end = mean(losses.slice(-16));
  console.log(`e2e: ${losses.length} steps in ${seconds.toFixed(1)} s, L1 ${start.toFixed(3)} -> ${end.toFixed(3)}`);
  expect(losses).toHaveLength(192);
  expect(end).toBeLessThan(0.5 * start);
  // and the trained generator does the task on a new image (inference mode)
  const probe = tf.tensor4d(shapes(new Rng(999)), [1, SIZE, SIZE, 3]);
  const paper = trainer.generate(probe, { mode: 'paper' });
  const inference = trainer.generate(probe);
  const err = (out: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.add(out, probe))).dataSync()[0]!);
  console.log(`e2e: held-out L1 paper ${err(paper).toFixed(3)}, inference ${err(inference).toFixed(3)}`);
  expect(err(paper)).toBeLessThan(0.6 * start);
  expect(err(inference)).toBeLessThan(0.6 * start);
  tf.dispose([probe, paper, inference]);
});
