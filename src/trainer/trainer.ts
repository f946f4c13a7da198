/**
 * The Trainer: a thin coordinator that holds the networks, the objective, both Adam optimizers, the
 * counters and the schedule, and hands the work to its parts: one step and its rollback (`step.ts`),
 * the epoch loop (`fit.ts`), the checkpoint format (`checkpoint.ts`), generation (`model_state.ts`),
 * and the compatibility checks (`compatibility.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Objective } from '../losses/types.js';
import { deriveSeed } from '../util/random.js';
import { check, checkInt, checkKeys } from '../util/validate.js';
import { adamEpsilon, exportAdam, importAdam } from './adam_state.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, packTrainerTensors, unpackTrainerTensors, type TrainerCheckpointState } from './checkpoint.js';
import { checkpointLoadError, handlerSource, rebuildLoss, rebuildModel, resolveHandler } from './checkpoint_io.js';
import { checkBatchFits } from './compatibility.js';
import type { TrainingData } from './data.js';
import { NonFiniteWeightError } from './errors.js';
import { firstNonFinite } from './finite.js';
import { fitLoop, type FitHost } from './fit.js';
import { generate } from '../generator/generate.js';
import { dropoutLayers } from './model_state.js';
import {
  FIT_OPTION_KEYS,
  GENERATE_OPTION_KEYS,
  TRAINER_LOAD_OPTION_KEYS,
  resolveTrainerOptions,
  type CheckpointTarget,
  type FitOptions,
  type FitResult,
  type GenerateOptions,
  type StepStats,
  type TrainerLoadOptions,
  type TrainerOptions,
} from './options.js';
import {
  INITIAL_SCHEDULE_STATE,
  reportScheduleMetric,
  resolveSchedule,
  scheduleFactor,
  type ResolvedSchedule,
  type ScheduleOptions,
  type SchedulePlan,
  type ScheduleState,
} from './schedules/index.js';
import { trainingStep, type StepNetworks } from './step.js';

export { NonFiniteLossError, NonFiniteWeightError } from './errors.js';
export type {
  CheckpointTarget,
  EpochStats,
  FitOptions,
  FitResult,
  GenerateOptions,
  StepStats,
  TrainerLoadOptions,
  TrainerOptions,
} from './options.js';

/** A schedule as checkpoints store it: without a custom schedule's function. */
function storedSchedule(schedule: ResolvedSchedule): ResolvedSchedule {
  const { custom: _function, ...stored } = schedule;
  return stored;
}

const trainableVars = (model: tfl.LayersModel) => model.trainableWeights.map((w) => w.read() as tf.Variable);

/**
 * Trains a pix2pix generator/discriminator pair (paper section 3.3): per step one discriminator update,
 * then one generator update, each with its own Adam optimizer over its own network's trainable weights,
 * with batch norm in training mode. Runs on whatever backend `tf.getBackend()` is; imports none.
 *
 * - {@link Trainer.trainStep} runs one step on a batch; {@link Trainer.fit} runs epochs over a data set
 *   with a learning-rate schedule, callbacks and an AbortSignal.
 * - Steps are atomic: if a loss part, an updated weight or a moving statistic is NaN/Inf the step is
 *   undone ({@link NonFiniteLossError}, {@link NonFiniteWeightError}).
 * - {@link Trainer.save} / {@link Trainer.load} write and read checkpoints (networks, both Adam states,
 *   counters, seed, schedule) through any tfjs IO handler; a loaded Trainer continues bit-exactly.
 * - {@link Trainer.generate} translates images in `'inference'` or `'paper'` mode.
 *
 * Per step, the generator runs forward once in training mode (this pass updates its moving statistics,
 * as in the PyTorch reference); the discriminator update and the generator objective both use that
 * fake (see `step.ts`).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tf from '@tensorflow/tfjs-core';
 * import { Trainer, unetGenerator, patchDiscriminator, compositeLoss, facadeBatches } from '@acme/pix2pix';
 *
 * await tf.setBackend('cpu'); // any backend: the Trainer uses whichever is set
 * const trainer = new Trainer({
 *   generator: unetGenerator({ imageSize: 32, filters: 8, seed: 1 }),
 *   discriminator: patchDiscriminator({ receptiveField: 16, filters: 8, seed: 2 }),
 *   loss: compositeLoss({ lambda: 100 }),
 *   seed: 3,
 * });
 * await trainer.fit(facadeBatches({ count: 8, size: 32, seed: 4 }), {
 *   epochs: 2,
 *   onStep: (s) => console.log(s.step, s.gLoss, s.dLoss), // plain numbers, no tensors
 * });
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
  private readonly nets: StepNetworks;
  private stepCount = 0;
  private epochCount = 0;
  private stepsInEpoch = 0;
  private runPlan: SchedulePlan | null = null;
  private scheduleState: ScheduleState = INITIAL_SCHEDULE_STATE;
  private generateCount = 0;
  private busy = false;
  private disposed = false;

  /** @param options - see {@link TrainerOptions}. */
  constructor(options: TrainerOptions) {
    const { D, loss, learningRate, beta1, beta2, seed } = resolveTrainerOptions(options);
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
    this.nets = { generator: this.generator, discriminator: D, loss, gOptimizer: this.gOptimizer, dOptimizer: this.dOptimizer, gDropout: this.gDropout };
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

  /** The learning rate the next step uses: base rate x the schedule's factor for the next step. */
  get currentLearningRate(): number {
    return this.learningRate * scheduleFactor(this.schedule, { step: this.stepCount, epoch: this.epochCount }, this.runPlan, this.scheduleState);
  }

  /**
   * Reports a metric (lower is better, e.g. a validation L1) to a `'plateau'` schedule, the PyTorch
   * reference's `ReduceLROnPlateau`: after more than `patience` reports without a relative improvement
   * of `threshold`, the rate is multiplied by `factor`. The state is saved in checkpoints.
   *
   * @param value - the metric, a finite number.
   * @returns The learning rate the next step uses.
   */
  reportMetric(value: number): number {
    this.assertUsable();
    this.scheduleState = reportScheduleMetric(this.schedule, this.scheduleState, value, this.learningRate);
    return this.currentLearningRate;
  }

  /**
   * One training step on one batch: a discriminator update (skipped when `loss.usesDiscriminator` is
   * false), then a generator update. The batch stays owned by the caller. Resolves to plain numbers.
   *
   * @param batch - `input` and `target`, NHWC in [-1, 1], same batch size and spatial size; channels
   *   and size must fit the networks (checked, with a message naming both sides).
   * @throws NonFiniteLossError when a loss part is NaN/Inf, NonFiniteWeightError when an updated weight
   *   or moving statistic is: nothing changed (weights, moving statistics, optimizer state, counters),
   *   so the caller may skip the batch and go on.
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
    checkBatchFits(this.generator, this.loss.usesDiscriminator ? this.discriminator : null, input, target);
    this.busy = true;
    try {
      const learningRate = this.currentLearningRate;
      const losses = await trainingStep(this.nets, input, target, { step: this.stepCount, seed: this.seed, learningRate });
      this.stepCount++;
      this.stepsInEpoch++;
      return {
        step: this.stepCount,
        epoch: this.epochCount,
        learningRate,
        gLoss: losses.generator.total ?? NaN,
        dLoss: losses.discriminator.total ?? 0,
        generator: losses.generator,
        discriminator: losses.discriminator,
      };
    } finally {
      this.busy = false;
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
    checkKeys(options, FIT_OPTION_KEYS, 'Trainer.fit');
    checkInt(options?.epochs, 'epochs', 0);
    const epochsDecay = options.epochsDecay ?? 0;
    checkInt(epochsDecay, 'epochsDecay', 0);
    if (options.stepsPerEpoch !== undefined) checkInt(options.stepsPerEpoch, 'stepsPerEpoch', 1);
    if (options.metric !== undefined) {
      check(typeof options.metric === 'function' && this.schedule.policy === 'plateau', 'metric', "a function, with schedule policy 'plateau'", this.schedule.policy);
    }
    if (options.epochCount !== undefined) {
      checkInt(options.epochCount, 'epochCount', 1);
      if (this.stepCount === 0 && this.epochCount === 0) this.epochCount = options.epochCount - 1;
    }
    this.runPlan = options.stepsPerEpoch === undefined ? { epochs: options.epochs, epochsDecay } : { epochs: options.epochs, epochsDecay, stepsPerEpoch: options.stepsPerEpoch };
    const host: FitHost = {
      step: () => this.stepCount,
      epoch: () => this.epochCount,
      stepInEpoch: () => this.stepsInEpoch,
      learningRate: () => this.currentLearningRate,
      trainStep: (b) => this.trainStep(b),
      endEpoch: () => {
        this.epochCount++;
        this.stepsInEpoch = 0;
      },
      reportMetric: (value) => void this.reportMetric(value),
    };
    return fitLoop(host, data, options.epochs + epochsDecay, options);
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
    checkKeys(options, GENERATE_OPTION_KEYS, 'Trainer.generate');
    const mode = options.mode ?? 'inference';
    const seed = mode === 'paper' ? (options.seed ?? deriveSeed(this.seed, 'generate', this.generateCount++)) : undefined;
    return generate(this.generator, input, { mode, ...(seed === undefined ? {} : { seed }) });
  }

  /**
   * Writes a checkpoint: both networks (topology and weights), both Adam states (step counts and
   * moments), the step/epoch counters, the schedule and run plan, the seed and the loss config.
   * Refuses (before writing anything) when a weight, moving statistic or optimizer moment is NaN or
   * infinite, naming the tensor.
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
    const generatorAdam = exportAdam(this.gOptimizer);
    const discriminatorAdam = this.dOptimizer ? exportAdam(this.dOptimizer) : null;
    const tensors = packTrainerTensors({ generator: G, discriminator: D, generatorAdam, discriminatorAdam });
    const bad = await firstNonFinite(tensors);
    if (bad !== null) {
      throw new NonFiniteWeightError(this.stepCount, bad, `refusing to save a checkpoint: '${bad}' holds NaN or Infinity`);
    }
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
      schedule: storedSchedule(this.schedule),
      scheduleState: this.scheduleState,
      loss: { ...this.loss.config },
      optimizers: {
        generator: { iterations: generatorAdam.iterations, moments: generatorAdam.m.length },
        discriminator: discriminatorAdam ? { iterations: discriminatorAdam.iterations, moments: discriminatorAdam.m.length } : null,
      },
    };
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
    checkKeys(options, TRAINER_LOAD_OPTION_KEYS, 'Trainer.load');
    const handler = resolveHandler(source, 'load');
    try {
      return await Trainer.fromArtifacts(await handler.load!(), options);
    } catch (e) {
      throw checkpointLoadError(e, handlerSource(handler)); // errors of the file name it
    }
  }

  private static async fromArtifacts(artifacts: tf.io.ModelArtifacts, options: TrainerLoadOptions): Promise<Trainer> {
    const decoded = decodeCheckpoint(artifacts);
    const { state, tensors } = decoded;
    const created: Array<{ dispose(): unknown }> = [];
    try {
      const G = await rebuildModel(decoded.generatorTopology, 'generator');
      created.push(G);
      const D = decoded.discriminatorTopology ? await rebuildModel(decoded.discriminatorTopology, 'discriminator') : null;
      if (D) created.push(D);
      const unpacked = unpackTrainerTensors(decoded, G, D);
      const loss = options.loss ?? rebuildLoss(state.loss);
      if (state.schedule.policy === 'custom' && options.schedule === undefined) {
        throw new CheckpointError('the checkpoint was trained with a schedule function, which checkpoints cannot hold: pass it again as options.schedule');
      }
      if (loss.usesDiscriminator && D === null) {
        throw new CheckpointError('the checkpoint has no discriminator but the objective uses one (pass a matching `loss`)');
      }
      G.setWeights(unpacked.generatorWeights);
      if (D) D.setWeights(unpacked.discriminatorWeights);
      const trainer = new Trainer({
        generator: G,
        discriminator: D,
        loss,
        learningRate: state.learningRate,
        beta1: state.beta1,
        beta2: state.beta2,
        epsilon: state.epsilon,
        schedule: options.schedule ?? (state.schedule as ScheduleOptions),
        seed: state.seed,
      });
      created.push({ dispose: () => trainer.dispose() });
      importAdam(trainer.gOptimizer, unpacked.generatorAdam, trainableVars(G));
      if (D && unpacked.discriminatorAdam) importAdam(trainer.dOptimizer!, unpacked.discriminatorAdam, trainableVars(D));
      trainer.stepCount = state.step;
      trainer.epochCount = state.epoch;
      trainer.stepsInEpoch = state.stepInEpoch;
      trainer.runPlan = state.plan;
      if (state.scheduleState && trainer.schedule.policy === state.schedule.policy) trainer.scheduleState = state.scheduleState;
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
