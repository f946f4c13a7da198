import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { compositeLoss, type CompositeLossOptions } from '../losses/composite_loss.js';
import type { LossParts, Objective, ObjectiveArgs } from '../losses/types.js';
import { deriveSeed, randomSeed } from '../util/random.js';
import { check, checkInt, checkOneOf } from '../util/validate.js';
import {
  adamEpsilon,
  disposeAdamSnapshot,
  exportAdam,
  importAdam,
  applyAdam,
  restoreAdam,
  setAdamLearningRate,
  snapshotAdam,
  type AdamSnapshot,
  type NamedTensor,
} from './adam_state.js';
import {
  CheckpointError,
  checkCheckpoint,
  checkShape,
  decodeCheckpoint,
  encodeCheckpoint,
  type TrainerCheckpointState,
} from './checkpoint.js';
import { openBatches, type BatchStream, type TrainingData } from './data.js';
import { dropoutLayers, paperModeForward, restoreVariables, snapshotVariables, withDropoutSeeds, withFrozenStatistics } from './model_state.js';
import {
  learningRateFactor,
  resolveSchedule,
  type ResolvedSchedule,
  type ScheduleOptions,
  type SchedulePlan,
  type SchedulePolicy,
} from './schedules/index.js';

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
   * Learning-rate policy, applied per epoch by {@link Trainer.fit}: `'linear'` | `'step'` | `'cosine'` |
   * `'constant'`, or `{ policy, stepSize, gamma }` (see {@link ScheduleOptions}). Default `'linear'`.
   */
  schedule?: SchedulePolicy | ScheduleOptions;
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
  /** Learning rate used during the epoch. */
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
}

/** Thrown when a step's loss is NaN or infinite; the step was refused and no weight changed. */
export class NonFiniteLossError extends Error {
  /** 1-based number of the refused step. */
  readonly step: number;
  /** Which objective went non-finite. */
  readonly network: 'generator' | 'discriminator';
  /** The first non-finite part (e.g. `'total'`, `'reconstruction'`). */
  readonly part: string;
  /** Its value (NaN or +-Infinity). */
  readonly value: number;

  /**
   * @param step - 1-based number of the refused step.
   * @param network - which objective went non-finite.
   * @param part - the first non-finite part.
   * @param value - its value.
   */
  constructor(step: number, network: 'generator' | 'discriminator', part: string, value: number) {
    super(
      `step ${step}: the ${network} loss part '${part}' is ${value}; the step was refused and no weights or optimizer state changed`,
    );
    this.name = 'NonFiniteLossError';
    this.step = step;
    this.network = network;
    this.part = part;
    this.value = value;
  }
}

/** A checkpoint source or destination: a tfjs IO handler, or a URL string resolved by the `tf.io` routers. */
export type CheckpointTarget = string | tf.io.IOHandler;

const NO_DISCRIMINATOR = new Proxy({} as tfl.LayersModel, {
  get() {
    throw new Error('this Trainer has no discriminator (its objective has usesDiscriminator: false)');
  },
});

function isFiniteRecord(values: Record<string, number>): [string, number] | null {
  for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) return [k, v];
  return null;
}

/** Duck-typed, so models from another copy of tfjs-layers (bundlers) are accepted too. */
function isLayersModel(x: unknown): x is tfl.LayersModel {
  const m = x as tfl.LayersModel | null | undefined;
  return m != null && typeof m.apply === 'function' && typeof m.predict === 'function' && Array.isArray(m.trainableWeights) && typeof m.toJSON === 'function';
}

function trainableVars(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Trains a pix2pix generator/discriminator pair (paper section 3.3): per step one discriminator update,
 * then one generator update, each with its own Adam optimizer over its own network's trainable weights,
 * with batch norm in training mode. Runs on whatever backend `tf.getBackend()` is; imports none.
 *
 * - {@link Trainer.trainStep} runs one step on a batch; {@link Trainer.fit} runs epochs over a data set
 *   with a learning-rate schedule, callbacks and an AbortSignal.
 * - Steps are atomic: if a loss part is NaN/Inf the step is undone ({@link NonFiniteLossError}).
 * - {@link Trainer.save} / {@link Trainer.load} write and read checkpoints (networks, both Adam states,
 *   counters, seed, schedule) through any tfjs IO handler; a loaded Trainer continues bit-exactly.
 * - {@link Trainer.generate} translates images in `'inference'` or `'paper'` mode.
 *
 * Per step, the generator runs once in training mode to make the fake (this forward pass updates its
 * moving statistics, as in the PyTorch reference); the generator step re-runs it inside its gradient
 * scope with the same dropout masks and leaves the moving statistics as they were.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss(), seed: 1 });
 * const stats = await trainer.trainStep({ input, target }); // { gLoss, dLoss, generator: {...}, ... }
 * ```
 */
export class Trainer {
  /** The generator being trained. */
  readonly generator: tfl.LayersModel;
  /** The discriminator being trained (null for objectives without one). */
  readonly discriminator: tfl.LayersModel | null;
  /** The objective. */
  readonly loss: Objective;
  /** Base learning rate. */
  readonly learningRate: number;
  /** Adam beta1. */
  readonly beta1: number;
  /** Adam beta2. */
  readonly beta2: number;
  /** The resolved learning-rate schedule. */
  readonly schedule: ResolvedSchedule;
  /** Base seed of the run. */
  readonly seed: number;

  private readonly gOptimizer: tf.AdamOptimizer;
  private readonly dOptimizer: tf.AdamOptimizer | null;
  private readonly gDropout: tfl.layers.Layer[];
  private stepCount = 0;
  private epochCount = 0;
  private stepsInEpoch = 0;
  private runPlan: SchedulePlan | null = null;
  private generateCount = 0;
  private busy = false;
  private disposed = false;

  /** @param options - see {@link TrainerOptions}. */
  constructor(options: TrainerOptions) {
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

    this.generator = options.generator;
    this.discriminator = D;
    this.loss = loss;
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.schedule = resolveSchedule(options.schedule);
    this.seed = seed;
    this.gOptimizer = tf.train.adam(learningRate, beta1, beta2, options.epsilon);
    this.dOptimizer = D === null ? null : tf.train.adam(learningRate, beta1, beta2, options.epsilon);
    this.gDropout = dropoutLayers(this.generator);
  }

  /** Completed training steps (refused steps do not count). */
  get step(): number {
    return this.stepCount;
  }

  /** Current 0-based epoch: the number of epochs {@link Trainer.fit} has completed. */
  get epoch(): number {
    return this.epochCount;
  }

  /** Steps completed within the current epoch. */
  get stepInEpoch(): number {
    return this.stepsInEpoch;
  }

  /** The run plan of the last {@link Trainer.fit} (`epochs`, `epochsDecay`), or null before any. */
  get plan(): SchedulePlan | null {
    return this.runPlan;
  }

  /** The learning rate the next step uses: base rate x the schedule's factor for the current epoch. */
  get currentLearningRate(): number {
    return this.learningRate * learningRateFactor(this.schedule, this.epochCount, this.runPlan);
  }

  /**
   * One training step on one batch: a discriminator update (skipped when `loss.usesDiscriminator` is
   * false), then a generator update. The batch stays owned by the caller. Resolves to plain numbers.
   *
   * @param batch - `input` and `target`, NHWC in [-1, 1], same batch size and spatial size.
   * @throws NonFiniteLossError when a loss part is NaN/Inf: nothing changed (weights, moving statistics,
   *   optimizer state, counters), so the caller may skip the batch and go on.
   */
  async trainStep(batch: { input: tf.Tensor4D; target: tf.Tensor4D }): Promise<StepStats> {
    this.assertUsable();
    const { input, target } = batch ?? ({} as { input?: tf.Tensor4D; target?: tf.Tensor4D });
    check(input instanceof tf.Tensor && input.rank === 4, 'input', 'a rank-4 NHWC tensor', input?.shape);
    check(target instanceof tf.Tensor && target.rank === 4, 'target', 'a rank-4 NHWC tensor', target?.shape);
    check(
      input.shape[0] === target.shape[0] && input.shape[1] === target.shape[1] && input.shape[2] === target.shape[2],
      'target shape',
      `the batch size and spatial size of input [${input.shape.join(', ')}]`,
      target.shape,
    );
    this.busy = true;
    try {
      return await this.runStep(input, target);
    } finally {
      this.busy = false;
    }
  }

  private async runStep(input: tf.Tensor4D, target: tf.Tensor4D): Promise<StepStats> {
    const G = this.generator;
    const D = this.discriminator;
    const useD = this.loss.usesDiscriminator && D !== null && this.dOptimizer !== null;
    const stepNumber = this.stepCount + 1;
    const learningRate = this.currentLearningRate;
    setAdamLearningRate(this.gOptimizer, learningRate);
    if (this.dOptimizer) setAdamLearningRate(this.dOptimizer, learningRate);
    const dropoutSeed = deriveSeed(this.seed, 'dropout', this.stepCount);
    const lossSeed = deriveSeed(this.seed, 'loss', this.stepCount);
    const gForward = () =>
      withDropoutSeeds(this.gDropout, dropoutSeed, () => G.apply(input, { training: true }) as tf.Tensor4D);

    // Everything a refused step must put back. Clones share storage with the originals (no copies).
    const gStats = snapshotVariables(G.nonTrainableWeights);
    let dWeights: tf.Tensor[] | null = null;
    let dAdam: AdamSnapshot | null = null;
    let fake: tf.Tensor4D | null = null;
    let committed = false;
    try {
      let dValues: Record<string, number> = {};
      if (useD) {
        fake = tf.tidy(gForward);
        const args: ObjectiveArgs = { discriminator: D, input, target, fake, seed: lossSeed };
        dWeights = snapshotVariables(D.weights);
        dAdam = snapshotAdam(this.dOptimizer!);
        const dVars = trainableVars(D);
        const { grads, values } = await this.gradients(this.dOptimizer!, dVars, () => this.loss.discriminator(args));
        const bad = isFiniteRecord(values);
        if (bad) {
          tf.dispose(grads);
          throw new NonFiniteLossError(stepNumber, 'discriminator', bad[0], bad[1]);
        }
        this.apply(this.dOptimizer!, dVars, grads);
        dValues = values;
      }

      const gVars = trainableVars(G);
      const gArgs = (f: tf.Tensor4D): ObjectiveArgs => ({ discriminator: D ?? NO_DISCRIMINATOR, input, target, fake: f, seed: lossSeed });
      // With a D step, the fake above already moved G's statistics once for this step; the re-run inside
      // the gradient scope (same dropout masks, same batch) must not move them again.
      const { grads, values: gValues } = await this.gradients(this.gOptimizer, gVars, () =>
        fake === null
          ? this.loss.generator(gArgs(gForward()))
          : withFrozenStatistics(G, () => this.loss.generator(gArgs(gForward()))),
      );
      const bad = isFiniteRecord(gValues);
      if (bad) {
        tf.dispose(grads);
        throw new NonFiniteLossError(stepNumber, 'generator', bad[0], bad[1]);
      }
      this.apply(this.gOptimizer, gVars, grads);
      committed = true;
      this.stepCount++;
      this.stepsInEpoch++;
      return {
        step: this.stepCount,
        epoch: this.epochCount,
        learningRate,
        gLoss: gValues.total ?? NaN,
        dLoss: dValues.total ?? 0,
        generator: gValues,
        discriminator: dValues,
      };
    } finally {
      if (!committed) {
        restoreVariables(G.nonTrainableWeights, gStats);
        if (dWeights) restoreVariables(D!.weights, dWeights);
        if (dAdam) restoreAdam(this.dOptimizer!, dAdam);
      }
      tf.dispose(gStats);
      if (dWeights) tf.dispose(dWeights);
      if (dAdam) disposeAdamSnapshot(dAdam);
      if (fake) fake.dispose();
    }
  }

  /** Gradients of `objective().total` with respect to `vars`, plus every part read back as numbers. */
  private async gradients(
    optimizer: tf.AdamOptimizer,
    vars: tf.Variable[],
    objective: () => LossParts,
  ): Promise<{ grads: tf.NamedTensorMap; values: Record<string, number> }> {
    let parts: LossParts | null = null;
    const { value, grads } = optimizer.computeGradients(() => {
      const p = objective();
      check(p != null && p.total instanceof tf.Tensor && p.total.rank === 0, 'objective total', 'a scalar tensor', p?.total?.shape);
      for (const t of Object.values(p)) tf.keep(t);
      parts = p;
      return p.total;
    }, vars);
    const kept = parts as LossParts | null;
    const names = Object.keys(kept ?? {});
    const tensors = names.map((n) => kept![n]!);
    try {
      const stacked = tf.tidy(() => tf.stack(tensors.map((t) => tf.cast(tf.reshape(t, []), 'float32'))));
      const data = await stacked.data();
      stacked.dispose();
      const values: Record<string, number> = {};
      names.forEach((n, i) => (values[n] = data[i]!));
      return { grads, values };
    } catch (e) {
      tf.dispose(grads);
      throw e;
    } finally {
      tf.dispose([value, ...tensors]);
    }
  }

  /** Applies gradients in var-list order (missing ones as null, so Adam's positional state stays aligned). */
  private apply(optimizer: tf.AdamOptimizer, vars: tf.Variable[], grads: tf.NamedTensorMap): void {
    const list = vars.map((v) => ({ name: v.name, tensor: grads[v.name] ?? null }));
    try {
      applyAdam(optimizer, list);
    } finally {
      tf.dispose(grads);
    }
  }

  /**
   * Trains over `data` epoch by epoch until the epoch counter reaches `epochs + epochsDecay`, with the
   * learning rate of each epoch set by the schedule.
   *
   * Data: an async (or sync) iterable of `{ input, target }` batches (each epoch iterates it afresh), a
   * `tf.data.Dataset` (anything with `iterator()`), or an object with `epoch(n)` returning the batches of
   * epoch `n` (such as `pairedBatches(...)`): then epoch `n` of the Trainer reads epoch `n` of the data
   * and a checkpoint saved mid-epoch resumes at the same batch (the first `stepInEpoch` batches of the
   * epoch are skipped).
   *
   * Ownership: `fit` takes every batch it pulls and disposes its `input` and `target` after the step
   * (also when the step fails or training stops), so do not keep references to them.
   *
   * @param data - the training batches.
   * @param options - see {@link FitOptions}.
   */
  async fit(data: TrainingData, options: FitOptions): Promise<FitResult> {
    this.assertUsable();
    checkInt(options?.epochs, 'epochs', 0);
    const epochsDecay = options.epochsDecay ?? 0;
    checkInt(epochsDecay, 'epochsDecay', 0);
    if (options.stepsPerEpoch !== undefined) checkInt(options.stepsPerEpoch, 'stepsPerEpoch', 1);
    const { signal, onStep, onEpoch, stepsPerEpoch } = options;
    this.runPlan = { epochs: options.epochs, epochsDecay };
    const total = options.epochs + epochsDecay;
    const aborted = () => signal?.aborted === true;
    let stream: BatchStream | null = null;
    try {
      while (this.epochCount < total) {
        if (aborted()) return this.fitResult(true);
        const epoch = this.epochCount;
        const started = Date.now();
        const sums = { generator: {} as Record<string, number>, discriminator: {} as Record<string, number> };
        let steps = 0;
        if (stream === null || stepsPerEpoch === undefined) {
          await stream?.close();
          stream = await openBatches(data, epoch, stepsPerEpoch === undefined ? this.stepsInEpoch : 0);
        }
        let reopened = false;
        while (stepsPerEpoch === undefined || this.stepsInEpoch < stepsPerEpoch) {
          if (aborted()) return this.fitResult(true);
          let next = await stream.next();
          if (next === null && stepsPerEpoch !== undefined && !reopened) {
            await stream.close();
            stream = await openBatches(data, epoch, 0);
            reopened = true;
            next = await stream.next();
          }
          if (next === null) {
            if (stepsPerEpoch === undefined && (steps > 0 || this.stepsInEpoch > 0)) break;
            throw new Error(
              `the training data yielded no batches in epoch ${epoch} (a one-shot generator can be iterated only once: pass an object whose [Symbol.asyncIterator]() starts over, a tf.data.Dataset, or pairedBatches(...))`,
            );
          }
          reopened = false;
          let stats: StepStats;
          try {
            stats = await this.trainStep(next);
          } finally {
            tf.dispose([next.input, next.target]);
          }
          steps++;
          for (const [k, v] of Object.entries(stats.generator)) sums.generator[k] = (sums.generator[k] ?? 0) + v;
          for (const [k, v] of Object.entries(stats.discriminator)) sums.discriminator[k] = (sums.discriminator[k] ?? 0) + v;
          if (onStep) await onStep(stats);
        }
        const learningRate = this.currentLearningRate;
        this.epochCount++;
        this.stepsInEpoch = 0;
        const mean = (r: Record<string, number>) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, steps > 0 ? v / steps : NaN]));
        if (onEpoch) {
          await onEpoch({
            epoch,
            steps,
            learningRate,
            generator: mean(sums.generator),
            discriminator: mean(sums.discriminator),
            seconds: (Date.now() - started) / 1000,
          });
        }
      }
      return this.fitResult(false);
    } finally {
      await stream?.close();
    }
  }

  private fitResult(aborted: boolean): FitResult {
    return { aborted, step: this.stepCount, epoch: this.epochCount };
  }

  /**
   * Translates `input` with the generator. The caller owns (and disposes) the result.
   *
   * @param input - NHWC images in [-1, 1].
   * @param options - see {@link GenerateOptions}.
   * @returns NHWC images in [-1, 1].
   */
  generate(input: tf.Tensor4D, options: GenerateOptions = {}): tf.Tensor4D {
    this.assertUsable();
    const mode = options.mode ?? 'inference';
    checkOneOf(mode, 'mode', ['paper', 'inference'] as const);
    check(input instanceof tf.Tensor && input.rank === 4, 'input', 'a rank-4 NHWC tensor', input?.shape);
    const G = this.generator;
    if (mode === 'inference') return tf.tidy(() => G.predict(input) as tf.Tensor4D);
    const seed = options.seed ?? deriveSeed(this.seed, 'generate', this.generateCount++);
    return paperModeForward(G, this.gDropout, input, seed);
  }

  /**
   * Writes a checkpoint: both networks (topology and weights), both Adam states (step counts and
   * moments), the step/epoch counters, the schedule and run plan, the seed and the loss config.
   *
   * @param target - a tfjs IO handler (e.g. `fileCheckpoint(dir)` from `@acme/pix2pix/node`,
   *   `tf.io.withSaveHandler(...)`), or a URL string for the `tf.io` routers (`'indexeddb://run1'`, ...).
   * @returns The IO handler's save result.
   */
  async save(target: CheckpointTarget): Promise<tf.io.SaveResult> {
    this.assertUsable();
    const handler = resolveHandler(target, 'save');
    const G = this.generator;
    const D = this.discriminator;
    const g = exportAdam(this.gOptimizer);
    const d = this.dOptimizer ? exportAdam(this.dOptimizer) : null;
    const state: TrainerCheckpointState = {
      step: this.stepCount,
      epoch: this.epochCount,
      stepInEpoch: this.stepsInEpoch,
      plan: this.runPlan,
      seed: this.seed,
      generateCount: this.generateCount,
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: adamEpsilon(this.gOptimizer),
      schedule: this.schedule,
      loss: { ...this.loss.config },
      optimizers: {
        generator: { iterations: g.iterations, moments: g.moments },
        discriminator: d ? { iterations: d.iterations, moments: d.moments } : null,
      },
    };
    const tensors: NamedTensor[] = [
      ...G.weights.map((w) => ({ name: `generator/${w.originalName}`, tensor: w.read() })),
      ...(D ? D.weights.map((w) => ({ name: `discriminator/${w.originalName}`, tensor: w.read() })) : []),
      ...g.tensors.map((t) => ({ name: `optimizer/generator/${t.name}`, tensor: t.tensor })),
      ...(d ? d.tensors.map((t) => ({ name: `optimizer/discriminator/${t.name}`, tensor: t.tensor })) : []),
    ];
    const artifacts = await encodeCheckpoint({
      state,
      generatorTopology: G.toJSON(null, false) as object,
      discriminatorTopology: D ? (D.toJSON(null, false) as object) : null,
      tensors,
    });
    return handler.save!(artifacts);
  }

  /**
   * Reads a checkpoint written by {@link Trainer.save} into a new Trainer (new networks, new optimizers)
   * that continues exactly where the saved one stopped. A checkpoint that is not one, is truncated, or
   * whose weights do not fit its architecture is rejected with a {@link CheckpointError} before anything
   * is built (nothing half-loaded is left behind).
   *
   * @param source - a tfjs IO handler (e.g. `fileCheckpoint(dir)`), or a URL string for `tf.io` routers.
   * @param options - see {@link TrainerLoadOptions}.
   */
  static async load(source: CheckpointTarget, options: TrainerLoadOptions = {}): Promise<Trainer> {
    const handler = resolveHandler(source, 'load');
    const decoded = decodeCheckpoint(await handler.load!());
    const { state, tensors } = decoded;
    const created: Array<{ dispose(): unknown }> = [];
    try {
      const buildModel = async (topology: object, role: string) => {
        let model: tfl.LayersModel;
        try {
          model = await tfl.models.modelFromJSON({ modelTopology: topology } as tfl.ModelAndWeightsConfig);
        } catch (e) {
          throw new CheckpointError(`the checkpoint's ${role} topology cannot be rebuilt: ${(e as Error).message}`);
        }
        created.push(model);
        return model;
      };
      const take = (name: string): tf.Tensor => {
        const t = tensors[name];
        checkCheckpoint(t !== undefined, `checkpoint tensor '${name}' is missing`);
        return t!;
      };
      const used = new Set<string>();
      const modelWeights = (model: tfl.LayersModel, role: string) =>
        model.weights.map((w) => {
          const name = `${role}/${w.originalName}`;
          const t = take(name);
          checkShape(name, t.shape, w.shape);
          used.add(name);
          return t;
        });
      const G = await buildModel(decoded.generatorTopology, 'generator');
      const D = decoded.discriminatorTopology ? await buildModel(decoded.discriminatorTopology, 'discriminator') : null;
      const gWeights = modelWeights(G, 'generator');
      const dWeights = D ? modelWeights(D, 'discriminator') : [];

      const optimizerTensors = (model: tfl.LayersModel, role: string, o: { moments: number }) => {
        const vars = model.trainableWeights;
        checkCheckpoint(
          o.moments === 0 || o.moments === vars.length,
          `checkpoint ${role} optimizer has ${o.moments} moment pairs but the ${role} has ${vars.length} trainable weights`,
        );
        const prefix = `optimizer/${role}/`;
        for (const n of ['acc_beta1', 'acc_beta2']) {
          checkShape(prefix + n, take(prefix + n).shape, []);
          used.add(prefix + n);
        }
        for (let i = 0; i < o.moments; i++) {
          for (const kind of ['m', 'v']) {
            const name = `${prefix}${kind}/${i}`;
            checkShape(name, take(name).shape, vars[i]!.shape);
            used.add(name);
          }
        }
        return (n: string) => take(prefix + n);
      };
      const gOpt = optimizerTensors(G, 'generator', state.optimizers.generator);
      checkCheckpoint(
        (D === null) === (state.optimizers.discriminator === null),
        'checkpoint discriminator and discriminator optimizer state do not match',
      );
      const dOpt = D ? optimizerTensors(D, 'discriminator', state.optimizers.discriminator!) : null;
      const extra = Object.keys(tensors).filter((n) => !used.has(n));
      checkCheckpoint(extra.length === 0, `checkpoint has tensors the architecture does not use: ${extra.slice(0, 5).join(', ')}`);

      const loss = options.loss ?? rebuildLoss(state.loss);
      checkCheckpoint(
        !loss.usesDiscriminator || D !== null,
        'the checkpoint has no discriminator but the objective uses one (pass a matching `loss`)',
      );
      G.setWeights(gWeights);
      if (D) D.setWeights(dWeights);
      const trainer = new Trainer({
        generator: G,
        discriminator: D,
        loss,
        learningRate: state.learningRate,
        beta1: state.beta1,
        beta2: state.beta2,
        epsilon: state.epsilon,
        schedule: state.schedule,
        seed: state.seed,
      });
      created.push({ dispose: () => trainer.dispose() });
      importAdam(trainer.gOptimizer, state.optimizers.generator, gOpt, trainableVars(G));
      if (D && dOpt) importAdam(trainer.dOptimizer!, state.optimizers.discriminator!, dOpt, trainableVars(D));
      trainer.stepCount = state.step;
      trainer.epochCount = state.epoch;
      trainer.stepsInEpoch = state.stepInEpoch;
      trainer.runPlan = state.plan;
      trainer.generateCount = state.generateCount;
      created.length = 0;
      return trainer;
    } catch (e) {
      for (const c of created.reverse()) c.dispose();
      throw e;
    } finally {
      tf.dispose(Object.values(tensors));
    }
  }

  /** Frees the optimizers' state. The networks stay usable (dispose them yourself when done). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gOptimizer.dispose();
    this.dOptimizer?.dispose();
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('this Trainer has been disposed');
    if (this.busy) throw new Error('a training step is already running on this Trainer (await it before starting another)');
  }
}

function resolveHandler(target: CheckpointTarget, use: 'save' | 'load'): tf.io.IOHandler {
  if (typeof target !== 'string') {
    check(target != null && typeof target[use] === 'function', 'checkpoint handler', `a tf.io.IOHandler with ${use}()`, typeof target);
    return target;
  }
  const handlers = use === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  if (handlers.length === 0) {
    throw new Error(
      `no tf.io handler can ${use} '${target}': pass an IO handler, e.g. fileCheckpoint('${target}') from '@acme/pix2pix/node' in Node, or a URL such as 'indexeddb://name' in a browser`,
    );
  }
  if (handlers.length > 1) throw new Error(`several tf.io handlers match '${target}'; pass one explicitly`);
  return handlers[0]!;
}

function rebuildLoss(config: Record<string, string | number>): Objective {
  try {
    return compositeLoss(config as CompositeLossOptions);
  } catch (e) {
    throw new CheckpointError(
      `cannot rebuild the objective from the checkpoint's loss config ${JSON.stringify(config)}: ${(e as Error).message}; pass options.loss`,
    );
  }
}
