/**
 * The Trainer checkpoint format: one `tf.io.ModelArtifacts`, so any tfjs IO handler (files, IndexedDB,
 * HTTP, memory) can store it.
 *
 * - `modelTopology` (JSON): `{ format: 'acme-pix2pix-checkpoint', version: 1, generator, discriminator,
 *   trainer }` where `generator` / `discriminator` are the tfjs-layers model topologies (`model.toJSON()`)
 *   and `trainer` is {@link TrainerCheckpointState} (counters, seed, schedule, hyper-parameters, loss
 *   config, optimizer step counts).
 * - `weightSpecs` + `weightData`: every tensor, named `generator/<weight>`, `discriminator/<weight>`
 *   (tfjs-layers weight names, which the saved topologies reproduce) and
 *   `optimizer/<network>/{acc_beta1, acc_beta2, m/<i>, v/<i>}` (Adam state, positional: moment `i`
 *   belongs to trainable weight `i` of that network, never a global variable name).
 *
 * This module is the one place those names are spelled: {@link packTrainerTensors} names a Trainer's
 * tensors for saving, {@link unpackTrainerTensors} finds and checks them when loading, and
 * {@link weightName} names a variable in error messages.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AdamTensors } from './adam_state.js';
import { validateCheckpointContents } from './checkpoint_validation.js';
import { SCHEDULE_POLICIES, type ResolvedSchedule, type SchedulePlan, type ScheduleState } from './schedules/index.js';

/** A tensor with a name, as tfjs IO encodes them. */
export interface NamedTensor {
  /** Name in the checkpoint. */
  name: string;
  /** The tensor. */
  tensor: tf.Tensor;
}

/** The two networks of a Trainer, as they prefix their tensors' names. */
export type NetworkRole = 'generator' | 'discriminator';

/** Value of `modelTopology.format` in every Trainer checkpoint. */
export const CHECKPOINT_FORMAT = 'acme-pix2pix-checkpoint';
/** Version of the checkpoint layout this package writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** Step count and number of moment pairs of one Adam optimizer. */
export interface OptimizerCheckpointState {
  /** Updates applied so far. */
  iterations: number;
  /** Moment pairs stored (0 before the first update). */
  moments: number;
}

/** The Trainer's scalar state, stored as JSON in every checkpoint. */
export interface TrainerCheckpointState {
  /** Completed training steps. */
  step: number;
  /** Current 0-based epoch (completed epochs). */
  epoch: number;
  /** Steps completed within the current epoch. */
  stepInEpoch: number;
  /** The run plan of the last `fit` (null before any). */
  plan: SchedulePlan | null;
  /** Base seed of the run. */
  seed: number;
  /** Number of paper-mode `generate` calls made (their dropout seeds derive from it). */
  generateCount: number;
  /** Base learning rate. */
  learningRate: number;
  /** Adam beta1. */
  beta1: number;
  /** Adam beta2. */
  beta2: number;
  /** Adam epsilon. */
  epsilon: number;
  /** Learning-rate policy (a `'custom'` one without its function). */
  schedule: ResolvedSchedule;
  /** The schedule's running state (the plateau policy's); absent in checkpoints written before it existed. */
  scheduleState?: ScheduleState;
  /** The objective's resolved options (`Objective.config`). */
  loss: Record<string, string | number>;
  /** Adam state of each network. */
  optimizers: CheckpointOptimizers;
}

/** The Adam step counts stored in a checkpoint, per network. */
export interface CheckpointOptimizers {
  /** The generator's optimizer. */
  generator: OptimizerCheckpointState;
  /** The discriminator's optimizer (null when the run has no discriminator). */
  discriminator: OptimizerCheckpointState | null;
}

/** What a Trainer hands to {@link encodeCheckpoint}. */
export interface CheckpointContents {
  /** Scalar state. */
  state: TrainerCheckpointState;
  /** Generator topology (`model.toJSON(null, false)`). */
  generatorTopology: object;
  /** Discriminator topology, or null. */
  discriminatorTopology: object | null;
  /** Named tensors (live references; they are only read). */
  tensors: NamedTensor[];
}

/** A checkpoint read back: its tensors are new and owned by the caller. */
export interface DecodedCheckpoint {
  /** Scalar state. */
  state: TrainerCheckpointState;
  /** Generator topology. */
  generatorTopology: object;
  /** Discriminator topology, or null. */
  discriminatorTopology: object | null;
  /** All tensors by name. */
  tensors: tf.NamedTensorMap;
}

/** Thrown for any checkpoint that cannot be loaded; the message says what is wrong. */
export class CheckpointError extends Error {
  /** @param message - what is wrong with the checkpoint. */
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Packs a checkpoint into model artifacts. */
export async function encodeCheckpoint(c: CheckpointContents): Promise<tf.io.ModelArtifacts> {
  const names = new Set<string>();
  for (const t of c.tensors) {
    if (names.has(t.name)) throw new Error(`checkpoint tensor name '${t.name}' is used twice (two weights with one name?)`);
    names.add(t.name);
  }
  const { data, specs } = await tf.io.encodeWeights(c.tensors);
  return {
    format: CHECKPOINT_FORMAT,
    generatedBy: '@acme/pix2pix',
    convertedBy: null,
    modelTopology: {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      generator: c.generatorTopology,
      discriminator: c.discriminatorTopology,
      trainer: c.state,
    },
    weightSpecs: specs,
    weightData: data,
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (per === undefined) throw new CheckpointError(`checkpoint tensor '${spec.name}' has unsupported dtype '${dtype}'`);
  return size * per;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
const isFiniteNumber = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

function validateState(s: unknown): TrainerCheckpointState {
  const bad = (field: string, value: unknown): never => {
    throw new CheckpointError(`checkpoint trainer state is invalid: ${field} (got ${JSON.stringify(value)})`);
  };
  if (!isObject(s)) return bad('trainer', s);
  for (const k of ['step', 'epoch', 'stepInEpoch', 'seed', 'generateCount'] as const) if (!isCount(s[k])) bad(k, s[k]);
  for (const k of ['learningRate', 'beta1', 'beta2', 'epsilon'] as const) if (!isFiniteNumber(s[k])) bad(k, s[k]);
  const okPlan = (p: Record<string, unknown>) => isCount(p.epochs) && isCount(p.epochsDecay) && (p.stepsPerEpoch === undefined || isCount(p.stepsPerEpoch));
  if (s.plan !== null && !(isObject(s.plan) && okPlan(s.plan))) bad('plan', s.plan);
  const sch = s.schedule;
  const okPlateau = (p: unknown) => p === undefined || (isObject(p) && isFiniteNumber(p.factor) && isFiniteNumber(p.threshold) && isCount(p.patience));
  if (
    !isObject(sch) ||
    ![...SCHEDULE_POLICIES, 'custom'].includes(sch.policy as string) ||
    !isCount(sch.stepSize) ||
    !isFiniteNumber(sch.gamma) ||
    !(sch.unit === undefined || sch.unit === 'step') ||
    !okPlateau(sch.plateau)
  ) {
    bad('schedule', sch);
  }
  const st = s.scheduleState;
  const okState = (p: unknown) => isObject(p) && (p.best === null || isFiniteNumber(p.best)) && isCount(p.badReports) && isFiniteNumber(p.factor);
  if (st !== undefined && !(isObject(st) && okState(st.plateau))) bad('scheduleState', st);
  if (!isObject(s.loss)) bad('loss', s.loss);
  const opt = s.optimizers;
  const okOpt = (o: unknown) => isObject(o) && isCount(o.iterations) && isCount(o.moments);
  if (!isObject(opt) || !okOpt(opt.generator) || !(opt.discriminator === null || okOpt(opt.discriminator))) bad('optimizers', opt);
  return s as unknown as TrainerCheckpointState;
}

/**
 * Reads and validates artifacts written by {@link encodeCheckpoint}: format and version, the scalar
 * state, and that the weight data holds exactly the bytes its specs describe (truncation is caught here,
 * before any tensor is made). Throws {@link CheckpointError}.
 */
export function decodeCheckpoint(artifacts: tf.io.ModelArtifacts | undefined | null): DecodedCheckpoint {
  if (!artifacts) throw new CheckpointError('the IO handler returned no checkpoint');
  const topo = artifacts.modelTopology;
  if (!isObject(topo) || topo.format !== CHECKPOINT_FORMAT) {
    const got = isObject(topo) ? topo.format ?? topo.class_name : typeof topo;
    throw new CheckpointError(
      `not a @acme/pix2pix Trainer checkpoint (modelTopology.format is ${JSON.stringify(got)}, expected '${CHECKPOINT_FORMAT}')`,
    );
  }
  if (topo.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`unsupported checkpoint version ${JSON.stringify(topo.version)} (this package reads version ${CHECKPOINT_VERSION})`);
  }
  const state = validateState(topo.trainer);
  if (!isObject(topo.generator)) throw new CheckpointError('checkpoint has no generator topology');
  if (topo.discriminator !== null && !isObject(topo.discriminator)) throw new CheckpointError('checkpoint discriminator topology is invalid');
  const specs = artifacts.weightSpecs;
  if (!Array.isArray(specs) || artifacts.weightData == null) {
    throw new CheckpointError('checkpoint has no weights (weight specs or weight data missing)');
  }
  const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  validateCheckpointContents({ generator: topo.generator, discriminator: topo.discriminator, specs, data });
  const expected = specs.reduce((n, s) => n + specBytes(s), 0);
  if (data.byteLength !== expected) {
    throw new CheckpointError(
      `checkpoint weight data is ${data.byteLength} bytes but its manifest describes ${expected} bytes (truncated or mismatched weights file)`,
    );
  }
  const tensors = tf.io.decodeWeights(data, specs);
  return {
    state,
    generatorTopology: topo.generator,
    discriminatorTopology: (topo.discriminator as object | null) ?? null,
    tensors,
  };
}

/** Checks a shape equality for a checkpoint tensor, with a message that names the tensor. */
export function checkShape(name: string, got: readonly number[], want: readonly (number | null)[]): void {
  const same = got.length === want.length && got.every((d, i) => d === want[i]);
  if (!same) {
    throw new CheckpointError(
      `checkpoint tensor '${name}' has shape [${got.join(', ')}] but the architecture needs [${want.join(', ')}] (checkpoint of a different architecture?)`,
    );
  }
}

/** Asserts a condition about a checkpoint, throwing {@link CheckpointError}. */
export function checkCheckpoint(ok: boolean, message: string): void {
  if (!ok) throw new CheckpointError(message);
}


/** The checkpoint name of a network's weight: `generator/<originalName>` (also used in error messages). */
export function weightName(role: NetworkRole, weight: { originalName: string }): string {
  return `${role}/${weight.originalName}`;
}

const optimizerName = (role: NetworkRole, part: string) => `optimizer/${role}/${part}`;

/** The tensors a checkpoint stores: both networks' weights and both Adam states. */
export interface TrainerTensors {
  /** The generator. */
  generator: tfl.LayersModel;
  /** The discriminator, or null. */
  discriminator: tfl.LayersModel | null;
  /** The generator optimizer's state. */
  generatorAdam: AdamTensors;
  /** The discriminator optimizer's state, or null. */
  discriminatorAdam: AdamTensors | null;
}

/** Names every tensor of a Trainer for {@link encodeCheckpoint} (live references, nothing copied). */
export function packTrainerTensors(t: TrainerTensors): NamedTensor[] {
  const weights = (role: NetworkRole, model: tfl.LayersModel) => model.weights.map((w) => ({ name: weightName(role, w), tensor: w.read() }));
  const adam = (role: NetworkRole, a: AdamTensors): NamedTensor[] => [
    { name: optimizerName(role, 'acc_beta1'), tensor: a.accBeta1 },
    { name: optimizerName(role, 'acc_beta2'), tensor: a.accBeta2 },
    ...a.m.map((tensor, i) => ({ name: optimizerName(role, `m/${i}`), tensor })),
    ...a.v.map((tensor, i) => ({ name: optimizerName(role, `v/${i}`), tensor })),
  ];
  return [
    ...weights('generator', t.generator),
    ...(t.discriminator ? weights('discriminator', t.discriminator) : []),
    ...adam('generator', t.generatorAdam),
    ...(t.discriminatorAdam ? adam('discriminator', t.discriminatorAdam) : []),
  ];
}

/** The tensors of a decoded checkpoint, matched to rebuilt networks (still owned by the decoded map). */
export interface UnpackedTensors {
  /** Generator weights in `generator.weights` order. */
  generatorWeights: tf.Tensor[];
  /** Discriminator weights in `discriminator.weights` order (empty without one). */
  discriminatorWeights: tf.Tensor[];
  /** The generator optimizer's state. */
  generatorAdam: AdamTensors;
  /** The discriminator optimizer's state, or null. */
  discriminatorAdam: AdamTensors | null;
}

/**
 * Finds every tensor the rebuilt networks need in a decoded checkpoint and checks its shape; missing,
 * misshaped and unused tensors are {@link CheckpointError}s naming the tensor.
 */
export function unpackTrainerTensors(
  decoded: Pick<DecodedCheckpoint, 'state' | 'tensors'>,
  generator: tfl.LayersModel,
  discriminator: tfl.LayersModel | null,
): UnpackedTensors {
  const { state, tensors } = decoded;
  const used = new Set<string>();
  const take = (name: string, shape: readonly (number | null)[]): tf.Tensor => {
    const t = tensors[name];
    checkCheckpoint(t !== undefined, `checkpoint tensor '${name}' is missing`);
    checkShape(name, t!.shape, shape);
    used.add(name);
    return t!;
  };
  const weights = (role: NetworkRole, model: tfl.LayersModel) => model.weights.map((w) => take(weightName(role, w), w.shape));
  const adam = (role: NetworkRole, model: tfl.LayersModel, o: OptimizerCheckpointState): AdamTensors => {
    const vars = model.trainableWeights;
    checkCheckpoint(
      o.moments === 0 || o.moments === vars.length,
      `checkpoint ${role} optimizer has ${o.moments} moment pairs but the ${role} has ${vars.length} trainable weights`,
    );
    const moments = (kind: 'm' | 'v') =>
      Array.from({ length: o.moments }, (_, i) => take(optimizerName(role, `${kind}/${i}`), vars[i]!.shape));
    return {
      iterations: o.iterations,
      accBeta1: take(optimizerName(role, 'acc_beta1'), []),
      accBeta2: take(optimizerName(role, 'acc_beta2'), []),
      m: moments('m'),
      v: moments('v'),
    };
  };
  const generatorWeights = weights('generator', generator);
  const discriminatorWeights = discriminator ? weights('discriminator', discriminator) : [];
  const generatorAdam = adam('generator', generator, state.optimizers.generator);
  checkCheckpoint(
    (discriminator === null) === (state.optimizers.discriminator === null),
    'checkpoint discriminator and discriminator optimizer state do not match',
  );
  const discriminatorAdam = discriminator ? adam('discriminator', discriminator, state.optimizers.discriminator!) : null;
  const extra = Object.keys(tensors).filter((n) => !used.has(n));
  checkCheckpoint(extra.length === 0, `checkpoint has tensors the architecture does not use: ${extra.slice(0, 5).join(', ')}`);
  return { generatorWeights, discriminatorWeights, generatorAdam, discriminatorAdam };
}
