// Full gradients of small conv nets on wasm (with enableWasmTraining) equal the cpu backend's, including
// second-order gradients (a WGAN-GP style gradient penalty) and a tiny pix2pix Trainer run.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../src/backends/wasm/index.js';
import { registerSecondOrderGradients } from '../../src/gradients/register_second_order_gradients.js';
import { Rng } from '../../src/util/random.js';
import { on, randomData, relErr } from './wasm_helpers.js';

beforeAll(async () => {
  await initWasmBackend({ threads: 1 });
  registerSecondOrderGradients();
});

interface Weights {
  w1: Float32Array; // [4,4,3,4] stride-2 'same' conv
  b1: Float32Array; // [4]
  w2: Float32Array; // [3,3,4,8] stride-1 conv on an explicitly zero-padded input
  w3: Float32Array; // [4,4,3,8] stride-2 transposed conv 8 -> 3
  w4: Float32Array; // [1,1,3,1] 1x1 conv (PixelGAN-like head)
}
const SHAPES: Record<keyof Weights, number[]> = { w1: [4, 4, 3, 4], b1: [4], w2: [3, 3, 4, 8], w3: [4, 4, 3, 8], w4: [1, 1, 3, 1] };

function randomWeights(rng: Rng): Weights {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const w = {} as Weights;
  for (const k of Object.keys(SHAPES) as (keyof Weights)[]) w[k] = randomData(rng, size(SHAPES[k])).map((v) => 0.5 * v);
  return w;
}

/** conv s2 -> LeakyReLU -> pad + conv s1 -> batch-norm (moments) -> ReLU -> transposed conv s2 -> tanh. */
function net(v: Record<keyof Weights, tf.Tensor>, x: tf.Tensor4D): tf.Tensor4D {
  const h1 = tf.leakyRelu(tf.add(tf.conv2d(x, v.w1 as tf.Tensor4D, 2, 'same'), v.b1), 0.2) as tf.Tensor4D;
  const h2 = tf.conv2d(tf.pad(h1, [[0, 0], [1, 1], [1, 1], [0, 0]]), v.w2 as tf.Tensor4D, 1, 'valid');
  const { mean, variance } = tf.moments(h2, [0, 1, 2]);
  const h3 = tf.relu(tf.div(tf.sub(h2, mean), tf.sqrt(tf.add(variance, 1e-5))));
  const up = tf.conv2dTranspose(h3 as tf.Tensor4D, v.w3 as tf.Tensor4D, [x.shape[0], x.shape[1], x.shape[2], 3], 2, 'same');
  return tf.tanh(up);
}

async function gradsOn(backend: string, w: Weights, xData: Float32Array, tData: Float32Array, secondOrder: boolean) {
  return on(backend, () =>
    tf.tidy(() => {
      const vars = {} as Record<keyof Weights, tf.Variable>;
      for (const k of Object.keys(SHAPES) as (keyof Weights)[]) vars[k] = tf.variable(tf.tensor(w[k], SHAPES[k]), true, `${backend}_${k}_${secondOrder}_${Math.random()}`);
      const x = tf.tensor4d(xData, [2, 8, 8, 3]);
      const target = tf.tensor4d(tData, [2, 8, 8, 3]);
      const { value, grads } = tf.variableGrads(() => {
        const out = net(vars, x);
        const l1 = tf.mean(tf.abs(tf.sub(out, target)));
        if (!secondOrder) return l1 as tf.Scalar;
        // Gradient penalty: || d head(out) / d x ||^2, differentiated again w.r.t. the weights.
        const head = (xx: tf.Tensor) => tf.sum(tf.conv2d(net(vars, xx as tf.Tensor4D), vars.w4 as tf.Tensor4D, 1, 'valid'));
        const g = tf.grad(head)(x);
        return tf.add(l1, tf.mean(tf.square(g))) as tf.Scalar;
      }, Object.values(vars));
      const out: Record<string, Float32Array> = { loss: value.dataSync().slice() as Float32Array };
      for (const [name, g] of Object.entries(grads)) out[name.split('_')[1]!] = g.dataSync().slice() as Float32Array;
      Object.values(vars).forEach((v) => v.dispose());
      return out;
    }),
  );
}

describe('gradients on wasm equal cpu', () => {
  it('of a small conv net (conv s2, padded conv s1, moments, transposed conv s2): rel. error <= 1e-4', async () => {
    const rng = new Rng(11);
    const w = randomWeights(rng);
    const x = randomData(rng, 2 * 8 * 8 * 3);
    const t = randomData(rng, 2 * 8 * 8 * 3);
    const ref = await gradsOn('cpu', w, x, t, false);
    const got = await gradsOn('wasm', w, x, t, false);
    expect(Object.keys(got).sort()).toEqual(['b1', 'loss', 'w1', 'w2', 'w3', 'w4'].filter((k) => k in ref).sort());
    for (const k of Object.keys(ref)) expect(relErr(got[k]!, ref[k]!), k).toBeLessThanOrEqual(1e-4);
    // The gradients are not trivially zero.
    expect(Math.max(...Array.from(ref.w1!, Math.abs))).toBeGreaterThan(1e-4);
  });

  it('of a gradient penalty (second order, through conv backprop kernels): rel. error <= 1e-4', async () => {
    const rng = new Rng(12);
    const w = randomWeights(rng);
    const x = randomData(rng, 2 * 8 * 8 * 3);
    const t = randomData(rng, 2 * 8 * 8 * 3);
    const ref = await gradsOn('cpu', w, x, t, true);
    const got = await gradsOn('wasm', w, x, t, true);
    for (const k of Object.keys(ref)) expect(relErr(got[k]!, ref[k]!), k).toBeLessThanOrEqual(1e-4);
    expect(Object.keys(ref)).toContain('w4');
  });
});
