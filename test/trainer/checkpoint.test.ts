import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer, type StepStats } from '../../src/trainer/trainer.js';
import { fileCheckpoint, fileCheckpointRouter } from '../../src/node/checkpoint.js';
import { batch, memory, tinyDiscriminator, tinyGenerator, tinyObjective, weightsOf } from './helpers.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pix2pix-ckpt-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** 2 batches per epoch, 16x16, deterministic per (epoch, index). */
const epochSource = {
  async *epoch(n: number) {
    for (let i = 0; i < 2; i++) yield batch(100 * n + i, 16);
  },
};

const realTrainer = (loss = compositeLoss({ lambda: 100, gan: 'vanilla', reconstruction: 'l1' })) =>
  new Trainer({
    generator: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }),
    discriminator: patchDiscriminator({ receptiveField: 16, filters: 4, seed: 2 }),
    loss,
    schedule: 'linear',
    seed: 77,
  });

const tinyTrainer = (seed = 5) =>
  new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed });

async function tinySteps(t: Trainer, n: number) {
  for (let i = 0; i < n; i++) {
    const b = batch(i);
    await t.trainStep(b);
    tf.dispose([b.input, b.target]);
  }
}

describe('Trainer checkpoints', () => {
  test('resume is exact: 3 steps (stopped mid-epoch), save, load fresh, 3 more == 6 uninterrupted (U-Net + PatchGAN, linear decay)', async () => {
    const plan = { epochs: 1, epochsDecay: 2 };
    const full = realTrainer();
    const fullStats: StepStats[] = [];
    await full.fit(epochSource, { ...plan, onStep: (s) => void fullStats.push(s) });
    expect(full.step).toBe(6);

    const first = realTrainer();
    const ac = new AbortController();
    const firstStats: StepStats[] = [];
    const r = await first.fit(epochSource, {
      ...plan,
      signal: ac.signal,
      onStep: (s) => {
        firstStats.push(s);
        if (s.step === 3) ac.abort();
      },
    });
    expect(r).toEqual({ aborted: true, step: 3, epoch: 1 });
    const store = memory();
    await first.save(store.save);
    // Make more models so that global variable names in this process differ from the saved ones.
    unetGenerator({ imageSize: 16, filters: 4, seed: 9 }).dispose();
    const resumed = await Trainer.load(store.load()); // loss rebuilt from the stored config
    expect([resumed.step, resumed.epoch, resumed.stepInEpoch, resumed.seed]).toEqual([3, 1, 1, 77]);
    expect(resumed.loss.config).toEqual({ lambda: 100, gan: 'vanilla', reconstruction: 'l1' });
    const restStats: StepStats[] = [];
    await resumed.fit(epochSource, { ...plan, onStep: (s) => void restStats.push(s) });

    const strip = (s: StepStats[]) => s.map(({ step, epoch, learningRate, generator, discriminator }) => ({ step, epoch, learningRate, generator, discriminator }));
    expect(strip([...firstStats, ...restStats])).toEqual(strip(fullStats));
    const lrs = [1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3].map((f) => 2e-4 * f); // linear, 1 + 2 epochs
    fullStats.forEach((s, i) => expect(s.learningRate).toBeCloseTo(lrs[i]!, 15));
    weightsOf(resumed.generator).forEach((w, i) => expect(w).toEqual(weightsOf(full.generator)[i]));
    weightsOf(resumed.discriminator!).forEach((w, i) => expect(w).toEqual(weightsOf(full.discriminator!)[i]));
  });

  test('the checkpoint holds both networks, positional Adam state and the counters as JSON', async () => {
    const t = tinyTrainer();
    await tinySteps(t, 2);
    const store = memory();
    const tensors = tf.memory().numTensors;
    await t.save(store.save);
    expect(tf.memory().numTensors).toBe(tensors); // saving reads, copies nothing into tfjs
    const topo = store.artifacts.modelTopology as Record<string, unknown>;
    expect(topo.format).toBe('acme-pix2pix-checkpoint');
    expect(topo.version).toBe(1);
    const state = topo.trainer as Record<string, unknown>;
    expect(state).toMatchObject({ step: 2, epoch: 0, stepInEpoch: 2, seed: 5, learningRate: 2e-4, beta1: 0.5, beta2: 0.999 });
    expect(state.optimizers).toEqual({
      generator: { iterations: 2, moments: t.generator.trainableWeights.length },
      discriminator: { iterations: 2, moments: t.discriminator!.trainableWeights.length },
    });
    const names = store.artifacts.weightSpecs!.map((s) => s.name);
    expect(names).toContain('optimizer/generator/m/0');
    expect(names).toContain('optimizer/discriminator/v/0');
    expect(names.filter((n) => n.startsWith('generator/'))).toHaveLength(t.generator.weights.length);
    // Adam's bias-correction accumulators are stored as the products Adam keeps: beta^(t+1) after t = 2
    const acc = tf.io.decodeWeights(tf.io.CompositeArrayBuffer.join(store.artifacts.weightData!), store.artifacts.weightSpecs!);
    expect(acc['optimizer/generator/acc_beta1']!.dataSync()[0]).toBeCloseTo(0.5 ** 3, 7);
    expect(acc['optimizer/discriminator/acc_beta2']!.dataSync()[0]).toBeCloseTo(0.999 ** 3, 6);
    tf.dispose(Object.values(acc));
    expect((await Trainer.load(store.load(), { loss: tinyObjective() })).step).toBe(2);
  });

  test('Node: a directory in tfjs file layout, written atomically; a save that fails midway leaves the previous checkpoint', async () => {
    const dir = path.join(tmpRoot, 'run', 'latest');
    const t = tinyTrainer();
    await tinySteps(t, 1);
    await t.save(fileCheckpoint(dir));
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const savedWeights = weightsOf(t.generator);

    await tinySteps(t, 1);
    const real = fs.promises.open;
    const spy = vi.spyOn(fs.promises, 'open').mockImplementation(async (file, flags, mode) => {
      if (String(file).endsWith('model.json')) throw new Error('disk full (injected)');
      return real(file, flags, mode);
    });
    await expect(t.save(fileCheckpoint(dir))).rejects.toThrow('disk full (injected)');
    spy.mockRestore();
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['latest']); // no temp dir left behind
    const back = await Trainer.load(fileCheckpoint(dir), { loss: tinyObjective() });
    expect(back.step).toBe(1);
    weightsOf(back.generator).forEach((w, i) => expect(w).toEqual(savedWeights[i]));

    // a successful save replaces it
    await t.save(fileCheckpoint(dir));
    expect((await Trainer.load(fileCheckpoint(dir), { loss: tinyObjective() })).step).toBe(2);
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['latest']);
  });

  test('Node: plain paths work once fileCheckpointRouter is registered', async () => {
    tf.io.registerSaveRouter(fileCheckpointRouter);
    tf.io.registerLoadRouter(fileCheckpointRouter);
    const dir = path.join(tmpRoot, 'plain');
    const t = tinyTrainer();
    await tinySteps(t, 1);
    await t.save(dir);
    expect((await Trainer.load(dir, { loss: tinyObjective() })).step).toBe(1);
    expect(fileCheckpointRouter('indexeddb://x')).toBeNull();
  });

  describe('rejects corrupt or mismatched checkpoints with a clear error and leaks nothing', () => {
    const rejects = async (source: tf.io.IOHandler | string, message: string | RegExp) => {
      const before = tf.memory().numTensors;
      await expect(Trainer.load(source, { loss: tinyObjective() })).rejects.toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    };

    test('truncated weights, missing files, missing directory, invalid JSON', async () => {
      const dir = path.join(tmpRoot, 'corrupt');
      const t = tinyTrainer();
      await tinySteps(t, 1);
      await t.save(fileCheckpoint(dir));
      const weights = path.join(dir, 'weights.bin');
      const size = fs.statSync(weights).size;
      fs.truncateSync(weights, size - 8);
      await rejects(fileCheckpoint(dir), `checkpoint weight data is ${size - 8} bytes but its manifest describes ${size} bytes`);
      fs.rmSync(weights);
      await rejects(fileCheckpoint(dir), /weights file .*weights\.bin is missing/);
      fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": {"format": "acme-pix2pix-che');
      await rejects(fileCheckpoint(dir), /corrupt checkpoint: .*model\.json is not valid JSON/);
      await rejects(fileCheckpoint(path.join(tmpRoot, 'nowhere')), /no checkpoint at .*nowhere: cannot read model\.json \(ENOENT\)/);
      await rejects('nope://x', "no tf.io handler can load 'nope://x'");
    });

    test('wrong architecture, foreign models, tampered state', async () => {
      const t = tinyTrainer();
      await tinySteps(t, 1);
      const store = memory();
      await t.save(store.save);
      const a = store.artifacts;
      const topo = a.modelTopology as Record<string, unknown>;
      const u4 = realTrainer();
      const u4store = memory();
      await u4.save(u4store.save);
      const u4topo = u4store.artifacts.modelTopology as Record<string, unknown>;
      const wider = unetGenerator({ imageSize: 16, filters: 8, seed: 1 });
      const wrongArch = { ...u4store.artifacts, modelTopology: { ...u4topo, generator: wider.toJSON(null, false) } };
      await rejects(
        tf.io.fromMemory(wrongArch),
        "checkpoint tensor 'generator/down1_conv/kernel' has shape [4, 4, 3, 4] but the architecture needs [4, 4, 3, 8] (checkpoint of a different architecture?)",
      );
      const plainModel = memory();
      await wider.save(plainModel.save);
      await rejects(plainModel.load(), "not a @acme/pix2pix Trainer checkpoint (modelTopology.format is \"Model\", expected 'acme-pix2pix-checkpoint')");
      const badState = { ...a, modelTopology: { ...topo, trainer: { ...(topo.trainer as object), step: -1 } } };
      await rejects(tf.io.fromMemory(badState), 'checkpoint trainer state is invalid: step (got -1)');
      const newer = { ...a, modelTopology: { ...topo, version: 2 } };
      await rejects(tf.io.fromMemory(newer), 'unsupported checkpoint version 2');
      const noMoments = { ...a, weightSpecs: a.weightSpecs!.slice(0, -1), weightData: (a.weightData as ArrayBuffer).slice(0, -(a.weightSpecs!.at(-1)!.shape.reduce((x, y) => x * y, 1) * 4)) };
      await rejects(tf.io.fromMemory(noMoments), /checkpoint tensor 'optimizer\/discriminator\/v\/\d+' is missing/);
    });
  });

  test('validates save targets', async () => {
    const t = tinyTrainer();
    await expect(t.save('nope://x')).rejects.toThrow("no tf.io handler can save 'nope://x': pass an IO handler, e.g. fileCheckpoint('nope://x')");
  });
});

