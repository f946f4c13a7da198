// The WGAN-GP discriminator gradient (second order) on the wasm backend, with the package's wasm training
// kernels, agrees with the cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../src/backends/wasm/index.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';

const NORMS = ['batch', 'instance', 'none'] as const;

function dGradients(norm: (typeof NORMS)[number]) {
  return tf.tidy(() => {
    const D = patchDiscriminator({ receptiveField: 16, inputChannels: 3, targetChannels: 3, filters: 4, norm, conditional: true, seed: 3 });
    const loss = compositeLoss({ gan: 'wgangp' });
    const [input, target, fake] = [1, 2, 3].map((s) => tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', s) as tf.Tensor4D);
    const vars = D.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => loss.discriminator({ discriminator: D, input: input!, target: target!, fake: fake!, seed: 5 }).total,
      vars,
    );
    const out = { value: value.dataSync()[0]!, grads: vars.map((v) => Array.from(grads[v.name]!.dataSync())) };
    D.dispose();
    return out;
  });
}

describe('wgangp on the wasm backend', () => {
  it('gives the same loss and D gradients as the cpu backend (batch / instance / none)', async () => {
    const cpu = NORMS.map(dGradients);
    await initWasmBackend({ threads: 1 });
    expect(tf.getBackend()).toBe('wasm');
    const wasm = NORMS.map(dGradients);
    NORMS.forEach((norm, i) => {
      expect(wasm[i]!.value, norm).toBeCloseTo(cpu[i]!.value, 4);
      // One scale per model: the logits bias has an exactly-zero gradient (rounding noise on both backends).
      const scale = Math.max(...cpu[i]!.grads.flat().map(Math.abs));
      cpu[i]!.grads.forEach((g, j) => {
        g.forEach((a, k) => {
          const b = wasm[i]!.grads[j]![k]!;
          expect(Number.isFinite(b)).toBe(true);
          expect(Math.abs(a - b), `${norm} variable ${j}[${k}]: cpu ${a} vs wasm ${b}`).toBeLessThanOrEqual(1e-3 * scale + 1e-6);
        });
      });
    });
  });
});
