/**
 * One pix2pix training step and its rollback (paper section 3.3): a discriminator update on the fake,
 * then a generator update against the updated discriminator, each with its own Adam optimizer. The
 * generator runs forward once per step: the discriminator update runs inside the generator's gradient
 * scope, on the very fake the generator objective then differentiates (with the discriminator's own
 * work kept off the generator's tape), as the PyTorch reference computes `fake` once.
 *
 * A step is atomic: before the generator's update is applied, one device read brings the losses of both
 * objectives and the finiteness of the generator's gradients, of both networks' moving statistics and
 * of the discriminator's updated weights; if any is NaN/Inf, what the step changed so far (the moving
 * statistics, the discriminator and its optimizer) is put back, the generator's update is never applied,
 * and a {@link NonFiniteLossError} / {@link NonFiniteWeightError} is thrown. Finite gradients give a
 * finite Adam update, so the generator's weights and moments need no snapshot (at 256x256 a snapshot
 * of them would hold ~650 MB until the read).
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LossParts, Objective, ObjectiveArgs } from '../losses/types.js';
import { withFrozenWeights } from '../backends/frozen_weights.js';
import { deriveSeed } from '../util/random.js';
import { check } from '../util/validate.js';
import { applyAdam, disposeAdamSnapshot, restoreAdam, setAdamLearningRate, snapshotAdam, type AdamSnapshot } from './adam_state.js';
import { weightName } from './checkpoint.js';
import { NonFiniteLossError, NonFiniteWeightError } from './errors.js';
import { firstNonFiniteIndex, nonFiniteMarkers, readScalars } from './finite.js';
import { restoreVariables, snapshotVariables, withDropoutSeeds } from './model_state.js';
import { disposeAbandonedTape, withoutTape } from './tape.js';

/** What a step trains: the networks, their optimizers and the objective. */
export interface StepNetworks {
  /** The generator. */
  readonly generator: tfl.LayersModel;
  /** The discriminator, or null for objectives without one. */
  readonly discriminator: tfl.LayersModel | null;
  /** The objective. */
  readonly loss: Objective;
  /** The generator's optimizer. */
  readonly gOptimizer: tf.AdamOptimizer;
  /** The discriminator's optimizer, or null. */
  readonly dOptimizer: tf.AdamOptimizer | null;
  /** The generator's dropout layers (`dropoutLayers(generator)`). */
  readonly gDropout: readonly tfl.layers.Layer[];
}

/** Where a step sits in the run. */
export interface StepPosition {
  /** Steps completed before this one (0 for the first). */
  readonly step: number;
  /** The run's base seed. */
  readonly seed: number;
  /** Learning rate of both optimizers in this step. */
  readonly learningRate: number;
}

/** Loss parts of one step, as plain numbers. */
export interface StepLosses {
  /** Every part the generator objective reported. */
  generator: Record<string, number>;
  /** Every part the discriminator objective reported (empty when it did not run). */
  discriminator: Record<string, number>;
}

/**
 * The seeds of step `step` (0-based) of a run seeded `seed`: the dropout masks of the generator's
 * forward pass, and the objective's own randomness (the WGAN-GP interpolation weights).
 */
export function stepSeeds(seed: number, step: number): { dropout: number; loss: number } {
  return { dropout: deriveSeed(seed, 'dropout', step), loss: deriveSeed(seed, 'loss', step) };
}

const NO_DISCRIMINATOR = new Proxy({} as tfl.LayersModel, {
  get() {
    throw new Error('this Trainer has no discriminator (its objective has usesDiscriminator: false)');
  },
});

const trainableVars = (model: tfl.LayersModel) => model.trainableWeights.map((w) => w.read() as tf.Variable);

/** Gradients of `objective().total` over `vars`, with every part kept for the caller. */
function gradientsOf(optimizer: tf.AdamOptimizer, vars: tf.Variable[], objective: () => LossParts): { parts: LossParts; grads: tf.NamedTensorMap } {
  let parts: LossParts | null = null;
  const { value, grads } = optimizer.computeGradients(() => {
    const p = objective();
    check(p != null && p.total instanceof tf.Tensor && p.total.rank === 0, 'objective total', 'a scalar tensor', p?.total?.shape);
    for (const t of Object.values(p)) tf.keep(t);
    parts = p;
    return p.total;
  }, vars);
  if (value !== (parts as unknown as LossParts).total) value.dispose(); // otherwise disposed with the parts
  return { parts: parts as unknown as LossParts, grads };
}

/** Applies gradients in var-list order (missing ones as null, so Adam's positional state stays aligned). */
function applyGradients(optimizer: tf.AdamOptimizer, vars: tf.Variable[], grads: tf.NamedTensorMap): void {
  try {
    applyAdam(optimizer, vars.map((v) => ({ name: v.name, tensor: grads[v.name] ?? null })));
  } finally {
    tf.dispose(grads);
  }
}

/** Everything a refused step puts back; clones share storage with the originals (nothing is copied). */
class Rollback {
  private readonly saved: Array<{ vars: tfl.LayerVariable[]; values: tf.Tensor[] }> = [];
  private readonly adam: Array<{ optimizer: tf.AdamOptimizer; snap: AdamSnapshot }> = [];

  variables(vars: tfl.LayerVariable[]): void {
    this.saved.push({ vars, values: snapshotVariables(vars) });
  }

  optimizer(optimizer: tf.AdamOptimizer): void {
    this.adam.push({ optimizer, snap: snapshotAdam(optimizer) });
  }

  restore(): void {
    for (const s of this.saved) restoreVariables(s.vars, s.values);
    for (const a of this.adam) restoreAdam(a.optimizer, a.snap);
  }

  dispose(): void {
    for (const s of this.saved) tf.dispose(s.values);
    for (const a of this.adam) disposeAdamSnapshot(a.snap);
  }
}

/**
 * Runs one step on `input` / `target` (owned by the caller). Resolves to the loss parts; on a refused
 * step everything is as before and the error says why.
 *
 * @throws NonFiniteLossError when a loss part is NaN/Inf (the discriminator's are checked first).
 * @throws NonFiniteWeightError when the losses were finite but a generator gradient, a moving
 *   statistic or an updated discriminator weight is not.
 */
export async function trainingStep(nets: StepNetworks, input: tf.Tensor4D, target: tf.Tensor4D, at: StepPosition): Promise<StepLosses> {
  const { generator: G, discriminator: D, loss, gOptimizer, dOptimizer } = nets;
  const useD = loss.usesDiscriminator && D !== null && dOptimizer !== null;
  const stepNumber = at.step + 1;
  setAdamLearningRate(gOptimizer, at.learningRate);
  if (dOptimizer) setAdamLearningRate(dOptimizer, at.learningRate);
  const seeds = stepSeeds(at.seed, at.step);
  const args = (fake: tf.Tensor4D): ObjectiveArgs => ({ discriminator: D ?? NO_DISCRIMINATOR, input, target, fake, seed: seeds.loss });

  const rollback = new Rollback();
  rollback.variables(G.nonTrainableWeights);
  if (useD) {
    rollback.variables(D.weights);
    rollback.optimizer(dOptimizer);
  }
  let dParts: LossParts | null = null;
  let gParts: LossParts | null = null;
  let gGrads: tf.NamedTensorMap | null = null;
  let committed = false;
  try {
    const gVars = trainableVars(G);
    const g = gradientsOf(gOptimizer, gVars, () => {
      // The one forward pass: training mode, this step's dropout masks; moves G's moving statistics once.
      const fake = withDropoutSeeds(nets.gDropout, seeds.dropout, () => G.apply(input, { training: true }) as tf.Tensor4D);
      if (useD) {
        // D's update sees the fake as a constant and leaves nothing on G's tape.
        withoutTape(() => {
          const dVars = trainableVars(D);
          const d = gradientsOf(dOptimizer, dVars, () => loss.discriminator(args(fake)));
          dParts = d.parts;
          applyGradients(dOptimizer, dVars, d.grads);
        });
      }
      // D's weight gradients are not used here (the reference's set_requires_grad(netD, False)).
      return useD ? withFrozenWeights(trainableVars(D), () => loss.generator(args(fake))) : loss.generator(args(fake));
    });
    gParts = g.parts;
    gGrads = g.grads;

    // One read: D parts, G parts, then one finiteness marker per checked tensor.
    const dNames = Object.keys(dParts ?? {});
    const gNames = Object.keys(gParts);
    const grads = gGrads;
    const checked = [
      ...G.trainableWeights.flatMap((w, i) => {
        const t = grads[gVars[i]!.name];
        return t ? [{ name: `${weightName('generator', w)} (gradient)`, t }] : [];
      }),
      ...G.nonTrainableWeights.map((w) => ({ name: weightName('generator', w), t: w.read() })),
      ...(useD ? D.weights.map((w) => ({ name: weightName('discriminator', w), t: w.read() })) : []),
    ];
    const tensors = checked.map((c) => c.t);
    const markers = nonFiniteMarkers(tensors);
    const read = await readScalars(
      [...dNames.map((n) => (dParts as unknown as LossParts)[n]!), ...gNames.map((n) => gParts![n]!)],
      markers,
    ).finally(() => markers.dispose());
    const values = (names: string[], offset: number) => Object.fromEntries(names.map((n, i) => [n, read.scalars[offset + i]!]));
    const discriminator = values(dNames, 0);
    const generator = values(gNames, dNames.length);
    for (const [network, parts] of [['discriminator', discriminator], ['generator', generator]] as const) {
      for (const [part, value] of Object.entries(parts)) {
        if (!Number.isFinite(value)) throw new NonFiniteLossError(stepNumber, network, part, value);
      }
    }
    const bad = await firstNonFiniteIndex(tensors, read.markers);
    if (bad >= 0) throw new NonFiniteWeightError(stepNumber, checked[bad]!.name);
    gGrads = null;
    applyGradients(gOptimizer, gVars, grads);
    committed = true;
    return { generator, discriminator };
  } finally {
    if (!committed) {
      disposeAbandonedTape();
      rollback.restore();
    }
    if (gGrads) tf.dispose(gGrads);
    rollback.dispose();
    tf.dispose([...Object.values((dParts ?? {}) as LossParts), ...Object.values((gParts ?? {}) as LossParts)]);
  }
}
