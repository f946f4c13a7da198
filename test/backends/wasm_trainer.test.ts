// A tiny pix2pix Trainer run on wasm (enableWasmTraining) reproduces the cpu backend's losses for 10 steps.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../src/backends/wasm/index.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { Rng } from '../../src/util/random.js';
import { randomData } from './wasm_helpers.js';

beforeAll(async () => {
  await initWasmBackend({ threads: 1 });
});

const SIZE = 32;

async function run(backend: string, gan: 'vanilla' | 'lsgan', steps: number): Promise<{ d: number[]; g: number[]; leaked: number }> {
  await tf.setBackend(backend);
  const rng = new Rng(5);
  const input = tf.tensor4d(randomData(rng, SIZE * SIZE * 3), [1, SIZE, SIZE, 3]);
  const target = tf.tensor4d(randomData(rng, SIZE * SIZE * 3), [1, SIZE, SIZE, 3]);
  const G = unetGenerator({ imageSize: SIZE, filters: 4, norm: 'batch', dropout: 0.5, seed: 1 });
  const D = patchDiscriminator({ receptiveField: 70, filters: 4, norm: 'batch', conditional: true, imageSize: SIZE, seed: 2 });
  const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ lambda: 100, gan }), seed: 3 });
  const d: number[] = [];
  const g: number[] = [];
  let before = 0;
  for (let i = 0; i < steps; i++) {
    if (i === 1) before = tf.memory().numTensors;
    const s = await trainer.trainStep({ input, target });
    d.push(s.dLoss);
    g.push(s.gLoss);
  }
  const leaked = tf.memory().numTensors - before;
  trainer.dispose?.();
  G.dispose();
  D.dispose();
  tf.dispose([input, target]);
  return { d, g, leaked };
}

describe('Trainer on wasm', () => {
  for (const gan of ['vanilla', 'lsgan'] as const) {
    it(`matches the cpu losses to 1e-3 for 10 steps (U-Net 32x32, filters 4, 70x70 PatchGAN, ${gan})`, async () => {
      const ref = await run('cpu', gan, 10);
      const got = await run('wasm', gan, 10);
      for (let i = 0; i < 10; i++) {
        expect(Math.abs(got.d[i]! - ref.d[i]!), `D loss step ${i + 1}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(ref.d[i]!)));
        expect(Math.abs(got.g[i]! - ref.g[i]!), `G loss step ${i + 1}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(ref.g[i]!)));
      }
      // Training moves the losses (the comparison is not between constants).
      expect(ref.g[9]).not.toBe(ref.g[0]);
      expect(got.leaked, 'tensors leaked over 9 wasm steps').toBe(ref.leaked);
    });
  }
});
