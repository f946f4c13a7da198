// applyAdam against tfjs' own AdamOptimizer.applyGradients (the reference): bit-identical variables,
// moments, bias-correction products and iteration counts, and fewer live bytes at its peak.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { applyAdam, exportAdam } from '../../src/trainer/adam_state.js';

let serial = 0;

/** Three variables (one left without a gradient on odd steps) and an Adam over them. */
function setup(prefix: string) {
  const id = `${prefix}${serial++}`;
  const shapes = [[3, 4], [5], [2, 2, 3]];
  const vars = shapes.map((s, k) => tf.variable(tf.randomUniform(s, -1, 1, 'float32', 10 + k), true, `${id}/w${k}`));
  const opt = tf.train.adam(0.01, 0.5, 0.999);
  return { vars, opt };
}

function gradsFor(vars: tf.Variable[], step: number) {
  return vars.map((v, k) => ({
    name: v.name,
    tensor: k === 1 && step % 2 === 1 ? null : tf.randomNormal(v.shape, 0, 1, 'float32', 1000 + 100 * step + k),
  }));
}

describe('applyAdam', () => {
  it('matches AdamOptimizer.applyGradients bit for bit over 5 steps, null gradients included', () => {
    const ref = setup('ref');
    const ours = setup('ours');
    for (let step = 0; step < 5; step++) {
      const a = gradsFor(ref.vars, step);
      const b = gradsFor(ours.vars, step);
      ref.opt.applyGradients(a as { name: string; tensor: tf.Tensor }[]);
      applyAdam(ours.opt, b);
      tf.dispose([...a, ...b].map((g) => g.tensor).filter((t): t is tf.Tensor => t !== null));
    }
    ref.vars.forEach((v, k) => expect(Array.from(ours.vars[k]!.dataSync()), `variable ${k}`).toEqual(Array.from(v.dataSync())));
    const refState = exportAdam(ref.opt);
    const ourState = exportAdam(ours.opt);
    expect(ourState.iterations).toBe(5);
    expect(ourState.iterations).toBe(refState.iterations);
    const named = (s: typeof refState) => [
      { name: 'acc_beta1', tensor: s.accBeta1 },
      { name: 'acc_beta2', tensor: s.accBeta2 },
      ...s.m.map((tensor, i) => ({ name: `m/${i}`, tensor })),
      ...s.v.map((tensor, i) => ({ name: `v/${i}`, tensor })),
    ];
    const [ourTensors, refTensors] = [named(ourState), named(refState)];
    expect(ourTensors.length).toBe(refTensors.length);
    refTensors.forEach((t, k) => {
      expect(ourTensors[k]!.name).toBe(t.name);
      expect(Array.from(ourTensors[k]!.tensor.dataSync())).toEqual(Array.from(t.tensor.dataSync()));
    });
  });

  it('frees each variable\'s temporaries before the next one (peak bytes below tfjs\' one-tidy update)', async () => {
    const peak = async (update: (opt: tf.AdamOptimizer, list: { name: string; tensor: tf.Tensor }[]) => void) => {
      const id = `peak${serial++}`;
      const vars = Array.from({ length: 8 }, (_, k) => tf.variable(tf.zeros([256, 64]), true, `${id}/w${k}`));
      const opt = tf.train.adam(0.01);
      const list = vars.map((v) => ({ name: v.name, tensor: tf.onesLike(v) }));
      const before = tf.memory().numBytes;
      const info = await tf.profile(() => update(opt, list));
      tf.dispose([...vars, ...list.map((g) => g.tensor)]);
      opt.dispose();
      return info.peakBytes - before - info.newBytes; // transient bytes: above what existed and what stays
    };
    const tfjs = await peak((opt, list) => opt.applyGradients(list));
    const ours = await peak((opt, list) => applyAdam(opt, list));
    const varBytes = 256 * 64 * 4;
    // tfjs holds ~10 temporaries of every variable at once; ours at most those of one variable.
    expect(tfjs).toBeGreaterThan(8 * 8 * varBytes);
    expect(ours).toBeLessThan(2 * 12 * varBytes);
  });
});
