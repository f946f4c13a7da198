import { describe, expect, test } from 'vitest';
import { learningRateFactor, resolveSchedule } from '../../src/trainer/schedules/index.js';

const plan = { epochs: 100, epochsDecay: 100 };
const f = (policy: 'linear' | 'step' | 'cosine' | 'constant', epoch: number, p = plan) =>
  learningRateFactor(resolveSchedule(policy), epoch, p);

describe('learning-rate schedules', () => {
  test("'linear' matches the reference's lambda_rule: 1 - max(0, e + 1 - 100) / 101", () => {
    expect(f('linear', 0)).toBe(1);
    expect(f('linear', 99)).toBe(1); // last constant epoch
    expect(f('linear', 100)).toBeCloseTo(1 - 1 / 101, 12);
    expect(f('linear', 150)).toBeCloseTo(1 - 51 / 101, 12);
    expect(f('linear', 199)).toBeCloseTo(1 / 101, 12); // last epoch still trains
    expect(f('linear', 250)).toBe(0); // never negative
    // a small plan by hand: epochs 2, decay 3 -> 1, 1, 3/4, 2/4, 1/4
    const small = { epochs: 2, epochsDecay: 3 };
    expect([0, 1, 2, 3, 4].map((e) => f('linear', e, small))).toEqual([1, 1, 0.75, 0.5, 0.25]);
  });

  test("'step' multiplies by gamma every stepSize epochs", () => {
    const s = resolveSchedule({ policy: 'step', stepSize: 3, gamma: 0.5 });
    expect([0, 2, 3, 5, 6, 9].map((e) => learningRateFactor(s, e, plan))).toEqual([1, 1, 0.5, 0.5, 0.25, 0.125]);
    expect(f('step', 49)).toBe(1);
    expect(f('step', 50)).toBeCloseTo(0.1, 12); // reference defaults: lr_decay_iters 50, gamma 0.1
    expect(f('step', 100)).toBeCloseTo(0.01, 12);
  });

  test("'cosine' anneals to zero over epochs + epochsDecay", () => {
    expect(f('cosine', 0)).toBe(1);
    expect(f('cosine', 100)).toBeCloseTo(0.5, 12); // halfway through 200 epochs
    expect(f('cosine', 50)).toBeCloseTo(0.5 * (1 + Math.SQRT1_2), 12);
    expect(f('cosine', 200)).toBe(0);
  });

  test("'constant' and no plan give factor 1", () => {
    expect(f('constant', 0)).toBe(1);
    expect(f('constant', 1000)).toBe(1);
    expect(learningRateFactor(resolveSchedule('linear'), 500, null)).toBe(1);
  });

  test('invalid schedules are rejected with the received value', () => {
    expect(() => resolveSchedule('exponential' as never)).toThrow("schedule.policy must be one of 'linear' | 'step' | 'cosine' | 'constant' | 'plateau' (got 'exponential')");
    expect(() => resolveSchedule({ policy: 'step', stepSize: 0 })).toThrow('schedule.stepSize must be an integer >= 1 (got 0)');
    expect(resolveSchedule(undefined)).toEqual({ policy: 'linear', stepSize: 50, gamma: 0.1 });
  });
});
