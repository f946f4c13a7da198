import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { Trainer, type EpochStats, type StepStats } from '../../src/trainer/trainer.js';
import { batch, tinyDiscriminator, tinyGenerator, tinyObjective } from './helpers.js';

const trainer = (schedule?: 'linear' | 'constant') =>
  new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 1, schedule });

/** A restartable async iterable of `n` fresh batches per pass; remembers every tensor it handed out. */
function source(n: number) {
  const handed: tf.Tensor[] = [];
  let pulls = 0;
  const data = {
    async *[Symbol.asyncIterator]() {
      for (let i = 0; i < n; i++) {
        pulls++;
        const b = batch(i);
        handed.push(b.input, b.target);
        yield b;
      }
    },
  };
  return { data, handed, pulls: () => pulls };
}

describe('Trainer.fit', () => {
  test('runs epochs + epochsDecay passes with the linear schedule per epoch and reports steps and epochs', async () => {
    const t = trainer();
    const { data, handed } = source(3);
    const steps: StepStats[] = [];
    const epochs: EpochStats[] = [];
    const result = await t.fit(data, {
      epochs: 2,
      epochsDecay: 1,
      onStep: (s) => void steps.push(s),
      onEpoch: (e) => {
        expect(t.epoch).toBe(e.epoch + 1); // counters advanced before the callback
        epochs.push(e);
      },
    });
    expect(result).toEqual({ aborted: false, step: 9, epoch: 3 });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(steps.map((s) => s.epoch)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    // linear, epochs 2 + decay 1: factors 1, 1, 1 - 1/2
    expect(steps.map((s) => s.learningRate)).toEqual([...Array(6).fill(2e-4), ...Array(3).fill(1e-4)]);
    expect(epochs.map((e) => [e.epoch, e.steps, e.learningRate])).toEqual([[0, 3, 2e-4], [1, 3, 2e-4], [2, 3, 1e-4]]);
    const mean = (steps[0]!.gLoss + steps[1]!.gLoss + steps[2]!.gLoss) / 3;
    expect(epochs[0]!.generator.total).toBeCloseTo(mean, 5);
    expect(handed).toHaveLength(18);
    expect(handed.every((x) => x.isDisposed)).toBe(true); // fit owns and disposes what it pulls
    // already at the end: a second fit with the same plan does nothing
    expect(await t.fit(data, { epochs: 2, epochsDecay: 1 })).toEqual({ aborted: false, step: 9, epoch: 3 });
  });

  test('an AbortSignal stops between steps: no further batch is pulled and the result says aborted', async () => {
    const t = trainer();
    const { data, handed, pulls } = source(5);
    const ac = new AbortController();
    const result = await t.fit(data, {
      epochs: 3,
      signal: ac.signal,
      onStep: (s) => {
        if (s.step === 7) ac.abort();
      },
    });
    expect(result).toEqual({ aborted: true, step: 7, epoch: 1 });
    expect(t.stepInEpoch).toBe(2);
    expect(pulls()).toBe(7);
    expect(handed.every((x) => x.isDisposed)).toBe(true);
    // an already aborted signal trains nothing
    expect((await t.fit(data, { epochs: 3, signal: ac.signal })).step).toBe(7);
  });

  test('accepts a tf.data.Dataset-like object and sync iterables; stepsPerEpoch re-opens the data', async () => {
    const t = trainer('constant');
    let opened = 0;
    const datasetLike = {
      async iterator() {
        opened++;
        let i = 0;
        return { next: async () => (i < 3 ? { done: false as const, value: batch(i++) } : { done: true as const, value: undefined }) };
      },
    };
    const epochs: number[] = [];
    await t.fit(datasetLike, { epochs: 2, stepsPerEpoch: 4, onEpoch: (e) => void epochs.push(e.steps) });
    expect(epochs).toEqual([4, 4]);
    expect(t.step).toBe(8);
    expect(opened).toBe(3); // 3 + 3 + 2 batches over 8 steps
    const t2 = trainer('constant');
    const arr = [batch(0), batch(1)];
    await t2.fit(arr, { epochs: 1 });
    expect(t2.step).toBe(2);
    expect(arr[0]!.input.isDisposed).toBe(true);
  });

  test('reads epoch n of an epoch source for epoch n', async () => {
    const t = trainer();
    const asked: number[] = [];
    const epochSource = {
      async *epoch(n: number) {
        asked.push(n);
        yield batch(n);
      },
    };
    await t.fit(epochSource, { epochs: 3 });
    expect(asked).toEqual([0, 1, 2]);
  });

  test('a one-shot generator fails clearly in its second epoch instead of training on nothing', async () => {
    const t = trainer();
    async function* once() {
      yield batch(0);
    }
    await expect(t.fit(once(), { epochs: 2 })).rejects.toThrow('the training data yielded no batches in epoch 1');
    expect(t.step).toBe(1);
  });

  test('validates its options', async () => {
    const t = trainer();
    await expect(t.fit([], { epochs: -1 })).rejects.toThrow('epochs must be an integer >= 0 (got -1)');
    await expect(t.fit([], { epochs: 1, stepsPerEpoch: 0 })).rejects.toThrow('stepsPerEpoch must be an integer >= 1 (got 0)');
    await expect(t.fit({} as never, { epochs: 1 })).rejects.toThrow('training data must be an async or sync iterable');
  });
});
