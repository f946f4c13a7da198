// The step guard checks the updated weights and moving statistics, not only the losses; save refuses
// non-finite tensors.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { NonFiniteWeightError, Trainer } from '../../src/trainer/trainer.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { batch, tinyDiscriminator, tinyGenerator, tinyObjective, weightsOf } from './helpers.js';

const allFinite = (ws: Float32Array[]) => ws.every((w) => w.every((v) => Number.isFinite(v)));

describe('non-finite weights', () => {
  test('a learning rate of 1e6 that overflows a moving variance while the losses stay finite: the step is refused, nothing changes', async () => {
    const t = new Trainer({
      generator: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }),
      discriminator: patchDiscriminator({ receptiveField: 16, filters: 4, seed: 2 }),
      loss: compositeLoss(),
      learningRate: 1e6,
      seed: 3,
    });
    const first = batch(0, 16);
    const second = batch(1, 16);
    const s1 = await t.trainStep(first);
    expect(Number.isFinite(s1.gLoss) && Number.isFinite(s1.dLoss)).toBe(true);
    const before = [...weightsOf(t.generator), ...weightsOf(t.discriminator!)];
    expect(allFinite(before)).toBe(true);
    const tensors = tf.memory().numTensors;
    const err = await t.trainStep(second).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteWeightError);
    const e = err as NonFiniteWeightError;
    expect(e.step).toBe(2);
    expect(e.variable).toMatch(/^(generator|discriminator)\/\S+$/);
    expect(e.message).toBe(
      `step 2: the step made '${e.variable}' non-finite (NaN or Infinity; learning rate too large?); the step was refused and no weights or optimizer state changed`,
    );
    const after = [...weightsOf(t.generator), ...weightsOf(t.discriminator!)];
    after.forEach((w, i) => expect(w).toEqual(before[i])); // weights and moving statistics of both networks
    expect(t.step).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors);
    // losses are checked before weights, so this refusal means the losses were finite
    expect(e.name).toBe('NonFiniteWeightError');
    tf.dispose([first.input, first.target, second.input, second.target]);
  });

  test('save refuses a Trainer whose weights hold NaN, naming the tensor, and writes nothing', async () => {
    const t = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 1 });
    const w = t.discriminator!.weights.find((x) => x.originalName.includes('moving_variance'))!;
    const poisoned = tf.tidy(() => tf.fill(w.shape as number[], Infinity));
    w.write(poisoned);
    poisoned.dispose();
    let saved = false;
    const handler = tf.io.withSaveHandler(async (a) => {
      saved = true;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    });
    const tensors = tf.memory().numTensors;
    await expect(t.save(handler)).rejects.toThrow(`refusing to save a checkpoint: 'discriminator/${w.originalName}' holds NaN or Infinity`);
    expect(saved).toBe(false);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('an objective that throws', () => {
  test('inside the discriminator update (within the generator scope): the step is undone and no tensor leaks', async () => {
    const base = tinyObjective();
    let fail = false;
    const loss = {
      ...base,
      discriminator: (a: Parameters<typeof base.discriminator>[0]) => {
        const parts = base.discriminator(a);
        if (fail) {
          tf.dispose(Object.values(parts));
          throw new Error('objective failed (injected)');
        }
        return parts;
      },
    };
    const t = new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss, seed: 2 });
    const b = batch(0);
    await t.trainStep(b);
    const before = [...weightsOf(t.generator), ...weightsOf(t.discriminator!)];
    const tensors = tf.memory().numTensors;
    fail = true;
    await expect(t.trainStep(b)).rejects.toThrow('objective failed (injected)');
    expect(tf.memory().numTensors).toBe(tensors);
    [...weightsOf(t.generator), ...weightsOf(t.discriminator!)].forEach((w, i) => expect(w).toEqual(before[i]));
    expect(t.step).toBe(1);
    tf.dispose([b.input, b.target]);
  });
});
