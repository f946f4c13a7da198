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
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from './adam_state.js';
import { validateCheckpointContents } from './checkpoint_validation.js';
import { SCHEDULE_POLICIES, type ResolvedSchedule, type SchedulePlan } from './schedules/index.js';

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
  /** Learning-rate policy. */
  schedule: ResolvedSchedule;
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
  if (s.plan !== null && !(isObject(s.plan) && isCount(s.plan.epochs) && isCount(s.plan.epochsDecay))) bad('plan', s.plan);
  const sch = s.schedule;
  if (!isObject(sch) || !(SCHEDULE_POLICIES as readonly unknown[]).includes(sch.policy) || !isCount(sch.stepSize) || !isFiniteNumber(sch.gamma)) {
    bad('schedule', sch);
  }
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

