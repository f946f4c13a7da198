// The Trainer's step runs the generator forward once; it must equal, bit for bit, the former step that
// ran it twice (test/trainer/two_forward_reference.ts): losses, weights, moving statistics, Adam moments.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import { Trainer } from '../../src/trainer/trainer.js';
import { dropoutLayers } from '../../src/trainer/model_state.js';
import { exportAdam } from '../../src/trainer/adam_state.js';
import { stepSeeds } from '../../src/trainer/step.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import type { Objective } from '../../src/losses/types.js';
import { batch, tinyDiscriminator, tinyGenerator, tinyObjective, weightsOf } from './helpers.js';
import { twoForwardStep } from './two_forward_reference.js';

interface Setup {
  G: tfl.LayersModel;
  D: tfl.LayersModel | null;
  loss: Objective;
  size: number;
}

const setups: Record<string, () => Setup> = {
  'tiny nets with dropout, LSGAN + L1': () => ({ G: tinyGenerator(3), D: tinyDiscriminator(4), loss: tinyObjective(), size: 8 }),
  'U-Net + 16x16 PatchGAN, vanilla + L1': () => ({
    G: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }),
    D: patchDiscriminator({ receptiveField: 16, filters: 4, seed: 2 }),
    loss: compositeLoss({ lambda: 100, gan: 'vanilla' }),
    size: 16,
  }),
  'U-Net + instance-norm PatchGAN, WGAN-GP': () => ({
    G: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }),
    D: patchDiscriminator({ receptiveField: 16, filters: 4, norm: 'instance', seed: 2 }),
    loss: compositeLoss({ gan: 'wgangp' }),
    size: 16,
  }),
  'U-Net, L1 only (no D)': () => ({ G: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }), D: null, loss: compositeLoss({ gan: 'none' }), size: 16 }),
};

const LR = 1e-2; // large, so that three steps move every weight visibly
const SEED = 21;
const STEPS = 3;

describe('one generator forward per step', () => {
  test.each(Object.keys(setups))('%s: 3 steps equal the two-forward step bit for bit', async (name) => {
    const a = setups[name]!();
    const b = setups[name]!();
    const trainer = new Trainer({ generator: a.G, discriminator: a.D, loss: a.loss, learningRate: LR, seed: SEED });
    const ref = {
      G: b.G,
      D: b.D,
      loss: b.loss,
      gOpt: tf.train.adam(LR, 0.5, 0.999),
      dOpt: b.D ? tf.train.adam(LR, 0.5, 0.999) : null,
      gDropout: dropoutLayers(b.G),
    };
    expect(weightsOf(a.G)).toEqual(weightsOf(b.G)); // same start
    for (let i = 0; i < STEPS; i++) {
      const x = batch(i, a.size);
      const got = await trainer.trainStep(x);
      const want = twoForwardStep(ref, x, stepSeeds(SEED, i));
      tf.dispose([x.input, x.target]);
      expect(got.generator, `G losses, step ${i + 1}`).toEqual(want.generator);
      expect(got.discriminator, `D losses, step ${i + 1}`).toEqual(want.discriminator);
    }
    const gOld = weightsOf(b.G);
    weightsOf(a.G).forEach((w, k) => expect(w, `G ${a.G.weights[k]!.originalName}`).toEqual(gOld[k]));
    if (a.D) {
      const dOld = weightsOf(b.D!);
      weightsOf(a.D).forEach((w, k) => expect(w, `D ${a.D!.weights[k]!.originalName}`).toEqual(dOld[k]));
    }
    // the weights really moved (the comparison is not between untouched initial values)
    const fresh = setups[name]!();
    expect(weightsOf(a.G)[0]).not.toEqual(weightsOf(fresh.G)[0]);
    // Adam moments of G agree as well
    const mine = exportAdam((trainer as unknown as { gOptimizer: tf.AdamOptimizer }).gOptimizer);
    const theirs = exportAdam(ref.gOpt);
    expect(mine.iterations).toBe(theirs.iterations);
    const flat = (a: typeof mine) => [a.accBeta1, a.accBeta2, ...a.m, ...a.v].map((t) => Array.from(t.dataSync()));
    expect(flat(mine)).toEqual(flat(theirs));
    expect(mine.m.length).toBe(a.G.trainableWeights.length);
  });
});

test('the generator runs forward once per step (it ran twice before)', async () => {
  const G = tinyGenerator(3);
  let calls = 0;
  const apply = G.apply.bind(G);
  G.apply = ((...a: Parameters<typeof apply>) => (calls++, apply(...a))) as typeof G.apply;
  const t = new Trainer({ generator: G, discriminator: tinyDiscriminator(4), loss: tinyObjective(), seed: 1 });
  for (let i = 0; i < 3; i++) {
    const x = batch(i);
    await t.trainStep(x);
    tf.dispose([x.input, x.target]);
  }
  expect(calls).toBe(3);
});
