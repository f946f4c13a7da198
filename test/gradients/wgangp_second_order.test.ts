import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradientPenalty } from '../../src/losses/gradient_penalty.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';

/**
 * conv 4x4 stride 2 'same' -> [batch norm] -> LeakyReLU 0.2 -> ZeroPadding2D 1 -> conv 4x4 'valid' -> logits,
 * conditional on a 2-channel input with a 1-channel target, 6x6 images (logits 2x2).
 */
function tinyD(norm: boolean): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 2] });
  const target = tfl.input({ shape: [6, 6, 1] });
  const init = tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: 11 });
  let x = tfl.layers.concatenate().apply([input, target]) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: init, useBias: !norm }).apply(x) as tfl.SymbolicTensor;
  if (norm) x = tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9, gammaInitializer: 'ones' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.zeroPadding2d({ padding: 1 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 1, kernelSize: 4, padding: 'valid', kernelInitializer: init }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: [input, target], outputs: x });
}

/** Analytic (tfjs) vs central-difference gradient of the penalty with respect to every trainable weight. */
function checkPenaltyGradients(D: tfl.LayersModel) {
  const input = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 21) as tf.Tensor4D;
  const real = tf.randomUniform([2, 6, 6, 1], -1, 1, 'float32', 22) as tf.Tensor4D;
  const fake = tf.randomUniform([2, 6, 6, 1], -1, 1, 'float32', 23) as tf.Tensor4D;
  // A fixed seed: the same interpolation weights on every evaluation.
  const penalty = () => gradientPenalty(D, input, real, fake, { weight: 10, seed: 5 });
  const vars = D.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(penalty, vars);
  const h = 1e-3;
  let worst = 0;
  for (const v of vars) {
    // The penalty does not depend on the last bias (a constant shift of the logits): tfjs omits its gradient.
    const analytic = grads[v.name]?.dataSync().slice() ?? new Float32Array(v.size);
    const base = v.dataSync().slice();
    const n = base.length;
    const step = Math.max(1, Math.floor(n / 8)); // 8 elements per variable keep it fast
    for (let j = 0; j < n; j += step) {
      const at = (delta: number) => {
        const w = base.slice();
        w[j] = w[j]! + delta;
        v.assign(tf.tensor(w, v.shape));
        const p = penalty();
        const out = p.dataSync()[0]!;
        p.dispose();
        return out;
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      const a = analytic[j]!;
      const scale = Math.max(Math.abs(a), Math.abs(numeric));
      worst = Math.max(worst, scale > 1e-3 ? Math.abs(a - numeric) / scale : 0);
      expect(Math.abs(a - numeric), `${v.name}[${j}]: analytic ${a} vs numeric ${numeric}`).toBeLessThanOrEqual(2e-2 * scale + 5e-3);
    }
  }
  tf.dispose([input, real, fake, ...Object.values(grads)]);
  return worst;
}

describe('WGAN-GP second-order gradients (cpu backend)', () => {
  it('penalty gradient w.r.t. D weights matches finite differences: conv + LeakyReLU + conv', () => {
    const worst = checkPenaltyGradients(tinyD(false));
    expect(worst).toBeLessThan(2e-2);
  });

  it('penalty gradient w.r.t. D weights matches finite differences: conv + batch norm + LeakyReLU + conv', () => {
    const worst = checkPenaltyGradients(tinyD(true));
    expect(worst).toBeLessThan(2e-2);
  });

  for (const norm of ['batch', 'instance', 'none'] as const) {
    it(`trains a wgangp patchDiscriminator (RF 16, norm '${norm}'): finite gradients for every D variable, flat memory`, () => {
      const D = patchDiscriminator({ receptiveField: 16, inputChannels: 3, targetChannels: 3, filters: 4, norm, conditional: true, seed: 3 });
      const loss = compositeLoss({ gan: 'wgangp', seed: 9 });
      const input = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
      const target = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
      const fake = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
      const vars = D.trainableWeights.map((w) => w.read() as tf.Variable);
      const args = { discriminator: D, input, target, fake };

      const { value, grads } = tf.variableGrads(() => loss.discriminator({ ...args, seed: 1 }).total, vars);
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      for (const v of vars) {
        const g = grads[v.name]!.dataSync();
        expect(g.every(Number.isFinite), `${v.name} gradient is finite`).toBe(true);
        // The WGAN critic loss is invariant to a constant shift of the logits (-mean(real) + mean(fake)),
        // and the penalty too, so the logits bias has an exactly zero gradient; every other is non-zero.
        const isLogitsBias = v.name.startsWith('logits/bias');
        expect(g.some((x) => x !== 0), `${v.name} gradient is ${isLogitsBias ? 'zero' : 'non-zero'}`).toBe(!isLogitsBias);
      }
      // The penalty contributes to the weights' gradient (second-order path is live).
      const withoutPenalty = tf.variableGrads(() => {
        const p = loss.discriminator({ ...args, seed: 1 });
        return tf.sub(p.total, p.gradientPenalty!) as tf.Scalar;
      }, vars).grads;
      const first = vars[0]!.name;
      const diff = tf.max(tf.abs(tf.sub(grads[first]!, withoutPenalty[first]!))).dataSync()[0]!;
      expect(diff).toBeGreaterThan(1e-6);
      tf.dispose([value, ...Object.values(grads), ...Object.values(withoutPenalty)]);

      // A few optimizer steps: losses stay finite and no tensors leak between steps.
      const opt = tf.train.adam(1e-3, 0.5, 0.999);
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        const cost = opt.minimize(() => loss.discriminator({ ...args, seed: 100 + step }).total, true, vars)!;
        expect(Number.isFinite(cost.dataSync()[0]!)).toBe(true);
        cost.dispose();
        counts.push(tf.memory().numTensors);
      }
      expect(counts[2]).toBe(counts[1]);
      opt.dispose();
      tf.dispose([input, target, fake]);
      D.dispose();
    });
  }
});
