import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import { NonFiniteLossError, Trainer } from '../../src/trainer/trainer.js';
import type { Objective, ObjectiveArgs } from '../../src/losses/types.js';
import { SeededDropout } from '../../src/layers/seeded_dropout.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { batch, tinyDiscriminator, tinyGenerator, tinyObjective, weightsOf } from './helpers.js';

async function run(seed: number, steps: number) {
  const t = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const b = batch(i);
    const s = await t.trainStep(b);
    tf.dispose([b.input, b.target]);
    losses.push(s.gLoss, s.dLoss);
  }
  return { t, losses, g: weightsOf(t.generator), d: weightsOf(t.discriminator!) };
}

/**
 * G = tanh(dropout(conv1x1(x))): its output is exactly 0 where dropout dropped a unit. `kind` picks
 * tfjs-layers' Dropout or the package's SeededDropout (used by the generators; it has its own counter).
 */
function maskGenerator(kind: 'tfjs' | 'seeded'): tfl.LayersModel {
  const x = tfl.input({ shape: [8, 8, 3] });
  let h = tfl.layers
    .conv2d({ filters: 3, kernelSize: 1, useBias: false, kernelInitializer: tfl.initializers.randomUniform({ minval: 0.5, maxval: 1, seed: 4 }) })
    .apply(x) as tfl.SymbolicTensor;
  const drop = kind === 'tfjs' ? tfl.layers.dropout({ rate: 0.5 }) : new SeededDropout({ rate: 0.5, seed: 3, name: 'seeded_dropout' });
  h = drop.apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: tfl.layers.activation({ activation: 'tanh' }).apply(h) as tfl.SymbolicTensor });
}

/** Wraps an objective and records the zero pattern of every fake it sees. */
function recording(inner: Objective) {
  const seen: { network: string; zeros: string }[] = [];
  const zeros = (a: ObjectiveArgs) => Array.from(a.fake.dataSync(), (v) => (v === 0 ? '0' : '1')).join('');
  const obj: Objective = {
    ...inner,
    generator: (a) => (seen.push({ network: 'g', zeros: zeros(a) }), inner.generator(a)),
    discriminator: (a) => (seen.push({ network: 'd', zeros: zeros(a) }), inner.discriminator(a)),
  };
  return { obj, seen };
}

describe('Trainer.trainStep', () => {
  test('returns plain numbers for the step, both totals and every part', async () => {
    const t = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 7 });
    const b = batch(0);
    const s = await t.trainStep(b);
    expect(s.step).toBe(1);
    expect(s.epoch).toBe(0);
    expect(s.learningRate).toBe(2e-4);
    expect(Object.keys(s.generator).sort()).toEqual(['adversarial', 'reconstruction', 'total']);
    expect(Object.keys(s.discriminator).sort()).toEqual(['fake', 'real', 'total']);
    for (const v of [s.gLoss, s.dLoss, ...Object.values(s.generator), ...Object.values(s.discriminator)]) {
      expect(typeof v).toBe('number');
      expect(Number.isFinite(v)).toBe(true);
    }
    expect(s.gLoss).toBeCloseTo(s.generator.adversarial! + 10 * s.generator.reconstruction!, 5);
    expect(s.dLoss).toBeCloseTo(0.5 * (s.discriminator.real! + s.discriminator.fake!), 5);
    expect(t.step).toBe(1);
    expect(b.input.isDisposed).toBe(false); // trainStep leaves the batch to the caller
    tf.dispose([b.input, b.target]);
  });

  test('one step equals a hand-written reference: D update on G(x), then G update against the updated D (Adam step 1)', async () => {
    // No dropout here, so the reference can recompute G(x) without knowing the masks.
    const G = tinyGenerator(11);
    (G.layers.find((l) => l.getClassName() === 'Dropout') as unknown as { rate: number }).rate = 0;
    const D = tinyDiscriminator(12);
    const loss = tinyObjective();
    const lr = 1e-3;
    const { input, target } = batch(3);
    const g0 = G.trainableWeights.map((w) => tf.clone(w.read()));
    const d0 = D.trainableWeights.map((w) => tf.clone(w.read()));
    // Reference D step: gradient of the D objective at (G0, D0) over D's trainable variables only.
    const fake0 = G.apply(input, { training: true }) as tf.Tensor4D;
    const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);
    const dGrads = tf.variableGrads(() => loss.discriminator({ discriminator: D, input, target, fake: fake0 }).total, dVars);
    // First Adam step: w - lr * g / (|g| + eps), eps = backend epsilon.
    const eps = tf.backend().epsilon();
    const adam1 = (w: tf.Tensor, g: tf.Tensor) => tf.sub(w, tf.mul(lr, tf.div(g, tf.add(tf.abs(g), eps))));
    const dExpected = d0.map((w, i) => adam1(w, dGrads.grads[dVars[i]!.name]!));
    // Put D back at the expected post-D-step weights to take the reference G gradient.
    const dStats = D.nonTrainableWeights.map((w) => tf.clone(w.read()));
    D.trainableWeights.forEach((w, i) => w.write(dExpected[i]!));
    const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable);
    const gStats = G.nonTrainableWeights.map((w) => tf.clone(w.read()));
    const gGrads = tf.variableGrads(() => {
      const fake = G.apply(input, { training: true }) as tf.Tensor4D;
      return loss.generator({ discriminator: D, input, target, fake }).total;
    }, gVars);
    const gExpected = g0.map((w, i) => adam1(w, gGrads.grads[gVars[i]!.name]!));
    // Reset both networks to the start and run the Trainer.
    D.trainableWeights.forEach((w, i) => w.write(d0[i]!));
    D.nonTrainableWeights.forEach((w, i) => w.write(dStats[i]!));
    G.nonTrainableWeights.forEach((w, i) => w.write(gStats[i]!));
    const t = new Trainer({ generator: G, discriminator: D, loss, learningRate: lr, seed: 1 });
    await t.trainStep({ input, target });
    D.trainableWeights.forEach((w, i) => {
      const diff = tf.max(tf.abs(tf.sub(w.read(), dExpected[i]!))).dataSync()[0]!;
      expect(diff, `D ${w.originalName}`).toBeLessThan(1e-6);
    });
    G.trainableWeights.forEach((w, i) => {
      const diff = tf.max(tf.abs(tf.sub(w.read(), gExpected[i]!))).dataSync()[0]!;
      expect(diff, `G ${w.originalName}`).toBeLessThan(1e-6);
      // and the update really moved it by about lr (so the comparison is meaningful)
      expect(tf.max(tf.abs(tf.sub(w.read(), g0[i]!))).dataSync()[0]!).toBeGreaterThan(lr / 2);
    });
  });

  test('batch norm trains on batch statistics and G moving statistics move exactly once per step (momentum 0.9)', async () => {
    const G = tinyGenerator(5);
    const t = new Trainer({ generator: G, discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 3 });
    const { input, target } = batch(1);
    const conv = G.layers.find((l) => l.getClassName() === 'Conv2D')!;
    const batchMean = tf.mean(conv.apply(input) as tf.Tensor, [0, 1, 2]); // pre-step conv output mean per channel
    await t.trainStep({ input, target });
    const movingMean = G.nonTrainableWeights.find((w) => w.originalName.includes('moving_mean'))!.read();
    // once: 0.9 * 0 + 0.1 * mean; twice would be 0.19 * mean
    const expected = Array.from(tf.mul(batchMean, 0.1).dataSync());
    Array.from(movingMean.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  test('tf.memory().numTensors is identical after each of 20 steps following a warm-up step', async () => {
    const t = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 9 });
    const data = Array.from({ length: 21 }, (_, i) => batch(i));
    await t.trainStep(data[0]!);
    const after: number[] = [];
    const base = tf.memory().numTensors;
    for (let i = 1; i <= 20; i++) {
      await t.trainStep(data[i]!);
      after.push(tf.memory().numTensors);
    }
    expect(after).toEqual(Array(20).fill(base));
    tf.dispose(data.flatMap((b) => [b.input, b.target]));
  });

  test('the same seed gives identical losses and weights; another seed does not', async () => {
    const a = await run(42, 4);
    const b = await run(42, 4);
    const c = await run(43, 4);
    expect(b.losses).toEqual(a.losses);
    b.g.forEach((w, i) => expect(w).toEqual(a.g[i]));
    b.d.forEach((w, i) => expect(w).toEqual(a.d[i]));
    expect(c.losses).not.toEqual(a.losses);
  });

  test.each(['tfjs', 'seeded'] as const)('%s dropout: masks differ between steps, repeat across runs, and the D step and G step of one step share them', async (kind) => {
    const masks = async (seed: number) => {
      const { obj, seen } = recording(tinyObjective());
      const t = new Trainer({ generator: maskGenerator(kind), discriminator: tinyDiscriminator(), loss: obj, seed });
      const b = batch(0);
      for (let i = 0; i < 3; i++) await t.trainStep(b);
      tf.dispose([b.input, b.target]);
      return seen;
    };
    const run1 = await masks(5);
    expect(run1.map((s) => s.network)).toEqual(['d', 'g', 'd', 'g', 'd', 'g']);
    const perStep = [0, 2, 4].map((i) => run1[i]!.zeros);
    for (const m of perStep) {
      const dropped = m.split('').filter((c) => c === '0').length;
      expect(dropped).toBeGreaterThan(m.length * 0.3); // rate 0.5 really drops
      expect(dropped).toBeLessThan(m.length * 0.7);
    }
    expect(new Set(perStep).size).toBe(3); // a new mask every step
    [0, 2, 4].forEach((i) => expect(run1[i + 1]!.zeros).toBe(run1[i]!.zeros)); // G re-run = same mask as the fake D saw
    const run2 = await masks(5);
    expect(run2).toEqual(run1);
  });

  for (const where of [
    { network: 'discriminator', part: 'real' },
    { network: 'generator', part: 'reconstruction' },
  ] as const) {
    test(`a non-finite ${where.network} '${where.part}' refuses the whole step: nothing changes and the error names step and part`, async () => {
      const hooks: Parameters<typeof tinyObjective>[0] = { nan: null };
      const t = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(hooks), seed: 2 });
      const b = batch(0);
      await t.trainStep(b); // step 1 fine (creates Adam moments)
      const before = [...weightsOf(t.generator), ...weightsOf(t.discriminator!)];
      const tensors = tf.memory().numTensors;
      hooks.nan = where;
      const err = await t.trainStep(b).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonFiniteLossError);
      expect((err as Error).message).toBe(
        `step 2: the ${where.network} loss part '${where.part}' is NaN; the step was refused and no weights or optimizer state changed`,
      );
      expect((err as NonFiniteLossError).step).toBe(2);
      const after = [...weightsOf(t.generator), ...weightsOf(t.discriminator!)];
      after.forEach((w, i) => expect(w).toEqual(before[i])); // incl. BN moving statistics
      expect(t.step).toBe(1);
      expect(tf.memory().numTensors).toBe(tensors);
      // The refused step left Adam untouched: the next good step equals step 2 of an uninterrupted run.
      hooks.nan = null;
      const s = await t.trainStep(b);
      const ref = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 2 });
      await ref.trainStep(b);
      const r = await ref.trainStep(b);
      expect(s.gLoss).toBe(r.gLoss);
      expect(s.dLoss).toBe(r.dLoss);
      weightsOf(t.generator).forEach((w, i) => expect(w).toEqual(weightsOf(ref.generator)[i]));
      tf.dispose([b.input, b.target]);
    });
  }

  test('an objective without a discriminator (L1 only) trains G alone and needs no D', async () => {
    const l1: Objective = {
      usesDiscriminator: false,
      config: { kind: 'l1' },
      generator: (a) => tf.tidy(() => {
        const reconstruction = tf.mean(tf.abs(tf.sub(a.fake, a.target))) as tf.Scalar;
        return { adversarial: tf.scalar(0), reconstruction, total: reconstruction };
      }),
      discriminator: () => {
        throw new Error('must not be called');
      },
    };
    const G = tinyGenerator();
    const t = new Trainer({ generator: G, loss: l1, seed: 1 });
    const b = batch(0);
    const conv = G.layers.find((l) => l.getClassName() === 'Conv2D')!;
    const batchMean = Array.from(tf.mean(conv.apply(b.input) as tf.Tensor, [0, 1, 2]).dataSync());
    const s = await t.trainStep(b);
    const movingMean = G.nonTrainableWeights.find((w) => w.originalName.includes('moving_mean'))!.read().dataSync();
    batchMean.forEach((m, i) => expect(movingMean[i]).toBeCloseTo(0.1 * m, 6)); // moved once, not zero or twice
    expect(s.dLoss).toBe(0);
    expect(s.discriminator).toEqual({});
    expect(s.gLoss).toBe(s.generator.reconstruction);
    tf.dispose([b.input, b.target]);
  });

  test("compositeLoss({ gan: 'wgangp' }) trains through the Trainer, with the penalty's randomness seeded per step", async () => {
    const make = () =>
      new Trainer({
        generator: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }),
        discriminator: patchDiscriminator({ receptiveField: 16, filters: 4, norm: 'instance', seed: 2 }),
        loss: compositeLoss({ gan: 'wgangp' }), // its own seed is random: the Trainer's per-step seed decides
        seed: 5,
      });
    const [a, b] = [make(), make()];
    const x = batch(0, 16);
    for (let i = 0; i < 2; i++) {
      const [sa, sb] = [await a.trainStep(x), await b.trainStep(x)];
      expect(sa.discriminator.gradientPenalty).toBeGreaterThan(0);
      expect(Number.isFinite(sa.dLoss)).toBe(true);
      expect(sb).toEqual(sa);
    }
    tf.dispose([x.input, x.target]);
  });

  test('validates its options and batches, quoting what it got', () => {
    const G = tinyGenerator();
    expect(() => new Trainer({ generator: G, loss: tinyObjective() })).toThrow(
      'discriminator must be a tf.LayersModel when the loss uses a discriminator (got null)',
    );
    expect(() => new Trainer({ generator: G, discriminator: tinyDiscriminator(), loss: tinyObjective(), learningRate: -1 })).toThrow(
      'learningRate must be a finite number > 0 (got -1)',
    );
    const t = new Trainer({ generator: G, discriminator: tinyDiscriminator(), loss: tinyObjective() });
    const x = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    const y = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    return expect(t.trainStep({ input: x, target: y })).rejects.toThrow('target shape must be the batch size and spatial size of input [1, 8, 8, 3] (got [1,4,4,3])');
  });
});

describe('Trainer.generate', () => {
  test("'inference' is predict; 'paper' uses dropout and batch statistics and leaves moving statistics untouched", async () => {
    const G = tinyGenerator(8);
    const t = new Trainer({ generator: G, discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 4 });
    const b = batch(2);
    await t.trainStep(b); // moving statistics now non-trivial
    const stats = () => G.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const before = stats();
    const inference = t.generate(b.input);
    const predicted = G.predict(b.input) as tf.Tensor;
    expect(Array.from(inference.dataSync())).toEqual(Array.from(predicted.dataSync()));
    const tensors = tf.memory().numTensors;
    const p1 = t.generate(b.input, { mode: 'paper', seed: 1 });
    const p1again = t.generate(b.input, { mode: 'paper', seed: 1 });
    const p2 = t.generate(b.input, { mode: 'paper', seed: 2 });
    expect(tf.memory().numTensors).toBe(tensors + 3); // only the results
    expect(stats()).toEqual(before);
    expect(Array.from(p1again.dataSync())).toEqual(Array.from(p1.dataSync()));
    expect(Array.from(p2.dataSync())).not.toEqual(Array.from(p1.dataSync())); // other dropout masks
    expect(Array.from(p1.dataSync())).not.toEqual(Array.from(inference.dataSync()));
    // paper mode without dropout = training-mode forward with batch statistics
    const drop = G.layers.find((l) => l.getClassName() === 'Dropout') as unknown as { rate: number };
    drop.rate = 0;
    const paperNoDrop = t.generate(b.input, { mode: 'paper' });
    const trainingForward = tf.tidy(() => {
      const snap = G.nonTrainableWeights.map((w) => tf.clone(w.read()));
      const out = G.apply(b.input, { training: true }) as tf.Tensor;
      G.nonTrainableWeights.forEach((w, i) => w.write(snap[i]!));
      return out;
    });
    expect(Array.from(paperNoDrop.dataSync())).toEqual(Array.from(trainingForward.dataSync()));
    expect(stats()).toEqual(before);
    tf.dispose([b.input, b.target, inference, predicted, p1, p1again, p2, paperNoDrop, trainingForward]);
  });
});
