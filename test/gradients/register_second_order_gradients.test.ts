import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { registerSecondOrderGradients } from '../../src/gradients/register_second_order_gradients.js';
import { ZERO_GRADIENT_KERNELS } from '../../src/gradients/comparison_grads.js';

// Runs in a fresh Node process (the gradient registry is global, and this worker may already hold ours):
// documents the tfjs 4.22 gap that registerSecondOrderGradients fills.
const probe = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
await tf.setBackend('cpu');
const kernels = ${JSON.stringify(['Conv2DBackpropFilter', ...ZERO_GRADIENT_KERNELS])};
const missing = kernels.filter((k) => tf.getGradient(k) == null);
let error = '';
try {
  const x = tf.tensor1d([-1, 2]);
  tf.grad((u) => tf.sum(tf.grad((v) => tf.sum(tf.mul(tf.leakyRelu(v, 0.2), v)))(u)))(x);
} catch (e) { error = String(e.message); }
console.log(JSON.stringify({ missing, error }));
`;

describe('registerSecondOrderGradients', () => {
  it('fills a real gap: plain tfjs 4.22 lacks these gradients and cannot differentiate LeakyReLU twice', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: process.cwd(), encoding: 'utf8' });
    const { missing, error } = JSON.parse(out.trim().split('\n').pop()!) as { missing: string[]; error: string };
    expect(missing).toEqual(['Conv2DBackpropFilter', ...ZERO_GRADIENT_KERNELS]);
    expect(error).toMatch(/gradient function not found for Greater/);
  });

  it('is idempotent: afterwards every kernel has a gradient and a second call registers nothing', () => {
    registerSecondOrderGradients();
    for (const k of ['Conv2DBackpropFilter', ...ZERO_GRADIENT_KERNELS]) expect(tf.getGradient(k), k).toBeDefined();
    expect(registerSecondOrderGradients()).toEqual([]);
  });
});
