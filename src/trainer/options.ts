/**
 * The option and result types of the Trainer ({@link TrainerOptions}, {@link FitOptions},
 * {@link GenerateOptions}, {@link TrainerLoadOptions}, {@link StepStats}, ...) and the lists of keys each
 * options object accepts.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { randomSeed } from '../util/random.js';
import { check, checkKeys } from '../util/validate.js';
import { checkNetworksAgree } from './compatibility.js';
import type { Objective } from '../losses/types.js';
import type { CustomSchedule, ScheduleOptions, SchedulePolicy } from './schedules/index.js';

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  /** The generator (e.g. `unetGenerator(...)`): NHWC images in [-1, 1] in, tanh images out. */
  generator: tfl.LayersModel;
  /**
   * The discriminator (e.g. `patchDiscriminator(...)`): `[input, target]` (or `target`) in, logits out.
   * Required when `loss.usesDiscriminator`; may be omitted for an L1-only objective (`gan: 'none'`).
   */
  discriminator?: tfl.LayersModel | null;
  /** The objective pair, e.g. `compositeLoss({ lambda: 100 })`. */
  loss: Objective;
  /** Base learning rate of both Adam optimizers. Default `2e-4` (the paper's). */
  learningRate?: number;
  /** Adam beta1. Default `0.5` (the paper's). */
  beta1?: number;
  /** Adam beta2. Default `0.999`. */
  beta2?: number;
  /** Adam epsilon. Default: the backend's epsilon (1e-7 on 32-bit float backends, 1e-4 on 16-bit ones). */
  epsilon?: number;
  /**
   * Learning-rate policy: `'linear'` | `'step'` | `'cosine'` | `'constant'` | `'plateau'`, or
   * `{ policy, stepSize, gamma, unit, plateau }` (see {@link ScheduleOptions}; `unit: 'step'` schedules
   * by steps instead of epochs), or a function `(step, epoch) => factor` ({@link CustomSchedule}).
   * Epoch and step policies need a run plan (`fit`'s `epochs`, `epochsDecay`); before any `fit` their
   * factor is 1. Default `'linear'`.
   */
  schedule?: SchedulePolicy | ScheduleOptions | CustomSchedule;
  /**
   * Base seed of the run: dropout masks of step `s` use seeds derived from `(seed, s)`, so the same seed
   * (with the same initial weights and data) repeats a run exactly, and a resumed run continues it.
   * Default: a random seed (read it back from {@link Trainer.seed}).
   */
  seed?: number;
}

/** Loss values of one step, as plain numbers. */
export interface StepStats {
  /** Number of steps completed, this one included (1 after the first step). */
  step: number;
  /** 0-based epoch the step belongs to. */
  epoch: number;
  /** Learning rate used by both optimizers in this step. */
  learningRate: number;
  /** Generator objective total (`generator.total`). */
  gLoss: number;
  /** Discriminator objective total (`discriminator.total`); 0 when the objective uses no discriminator. */
  dLoss: number;
  /** Every part the generator objective reported (e.g. `adversarial`, `reconstruction`, `total`). */
  generator: Record<string, number>;
  /** Every part the discriminator objective reported (e.g. `real`, `fake`, `total`); empty when skipped. */
  discriminator: Record<string, number>;
}

/** Summary of one epoch of {@link Trainer.fit}. */
export interface EpochStats {
  /** The 0-based epoch that just ended (the Trainer's {@link Trainer.epoch} is now `epoch + 1`). */
  epoch: number;
  /** Steps run in this epoch by this `fit` call. */
  steps: number;
  /** Learning rate used during the epoch (that of its last step, for schedules that change within an epoch). */
  learningRate: number;
  /** Mean of each generator part over the epoch's steps. */
  generator: Record<string, number>;
  /** Mean of each discriminator part over the epoch's steps. */
  discriminator: Record<string, number>;
  /** Wall-clock seconds the epoch took. */
  seconds: number;
}

/** Options of {@link Trainer.fit}. */
export interface FitOptions {
  /** Epochs at the base learning rate (the reference's `n_epochs`). Required, integer >= 0. */
  epochs: number;
  /**
   * Epochs of learning-rate decay after `epochs` (the reference's `n_epochs_decay`). Default 0. Training
   * ends when the Trainer's epoch counter reaches `epochs + epochsDecay` (a resumed Trainer continues
   * from its counter).
   */
  epochsDecay?: number;
  /**
   * Steps per epoch. Default: one pass over the data (until its iterator ends). When set, an epoch ends
   * after this many steps and the data is re-opened whenever it runs out (a Trainer resumed mid-epoch
   * then runs the epoch's remaining steps from a fresh pass).
   */
  stepsPerEpoch?: number;
  /** Called after every step (awaited). */
  onStep?: (stats: StepStats) => void | Promise<void>;
  /** Called after every epoch, with the counters already advanced (awaited; a good place to save). */
  onEpoch?: (stats: EpochStats) => void | Promise<void>;
  /** Cancels training between two steps (a step in progress always completes or is refused whole). */
  signal?: AbortSignal;
  /**
   * Called after every epoch (before `onEpoch`, awaited); its result is reported to a `'plateau'`
   * schedule as with {@link Trainer.reportMetric} (e.g. a validation L1). Only with the plateau policy.
   */
  metric?: (stats: EpochStats) => number | Promise<number>;
  /**
   * The PyTorch reference's `epoch_count`: the 1-based number of the first epoch. A Trainer that has
   * not trained yet (step 0, epoch 0) starts its epoch counter at `epochCount - 1`, so the schedule
   * continues a run begun elsewhere; ignored once the Trainer has trained. Default 1.
   */
  epochCount?: number;
}

/** What {@link Trainer.fit} resolves to. */
export interface FitResult {
  /** True when `signal` stopped the run before its last epoch ended. */
  aborted: boolean;
  /** The Trainer's step counter at the end. */
  step: number;
  /** The Trainer's epoch counter at the end. */
  epoch: number;
}

/** Options of {@link Trainer.generate}. */
export interface GenerateOptions {
  /**
   * - `'inference'` (default): `generator.predict`: moving statistics, no dropout.
   * - `'paper'`: the paper's test-time behaviour: dropout on and batch statistics in the norm layers
   *   (the moving statistics are left untouched).
   */
  mode?: 'paper' | 'inference';
  /** Dropout seed for `'paper'` mode. Default: derived from the Trainer's seed and a call counter. */
  seed?: number;
}

/** Options of {@link Trainer.load}. */
export interface TrainerLoadOptions {
  /**
   * The objective to train with. Default: `compositeLoss(config)` rebuilt from the loss config stored in
   * the checkpoint (which works for checkpoints written with `compositeLoss`); pass your own objective
   * for custom losses or to change the loss when resuming.
   */
  loss?: Objective;
  /**
   * Replaces the stored schedule. Required when the checkpoint was trained with a schedule function
   * (functions are not stored). A plateau policy's state carries over when the policy is unchanged.
   */
  schedule?: SchedulePolicy | ScheduleOptions | CustomSchedule;
}

/** A checkpoint source or destination: a tfjs IO handler, or a URL string resolved by the `tf.io` routers. */
export type CheckpointTarget = string | tf.io.IOHandler;


/** The keys of an options interface, checked complete by the compiler. */
const keysOf = <T>(keys: Record<keyof T, true>): readonly string[] => Object.keys(keys);

/** Every key {@link TrainerOptions} accepts (unknown keys are errors). */
export const TRAINER_OPTION_KEYS = keysOf<TrainerOptions>({
  generator: true,
  discriminator: true,
  loss: true,
  learningRate: true,
  beta1: true,
  beta2: true,
  epsilon: true,
  schedule: true,
  seed: true,
});

/** Every key {@link FitOptions} accepts. */
export const FIT_OPTION_KEYS = keysOf<FitOptions>({
  epochs: true,
  epochsDecay: true,
  stepsPerEpoch: true,
  onStep: true,
  onEpoch: true,
  signal: true,
  metric: true,
  epochCount: true,
});

/** Every key {@link GenerateOptions} accepts. */
export const GENERATE_OPTION_KEYS = keysOf<GenerateOptions>({ mode: true, seed: true });

/** Every key {@link TrainerLoadOptions} accepts. */
export const TRAINER_LOAD_OPTION_KEYS = keysOf<TrainerLoadOptions>({ loss: true, schedule: true });

/** Duck-typed, so models from another copy of tfjs-layers (bundlers) are accepted too. */
function isLayersModel(x: unknown): x is tfl.LayersModel {
  const m = x as tfl.LayersModel | null | undefined;
  return m != null && typeof m.apply === 'function' && typeof m.predict === 'function' && Array.isArray(m.trainableWeights) && typeof m.toJSON === 'function';
}

/** Validates {@link TrainerOptions} (keys, networks, objective, their agreement, numbers) and fills in defaults. */
export function resolveTrainerOptions(options: TrainerOptions): {
  D: tfl.LayersModel | null;
  loss: Objective;
  learningRate: number;
  beta1: number;
  beta2: number;
  seed: number;
} {
    checkKeys(options, TRAINER_OPTION_KEYS, 'Trainer');
    check(options != null && isLayersModel(options.generator), 'generator', 'a tf.LayersModel', options?.generator === undefined ? undefined : typeof options.generator);
    const loss = options.loss;
    check(
      loss != null && typeof loss.generator === 'function' && typeof loss.discriminator === 'function',
      'loss',
      'an Objective (e.g. compositeLoss())',
      loss === undefined ? undefined : typeof loss,
    );
    const D = options.discriminator ?? null;
    if (loss.usesDiscriminator) {
      check(isLayersModel(D), 'discriminator', 'a tf.LayersModel when the loss uses a discriminator', D === null ? null : typeof D);
    } else if (D !== null) {
      check(isLayersModel(D), 'discriminator', 'a tf.LayersModel or null', typeof D);
    }
    checkNetworksAgree(options.generator, D, loss);
    const learningRate = options.learningRate ?? 2e-4;
    const beta1 = options.beta1 ?? 0.5;
    const beta2 = options.beta2 ?? 0.999;
    check(Number.isFinite(learningRate) && learningRate > 0, 'learningRate', 'a finite number > 0', learningRate);
    check(Number.isFinite(beta1) && beta1 >= 0 && beta1 < 1, 'beta1', 'a number in [0, 1)', beta1);
    check(Number.isFinite(beta2) && beta2 >= 0 && beta2 < 1, 'beta2', 'a number in [0, 1)', beta2);
    if (options.epsilon !== undefined) {
      check(Number.isFinite(options.epsilon) && options.epsilon > 0, 'epsilon', 'a finite number > 0', options.epsilon);
    }
    const seed = options.seed ?? randomSeed();
    check(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, 'seed', 'an integer in [0, 2^32)', seed);

  return { D, loss, learningRate, beta1, beta2, seed };
}
