import { assertNever, check, checkInt, checkOneOf, checkRange } from '../../util/validate.js';
import { constantSchedule } from './constant.js';
import { cosineSchedule } from './cosine.js';
import { linearSchedule } from './linear.js';
import { stepSchedule } from './step.js';
import type { ScheduleFn, SchedulePlan, StepScheduleOptions } from './types.js';

/** Names of the learning-rate policies. */
export type SchedulePolicy = 'linear' | 'step' | 'cosine' | 'constant';

/** All policy names, in documentation order. */
export const SCHEDULE_POLICIES: readonly SchedulePolicy[] = ['linear', 'step', 'cosine', 'constant'];

/**
 * A learning-rate schedule: a policy name, or a policy with its options. The factor a policy returns
 * multiplies the Trainer's `learningRate` during each epoch (both optimizers).
 */
export interface ScheduleOptions extends StepScheduleOptions {
  /**
   * - `'linear'` (default): constant for `epochs`, then linear to zero over `epochsDecay` (the reference).
   * - `'step'`: multiply by `gamma` (0.1) every `stepSize` (50) epochs.
   * - `'cosine'`: cosine annealing to zero over `epochs + epochsDecay`.
   * - `'constant'`: never changes.
   */
  policy: SchedulePolicy;
}

/** The fully resolved form of a schedule, as stored in checkpoints. */
export interface ResolvedSchedule {
  /** The policy. */
  readonly policy: SchedulePolicy;
  /** Epochs between decays (`'step'` only; 50 otherwise unused). */
  readonly stepSize: number;
  /** Decay factor (`'step'` only; 0.1 otherwise unused). */
  readonly gamma: number;
}

/** Validates a schedule option and fills in defaults. */
export function resolveSchedule(schedule: SchedulePolicy | ScheduleOptions | undefined): ResolvedSchedule {
  const o: ScheduleOptions = typeof schedule === 'string' ? { policy: schedule } : (schedule ?? { policy: 'linear' });
  checkOneOf(o.policy, 'schedule.policy', SCHEDULE_POLICIES);
  const stepSize = o.stepSize ?? 50;
  const gamma = o.gamma ?? 0.1;
  checkInt(stepSize, 'schedule.stepSize', 1);
  checkRange(gamma, 'schedule.gamma', 0, 1);
  return { policy: o.policy, stepSize, gamma };
}

/** The one lookup from policy name to its factor function. */
function scheduleFn(s: ResolvedSchedule): ScheduleFn {
  switch (s.policy) {
    case 'linear':
      return linearSchedule;
    case 'step':
      return stepSchedule({ stepSize: s.stepSize, gamma: s.gamma });
    case 'cosine':
      return cosineSchedule;
    case 'constant':
      return constantSchedule;
    default:
      return assertNever(s.policy, 'schedule policy');
  }
}

/**
 * The learning-rate factor of a 0-based `epoch`. Without a plan (a Trainer stepped by hand, before any
 * `fit`) the factor is 1.
 */
export function learningRateFactor(s: ResolvedSchedule, epoch: number, plan: SchedulePlan | null): number {
  if (plan === null) return 1;
  check(Number.isInteger(epoch) && epoch >= 0, 'epoch', 'an integer >= 0', epoch);
  return scheduleFn(s)(epoch, plan);
}

export type { ScheduleFn, SchedulePlan, StepScheduleOptions } from './types.js';
export { constantSchedule, cosineSchedule, linearSchedule, stepSchedule };
