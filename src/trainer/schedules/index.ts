/**
 * Learning-rate schedules: the policy names, their resolution from options, and the factor a Trainer
 * multiplies its base rate by for a step (by epoch or by step, a metric-driven plateau, or a function).
 */
import { assertNever, check, checkInt, checkKeys, checkOneOf, checkRange } from '../../util/validate.js';
import { constantSchedule } from './constant.js';
import { cosineSchedule } from './cosine.js';
import { linearSchedule } from './linear.js';
import { INITIAL_PLATEAU_STATE, reportPlateau, type PlateauState } from './plateau.js';
import { stepSchedule } from './step.js';
import type { CustomSchedule, PlateauScheduleOptions, ScheduleFn, SchedulePlan, StepScheduleOptions } from './types.js';

/** Names of the learning-rate policies. */
export type SchedulePolicy = 'linear' | 'step' | 'cosine' | 'constant' | 'plateau';

/** All policy names, in documentation order. */
export const SCHEDULE_POLICIES: readonly SchedulePolicy[] = ['linear', 'step', 'cosine', 'constant', 'plateau'];

/** What a schedule counts in: epochs (the reference) or optimisation steps (iterations). */
export type ScheduleUnit = 'epoch' | 'step';

/** All units. */
export const SCHEDULE_UNITS: readonly ScheduleUnit[] = ['epoch', 'step'];

/**
 * A learning-rate schedule: a policy name, or a policy with its options. The factor a policy returns
 * multiplies the Trainer's `learningRate` during each epoch (both optimizers).
 */
export interface ScheduleOptions extends StepScheduleOptions {
  /**
   * - `'linear'` (default): constant for `epochs`, then linear to zero over `epochsDecay` (the reference).
   * - `'step'`: multiply by `gamma` (0.1) every `stepSize` (50) epochs (or steps, with `unit: 'step'`).
   * - `'cosine'`: cosine annealing to zero over `epochs + epochsDecay`.
   * - `'constant'`: never changes.
   * - `'plateau'`: multiply by `plateau.factor` (0.2) when the metric reported with
   *   `Trainer.reportMetric` (or `fit`'s `metric`) has not improved for more than `plateau.patience` (5)
   *   reports (the reference's ReduceLROnPlateau).
   */
  policy: SchedulePolicy;
  /**
   * What the schedule counts: `'epoch'` (default; the rate changes between epochs) or `'step'` (the rate
   * changes between steps: `'step'` decays every `stepSize` steps, the reference's `lr_decay_iters`;
   * `'linear'` and `'cosine'` lay the run out in steps and then need `fit`'s `stepsPerEpoch`).
   */
  unit?: ScheduleUnit;
  /** Options of the `'plateau'` policy. */
  plateau?: PlateauScheduleOptions;
}

/** The fully resolved form of a schedule, as stored in checkpoints. */
export interface ResolvedSchedule {
  /** The policy (`'custom'` for a schedule function). */
  readonly policy: SchedulePolicy | 'custom';
  /** Epochs (or steps) between decays (`'step'` only; 50 otherwise unused). */
  readonly stepSize: number;
  /** Decay factor (`'step'` only; 0.1 otherwise unused). */
  readonly gamma: number;
  /** `'step'` when the schedule counts steps; absent for the default, epochs. */
  readonly unit?: 'step';
  /** Resolved plateau options (`'plateau'` only). */
  readonly plateau?: Required<PlateauScheduleOptions>;
  /** The function of a `'custom'` schedule (not stored in checkpoints). */
  readonly custom?: CustomSchedule;
}

const SCHEDULE_KEYS: readonly (keyof ScheduleOptions)[] = ['policy', 'stepSize', 'gamma', 'unit', 'plateau'];
const PLATEAU_KEYS: readonly (keyof PlateauScheduleOptions)[] = ['factor', 'threshold', 'patience'];

/** Validates a schedule option (a policy name, options, or a {@link CustomSchedule}) and fills in defaults. */
export function resolveSchedule(schedule: SchedulePolicy | ScheduleOptions | CustomSchedule | undefined): ResolvedSchedule {
  if (typeof schedule === 'function') return { policy: 'custom', stepSize: 50, gamma: 0.1, custom: schedule };
  const o: ScheduleOptions = typeof schedule === 'string' ? { policy: schedule } : (schedule ?? { policy: 'linear' });
  checkKeys(o, SCHEDULE_KEYS, 'schedule');
  checkOneOf(o.policy, 'schedule.policy', SCHEDULE_POLICIES);
  const stepSize = o.stepSize ?? 50;
  const gamma = o.gamma ?? 0.1;
  checkInt(stepSize, 'schedule.stepSize', 1);
  checkRange(gamma, 'schedule.gamma', 0, 1);
  const unit = o.unit ?? 'epoch';
  checkOneOf(unit, 'schedule.unit', SCHEDULE_UNITS);
  const resolved: { -readonly [K in keyof ResolvedSchedule]: ResolvedSchedule[K] } = { policy: o.policy, stepSize, gamma };
  if (unit === 'step') resolved.unit = 'step';
  if (o.policy === 'plateau') {
    checkKeys(o.plateau, PLATEAU_KEYS, 'schedule.plateau');
    const p = { factor: o.plateau?.factor ?? 0.2, threshold: o.plateau?.threshold ?? 0.01, patience: o.plateau?.patience ?? 5 };
    check(Number.isFinite(p.factor) && p.factor > 0 && p.factor < 1, 'schedule.plateau.factor', 'a number in (0, 1)', p.factor);
    checkRange(p.threshold, 'schedule.plateau.threshold', 0, 1, true);
    checkInt(p.patience, 'schedule.plateau.patience', 0);
    resolved.plateau = p;
  } else if (o.plateau !== undefined) {
    throw new RangeError(`schedule.plateau is only used with policy 'plateau' (got policy '${o.policy}')`);
  }
  return resolved;
}

/** The one lookup from policy name to its factor function (plateau and custom factors come from elsewhere). */
function scheduleFn(s: ResolvedSchedule): ScheduleFn {
  switch (s.policy) {
    case 'linear':
      return linearSchedule;
    case 'step':
      return stepSchedule({ stepSize: s.stepSize, gamma: s.gamma });
    case 'cosine':
      return cosineSchedule;
    case 'constant':
    case 'plateau': // its factor lives in the plateau state, see scheduleFactor
    case 'custom':
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

/** The schedule state that changes while training (only the plateau policy has any), stored in checkpoints. */
export interface ScheduleState {
  /** The plateau policy's state. */
  readonly plateau: PlateauState;
}

/** The state of a fresh run. */
export const INITIAL_SCHEDULE_STATE: ScheduleState = { plateau: INITIAL_PLATEAU_STATE };

/** Where a step sits: steps completed before it and its 0-based epoch. */
export interface ScheduleClock {
  /** Steps completed before this one. */
  readonly step: number;
  /** Current 0-based epoch. */
  readonly epoch: number;
}

/**
 * The factor of the next step. Epoch schedules use {@link learningRateFactor}. Step schedules
 * (`unit: 'step'`) evaluate the policy at the step count: `'step'` decays every `stepSize` steps (with
 * or without a plan); `'linear'` and `'cosine'` lay the plan out in steps (`epochs * stepsPerEpoch`)
 * and need `stepsPerEpoch` (factor 1 without a plan). Plateau schedules use their state, custom ones
 * their function (whose result must be a finite number >= 0).
 */
export function scheduleFactor(s: ResolvedSchedule, clock: ScheduleClock, plan: SchedulePlan | null, state: ScheduleState): number {
  if (s.policy === 'custom') {
    const f = s.custom!(clock.step, clock.epoch);
    check(typeof f === 'number' && Number.isFinite(f) && f >= 0, `the custom schedule's factor at step ${clock.step}, epoch ${clock.epoch}`, 'a finite number >= 0', f);
    return f;
  }
  if (s.policy === 'plateau') return state.plateau.factor;
  if (s.unit !== 'step') return learningRateFactor(s, clock.epoch, plan);
  if (s.policy === 'step') return scheduleFn(s)(clock.step, { epochs: 0, epochsDecay: 0 });
  if (plan === null) return 1;
  const per = plan.stepsPerEpoch;
  if (per === undefined) {
    throw new RangeError(`schedule { policy: '${s.policy}', unit: 'step' } needs fit's stepsPerEpoch to lay the run out in steps`);
  }
  return scheduleFn(s)(clock.step, { epochs: plan.epochs * per, epochsDecay: plan.epochsDecay * per });
}

/** The state after the caller reports a metric (plateau policy only). */
export function reportScheduleMetric(s: ResolvedSchedule, state: ScheduleState, metric: number, baseLearningRate: number): ScheduleState {
  check(s.policy === 'plateau', 'the schedule policy', "'plateau' to report a metric", s.policy);
  check(typeof metric === 'number' && Number.isFinite(metric), 'metric', 'a finite number', metric);
  return { plateau: reportPlateau(state.plateau, metric, s.plateau!, baseLearningRate) };
}

export type { CustomSchedule, PlateauScheduleOptions, ScheduleFn, SchedulePlan, StepScheduleOptions } from './types.js';
export type { PlateauState } from './plateau.js';
export { constantSchedule, cosineSchedule, linearSchedule, stepSchedule };
