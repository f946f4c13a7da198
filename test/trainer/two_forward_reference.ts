// Test-only reference: the Trainer's step as it was before it ran the generator forward once per step.
// It makes the fake with one training-mode forward (which moves G's moving statistics), updates D on
// it, then re-runs G inside G's gradient scope with the same dropout masks and frozen statistics. The
// one-forward step must reproduce it bit for bit (test/trainer/one_forward.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { LossParts, Objective, ObjectiveArgs } from '../../src/losses/types.js';
import { applyAdam } from '../../src/trainer/adam_state.js';
import { withDropoutSeeds, withFrozenStatistics } from '../../src/trainer/model_state.js';

const vars = (m: tfl.LayersModel) => m.trainableWeights.map((w) => w.read() as tf.Variable);

function gradients(opt: tf.AdamOptimizer, list: tf.Variable[], objective: () => LossParts) {
  let parts: LossParts | null = null;
  const { value, grads } = opt.computeGradients(() => {
    const p = objective();
    for (const t of Object.values(p)) tf.keep(t);
    parts = p;
    return p.total;
  }, list);
  const values: Record<string, number> = {};
  for (const [k, t] of Object.entries(parts as unknown as LossParts)) values[k] = t.dataSync()[0]!;
  tf.dispose([value, ...Object.values(parts as unknown as LossParts)]);
  applyAdam(opt, list.map((v) => ({ name: v.name, tensor: grads[v.name] ?? null })));
  tf.dispose(grads);
  return values;
}

/** One two-forward step; the caller sets both optimizers' learning rates and passes the step's seeds. */
export function twoForwardStep(
  net: { G: tfl.LayersModel; D: tfl.LayersModel | null; loss: Objective; gOpt: tf.AdamOptimizer; dOpt: tf.AdamOptimizer | null; gDropout: tfl.layers.Layer[] },
  batch: { input: tf.Tensor4D; target: tf.Tensor4D },
  seeds: { dropout: number; loss: number },
): { generator: Record<string, number>; discriminator: Record<string, number> } {
  const { G, D, loss, gOpt, dOpt, gDropout } = net;
  const { input, target } = batch;
  const gForward = () => withDropoutSeeds(gDropout, seeds.dropout, () => G.apply(input, { training: true }) as tf.Tensor4D);
  const args = (fake: tf.Tensor4D): ObjectiveArgs => ({ discriminator: D!, input, target, fake, seed: seeds.loss });
  let discriminator: Record<string, number> = {};
  let fake: tf.Tensor4D | null = null;
  if (loss.usesDiscriminator) {
    fake = tf.tidy(gForward);
    const f = fake;
    discriminator = gradients(dOpt!, vars(D!), () => loss.discriminator(args(f)));
  }
  const generator = gradients(gOpt, vars(G), () =>
    fake === null ? loss.generator(args(gForward())) : withFrozenStatistics(G, () => loss.generator(args(gForward()))),
  );
  fake?.dispose();
  return { generator, discriminator };
}
