// Schedules by steps, the plateau policy, custom schedule functions, epoch_count, and their state
// across checkpoints. Expected factors are computed by hand from the policies' definitions.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { Trainer, type StepStats } from '../../src/trainer/trainer.js';
import { CheckpointError } from '../../src/trainer/checkpoint.js';
import { INITIAL_SCHEDULE_STATE, resolveSchedule, scheduleFactor } from '../../src/trainer/schedules/index.js';
import { batch, memory, tinyDiscriminator, tinyGenerator, tinyObjective } from './helpers.js';

const make = (schedule?: ConstructorParameters<typeof Trainer>[0]['schedule']) =>
  new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 1, schedule });

/** A restartable iterable of n batches per pass. */
const data = (n: number) => ({
  async *[Symbol.asyncIterator]() {
    for (let i = 0; i < n; i++) yield batch(i);
  },
});

const at = (step: number, epoch = 0) => ({ step, epoch });

describe('schedules by steps', () => {
  test("'step' with unit 'step' decays every stepSize steps (the reference's lr_decay_iters), with or without a plan", () => {
    const s = resolveSchedule({ policy: 'step', unit: 'step', stepSize: 2, gamma: 0.5 });
    expect([0, 1, 2, 3, 4, 5].map((t) => scheduleFactor(s, at(t), null, INITIAL_SCHEDULE_STATE))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
  });

  test("'linear' with unit 'step' lays the plan out in steps and needs stepsPerEpoch", () => {
    const s = resolveSchedule({ policy: 'linear', unit: 'step' });
    const plan = { epochs: 1, epochsDecay: 1, stepsPerEpoch: 2 }; // 2 steps constant, 2 steps decay: 1 - max(0, t + 1 - 2) / 3
    const f = [0, 1, 2, 3].map((t) => scheduleFactor(s, at(t), plan, INITIAL_SCHEDULE_STATE));
    [1, 1, 2 / 3, 1 / 3].forEach((v, i) => expect(f[i]).toBeCloseTo(v, 12));
    expect(() => scheduleFactor(s, at(0), { epochs: 1, epochsDecay: 1 }, INITIAL_SCHEDULE_STATE)).toThrow(
      "schedule { policy: 'linear', unit: 'step' } needs fit's stepsPerEpoch to lay the run out in steps",
    );
  });

  test('fit changes the rate between steps within an epoch', async () => {
    const t = make({ policy: 'linear', unit: 'step' });
    const lrs: number[] = [];
    await t.fit(data(2), { epochs: 1, epochsDecay: 1, stepsPerEpoch: 2, onStep: (s) => void lrs.push(s.learningRate) });
    [1, 1, 2 / 3, 1 / 3].forEach((f, i) => expect(lrs[i]).toBeCloseTo(2e-4 * f, 15));
  });

  test('schedule options are strict', () => {
    expect(() => resolveSchedule({ policy: 'step', stepsize: 2 } as never)).toThrow("unknown option 'stepsize' of schedule (did you mean 'stepSize'?)");
    expect(() => resolveSchedule({ policy: 'plateau', plateau: { patiance: 2 } } as never)).toThrow(
      "unknown option 'patiance' of schedule.plateau (did you mean 'patience'?)",
    );
    expect(() => resolveSchedule({ policy: 'step', unit: 'iteration' } as never)).toThrow("schedule.unit must be one of 'epoch' | 'step' (got 'iteration')");
  });
});

describe("the 'plateau' policy (ReduceLROnPlateau: mode min, factor 0.2, threshold 0.01, patience 5)", () => {
  test('reduces after more than 5 reports without a 1% improvement, and its state survives save/load', async () => {
    const t = make('plateau');
    // 1.0 sets best; 0.995 is not below 1.0 * 0.99, so it is a bad report; the 6th bad one reduces.
    const lrs = [1.0, 0.995, 0.995, 0.995, 0.995, 0.995, 0.995].map((m) => t.reportMetric(m));
    expect(lrs.slice(0, 6)).toEqual(Array(6).fill(2e-4));
    expect(lrs[6]).toBeCloseTo(2e-4 * 0.2, 15);
    expect(t.reportMetric(0.98)).toBeCloseTo(4e-5, 15); // 0.98 < 0.99: improvement, best = 0.98
    for (let i = 0; i < 3; i++) t.reportMetric(0.975); // 0.975 is not below 0.98 * 0.99 = 0.9702: 3 bad reports
    const store = memory();
    await t.save(store.save);
    const back = await Trainer.load(store.load(), { loss: tinyObjective() });
    expect(back.currentLearningRate).toBeCloseTo(4e-5, 15);
    expect([back.reportMetric(0.975), back.reportMetric(0.975)].map((x) => x / 4e-5)).toEqual([1, 1].map((x) => expect.closeTo(x, 12)));
    expect(back.reportMetric(0.975)).toBeCloseTo(2e-4 * 0.04, 15); // the 6th bad report since 0.98
  });

  test("fit's metric option reports once per epoch", async () => {
    const t = make('plateau');
    const epochs: Array<[number, number]> = [];
    await t.fit(data(1), { epochs: 8, metric: () => 1, onEpoch: (e) => void epochs.push([e.epoch, e.learningRate]) });
    // report 1 (after epoch 0) sets best; reports 2..7 are bad; the 7th report (after epoch 6) reduces.
    expect(epochs.map(([, lr]) => lr / 2e-4)).toEqual([1, 1, 1, 1, 1, 1, 1, expect.closeTo(0.2, 12)]);
  });

  test('reportMetric needs the plateau policy', () => {
    expect(() => make('linear').reportMetric(1)).toThrow("the schedule policy must be 'plateau' to report a metric (got 'linear')");
  });
});

describe('custom schedule functions and epoch_count', () => {
  test('a function (step, epoch) => factor sets each step; load needs it passed again', async () => {
    const fn = (step: number) => 1 / (step + 1);
    const t = make(fn);
    const lrs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const b = batch(i);
      lrs.push((await t.trainStep(b)).learningRate);
      tf.dispose([b.input, b.target]);
    }
    expect(lrs).toEqual([2e-4, 2e-4 / 2, 2e-4 / 3]);
    const store = memory();
    await t.save(store.save);
    await expect(Trainer.load(store.load(), { loss: tinyObjective() })).rejects.toThrow(CheckpointError);
    await expect(Trainer.load(store.load(), { loss: tinyObjective() })).rejects.toThrow(
      'the checkpoint was trained with a schedule function, which checkpoints cannot hold: pass it again as options.schedule',
    );
    const back = await Trainer.load(store.load(), { loss: tinyObjective(), schedule: fn });
    expect(back.currentLearningRate).toBe(2e-4 / 4);
    expect(() => make(() => NaN).currentLearningRate).toThrow("the custom schedule's factor at step 0, epoch 0 must be a finite number >= 0 (got NaN)");
  });

  test("epochCount (the reference's epoch_count) starts a fresh Trainer's epoch counter", async () => {
    const t = make('linear');
    const steps: StepStats[] = [];
    await t.fit(data(1), { epochs: 2, epochsDecay: 2, epochCount: 3, onStep: (s) => void steps.push(s) });
    // epochs 2 and 3 of a 2 + 2 run: 1 - (2 + 1 - 2) / 3 = 2/3, then 1/3
    expect(steps.map((s) => s.epoch)).toEqual([2, 3]);
    [2 / 3, 1 / 3].forEach((f, i) => expect(steps[i]!.learningRate).toBeCloseTo(2e-4 * f, 15));
  });
});
