/**
 * The run plan a learning-rate schedule sees: how many epochs run at the base rate and how many decay.
 * Set by `Trainer.fit` from its `epochs` / `epochsDecay` options and stored in checkpoints.
 */
export interface SchedulePlan {
  /** Epochs at the base learning rate (the PyTorch reference's `n_epochs`). */
  readonly epochs: number;
  /** Epochs over which the rate decays (the PyTorch reference's `n_epochs_decay`). */
  readonly epochsDecay: number;
}

/** Options of the `'step'` policy. */
export interface StepScheduleOptions {
  /** Epochs between two decays. Default 50 (the PyTorch reference's `lr_decay_iters`). */
  stepSize?: number;
  /** Factor applied at each decay. Default 0.1 (the PyTorch reference's StepLR gamma). */
  gamma?: number;
}

/**
 * A learning-rate policy: the factor (0..1) the base learning rate is multiplied by during a 0-based
 * `epoch` of a run laid out by `plan`.
 */
export type ScheduleFn = (epoch: number, plan: SchedulePlan) => number;
