/**
 * Exact access to the state of a tfjs `AdamOptimizer` (tfjs-core 4.22), and its update step applied
 * one variable at a time ({@link applyAdam}): learning rate, the bias
 * correction accumulators `beta^t`, the step count and the first/second moments, in the positional
 * order Adam itself uses (moment `i` belongs to the `i`-th variable of the var list it was stepped with).
 *
 * Adam's public `getWeights()`/`setWeights()` name moments after global variable names and rebuild the
 * accumulators with `pow(beta, t + 1)`, which differs in the last bits from the product Adam keeps while
 * training; resuming through them would not be bit-exact. This module is the one place that reads those
 * fields, and it fails loudly if a tfjs version lays them out differently.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from '../backends/wasm/adam_update.js';

interface MomentSlot {
  originalName: string;
  variable: tf.Variable;
}

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: MomentSlot[];
  accumulatedSecondMoment: MomentSlot[];
  iterations_: number;
}

function internals(optimizer: tf.AdamOptimizer): AdamInternals {
  const o = optimizer as unknown as AdamInternals;
  const isVar = (v: unknown) => typeof (v as tf.Variable | undefined)?.assign === 'function';
  if (o.iterations_ == null) o.iterations_ = optimizer.iterations; // lazily initialised by tfjs
  if (
    !isVar(o.accBeta1) ||
    !isVar(o.accBeta2) ||
    !Array.isArray(o.accumulatedFirstMoment) ||
    !Array.isArray(o.accumulatedSecondMoment) ||
    typeof o.iterations_ !== 'number' ||
    typeof o.learningRate !== 'number'
  ) {
    throw new Error(
      'this version of @tensorflow/tfjs-core lays out AdamOptimizer differently from 4.22; the Trainer cannot save or roll back its state',
    );
  }
  return o;
}

/** Sets the learning rate used by the next `applyGradients`. */
export function setAdamLearningRate(optimizer: tf.AdamOptimizer, learningRate: number): void {
  internals(optimizer).learningRate = learningRate;
}

/**
 * One Adam update of `list` (in var-list order; a `null` gradient leaves its variable and moments
 * alone), equal bit for bit to `optimizer.applyGradients(list)`: the same formula and operation order,
 * the same positional moment slots (created on first use under the same names), the same
 * `beta^t` products and iteration count. The difference is memory: tfjs runs the whole update in one
 * `tidy`, so the ~10 parameter-sized temporaries of every variable stay allocated until the last
 * variable is done (about 3 GB for the 256x256 U-Net); here each variable's temporaries are freed
 * before the next variable starts.
 */
export function applyAdam(optimizer: tf.AdamOptimizer, list: readonly { name: string; tensor: tf.Tensor | null }[]): void {
  const o = internals(optimizer);
  const { beta1, beta2, epsilon, learningRate } = o;
  const oneMinusAccBeta1 = tf.sub(1, o.accBeta1);
  const oneMinusAccBeta2 = tf.sub(1, o.accBeta2);
  // Backends with the fused update (wasm, after enableWasmTraining()) run each variable's update as one
  // kernel, bit for bit the op sequence below; the others run the ops.
  const fused = tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
  const attrs: AdamUpdateAttrs | null = fused
    ? {
        beta1,
        beta2,
        oneMinusAccBeta1: oneMinusAccBeta1.dataSync()[0]!,
        oneMinusAccBeta2: oneMinusAccBeta2.dataSync()[0]!,
        epsilon,
        learningRate,
      }
    : null;
  try {
    list.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name];
      if (value === undefined) throw new Error(`applyAdam: no variable named '${name}'`);
      o.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      o.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (gradient == null) return;
      const m = o.accumulatedFirstMoment[i].variable;
      const v = o.accumulatedSecondMoment[i].variable;
      tf.tidy(() => {
        if (attrs !== null && gradient.dtype === 'float32' && value.dtype === 'float32') {
          const inputs = { m, v, value, gradient } as unknown as tf.NamedTensorMap;
          const [mNext, vNext, valueNext] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          m.assign(mNext!);
          v.assign(vNext!);
          value.assign(valueNext!);
          return;
        }
        const mNext = tf.add(tf.mul(m, beta1), tf.mul(gradient, 1 - beta1));
        const vNext = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gradient), 1 - beta2));
        const mHat = tf.div(mNext, oneMinusAccBeta1);
        const vHat = tf.div(vNext, oneMinusAccBeta2);
        m.assign(mNext);
        v.assign(vNext);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -learningRate), value));
      });
    });
    tf.tidy(() => {
      o.accBeta1.assign(tf.mul(o.accBeta1, beta1));
      o.accBeta2.assign(tf.mul(o.accBeta2, beta2));
    });
  } finally {
    tf.dispose([oneMinusAccBeta1, oneMinusAccBeta2]);
  }
  o.iterations_ = o.iterations_ + 1;
}

/** The epsilon Adam resolved at construction (the backend's epsilon when none was given). */
export function adamEpsilon(optimizer: tf.AdamOptimizer): number {
  return internals(optimizer).epsilon;
}

/** Copies of an Adam state; hold tensors until {@link disposeAdamSnapshot}. */
export interface AdamSnapshot {
  iterations: number;
  accBeta1: tf.Tensor;
  accBeta2: tf.Tensor;
  m: tf.Tensor[];
  v: tf.Tensor[];
}

/** Takes a snapshot (tfjs clones share storage, so this copies no data). */
export function snapshotAdam(optimizer: tf.AdamOptimizer): AdamSnapshot {
  const o = internals(optimizer);
  return {
    iterations: o.iterations_,
    accBeta1: tf.clone(o.accBeta1),
    accBeta2: tf.clone(o.accBeta2),
    m: o.accumulatedFirstMoment.map((s) => tf.clone(s.variable)),
    v: o.accumulatedSecondMoment.map((s) => tf.clone(s.variable)),
  };
}

/** Puts a snapshot back; moments created after the snapshot are disposed and dropped. */
export function restoreAdam(optimizer: tf.AdamOptimizer, snap: AdamSnapshot): void {
  const o = internals(optimizer);
  o.iterations_ = snap.iterations;
  o.accBeta1.assign(snap.accBeta1);
  o.accBeta2.assign(snap.accBeta2);
  const restoreSlots = (slots: MomentSlot[], saved: tf.Tensor[]) => {
    for (let i = 0; i < saved.length; i++) slots[i]!.variable.assign(saved[i]!);
    for (const extra of slots.splice(saved.length)) extra.variable.dispose();
  };
  restoreSlots(o.accumulatedFirstMoment, snap.m);
  restoreSlots(o.accumulatedSecondMoment, snap.v);
}

/** Frees a snapshot's tensors. */
export function disposeAdamSnapshot(snap: AdamSnapshot): void {
  tf.dispose([snap.accBeta1, snap.accBeta2, ...snap.m, ...snap.v]);
}

/**
 * An Adam state as tensors (references to the live optimizer tensors on export, not copies). Moment `i`
 * belongs to the `i`-th variable of the var list the optimizer is stepped with; the checkpoint module
 * names and stores them.
 */
export interface AdamTensors {
  /** Number of updates applied so far. */
  iterations: number;
  /** `beta1^(t+1)`, the product Adam keeps for bias correction. */
  accBeta1: tf.Tensor;
  /** `beta2^(t+1)`. */
  accBeta2: tf.Tensor;
  /** First moments, positional (empty before the first update). */
  m: tf.Tensor[];
  /** Second moments, positional. */
  v: tf.Tensor[];
}

/** Reads the state (live references, for saving). */
export function exportAdam(optimizer: tf.AdamOptimizer): AdamTensors {
  const o = internals(optimizer);
  return {
    iterations: o.iterations_,
    accBeta1: o.accBeta1,
    accBeta2: o.accBeta2,
    m: o.accumulatedFirstMoment.map((s) => s.variable),
    v: o.accumulatedSecondMoment.map((s) => s.variable),
  };
}

/**
 * Installs a state into a fresh optimizer, copying the tensors into new variables; `vars` is the var
 * list the optimizer will be stepped with.
 */
export function importAdam(optimizer: tf.AdamOptimizer, state: AdamTensors, vars: readonly tf.Variable[]): void {
  const o = internals(optimizer);
  if (o.accumulatedFirstMoment.length > 0) throw new Error('importAdam needs a fresh optimizer');
  if (state.m.length !== state.v.length || state.m.length > vars.length) {
    throw new Error(`importAdam: ${state.m.length} first and ${state.v.length} second moments for ${vars.length} variables`);
  }
  o.iterations_ = state.iterations;
  o.accBeta1.assign(state.accBeta1);
  o.accBeta2.assign(state.accBeta2);
  state.m.forEach((m, i) => {
    const name = vars[i]!.name;
    o.accumulatedFirstMoment.push({ originalName: `${name}/m`, variable: tf.variable(m, false) });
    o.accumulatedSecondMoment.push({ originalName: `${name}/v`, variable: tf.variable(state.v[i]!, false) });
  });
}
