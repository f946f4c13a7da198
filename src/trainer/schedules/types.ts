/**
 * The run plan a learning-rate schedule sees: how many epochs run at the base rate and how many decay.
 * Set by `Trainer.fit` from its `epochs` / `epochsDecay` options and stored in checkpoints.
 */
export interface SchedulePlan {
  /** Epochs at the base learning rate (the PyTorch reference's `n_epochs`). */
  readonly epochs: number;
  /** Epochs over which the rate decays (the PyTorch reference's `n_epochs_decay`). */
  readonly epochsDecay: number;
  /** Steps per epoch when `fit` was given `stepsPerEpoch` (lets `unit: 'step'` schedules lay out the run). */
  readonly stepsPerEpoch?: number;
}

/** Options of the `'step'` policy. */
export interface StepScheduleOptions {
  /** Epochs (or steps, with `unit: 'step'`) between two decays. Default 50 (the PyTorch reference's `lr_decay_iters`). */
  stepSize?: number;
  /** Factor applied at each decay. Default 0.1 (the PyTorch reference's StepLR gamma). */
  gamma?: number;
}

/**
 * A learning-rate policy: the factor (0..1) the base learning rate is multiplied by during a 0-based
 * `epoch` of a run laid out by `plan`.
 */
export type ScheduleFn = (epoch: number, plan: SchedulePlan) => number;

/** Options of the `'plateau'` policy (the PyTorch reference's `ReduceLROnPlateau` settings). */
export interface PlateauScheduleOptions {
  /** Factor applied at each reduction. Default 0.2. */
  factor?: number;
  /** Relative improvement that counts: `metric < best * (1 - threshold)`. Default 0.01. */
  threshold?: number;
  /** Reports without improvement tolerated before a reduction. Default 5. */
  patience?: number;
}

/**
 * A custom schedule: the factor (finite, >= 0) the base learning rate is multiplied by for a step,
 * given the number of steps completed before it and the current 0-based epoch.
 */
export type CustomSchedule = (step: number, epoch: number) => number;
