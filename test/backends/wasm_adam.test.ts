// The fused Adam update on wasm (Pix2pixAdamUpdate, one kernel per variable) gives bit for bit what tfjs'
// own AdamOptimizer.applyGradients gives on wasm, and applyAdam really dispatches it.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../src/backends/wasm/index.js';
import { ADAM_THREADS_MIN, ADAM_UPDATE_KERNEL } from '../../src/backends/wasm/adam_update.js';
import { helpersAvailable } from '../../src/backends/wasm/gemm_threads.js';
import { adamSimdFor } from '../../src/backends/wasm/adam_simd.js';
import { applyAdam, exportAdam } from '../../src/trainer/adam_state.js';

beforeAll(async () => {
  // Two threads: variables of ADAM_THREADS_MIN values or more are updated on the GEMM's helper thread too.
  const info = await initWasmBackend({ threads: 2 });
  expect(info.threads).toBe(2);
});

let serial = 0;

function setup(prefix: string, lr: number) {
  const id = `${prefix}${serial++}`;
  // Sizes that are not multiples of the SIMD width, one large enough for several heap pages, and one
  // large enough to be cut into parts for both threads (parts of whole cache lines, a ragged last one).
  const shapes = [[4, 4, 3, 5], [7], [33, 65], [301, 303]];
  const vars = shapes.map((s, k) => tf.variable(tf.randomUniform(s, -1, 1, 'float32', 10 + k), true, `${id}/w${k}`));
  return { vars, opt: tf.train.adam(lr, 0.5, 0.999) };
}

function gradsFor(vars: tf.Variable[], step: number) {
  return vars.map((v, k) => ({
    name: v.name,
    // Gradients spanning many magnitudes, so that every rounding step matters.
    tensor: k === 1 && step % 2 === 1 ? null : tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 1000 + 100 * step + k), 10 ** ((step % 5) - 3)),
  }));
}

describe('fused Adam update on wasm', () => {
  it('compiles its SIMD loop against the backend memory (Node 20 has wasm SIMD)', () => {
    const wasm = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
    const memory = wasm.wasmMemory ?? wasm.asm?.memory;
    expect(memory).toBeInstanceOf(WebAssembly.Memory);
    expect(typeof adamSimdFor(memory)).toBe('function');
    expect(helpersAvailable(memory!)).toBe(true);
    expect(301 * 303).toBeGreaterThanOrEqual(ADAM_THREADS_MIN);
  });

  for (const lr of [2e-4, 0.37]) {
    it(`equals AdamOptimizer.applyGradients bit for bit over 6 steps (lr ${lr}, null gradients included)`, async () => {
      expect(tf.getBackend()).toBe('wasm');
      const ref = setup('ref', lr);
      const ours = setup('ours', lr);
      const dispatched: string[] = [];
      for (let step = 0; step < 6; step++) {
        const a = gradsFor(ref.vars, step);
        const b = gradsFor(ours.vars, step);
        ref.opt.applyGradients(a as { name: string; tensor: tf.Tensor }[]);
        const info = await tf.profile(() => applyAdam(ours.opt, b));
        dispatched.push(...info.kernels.map((k) => k.name));
        tf.dispose([...a, ...b].map((g) => g.tensor).filter((t): t is tf.Tensor => t !== null));
      }
      expect(dispatched.filter((n) => n === ADAM_UPDATE_KERNEL).length).toBe(4 * 6 - 3); // w1 has no gradient on 3 steps
      expect(dispatched).not.toContain('Sqrt');
      ref.vars.forEach((v, k) => expect(Array.from(ours.vars[k]!.dataSync()), `variable ${k}`).toEqual(Array.from(v.dataSync())));
      // The update moved the weights (not a comparison of untouched values).
      expect(Array.from(ours.vars[2]!.dataSync())).not.toEqual(Array.from(tf.randomUniform([33, 65], -1, 1, 'float32', 12).dataSync()));
      const refState = exportAdam(ref.opt);
      const ourState = exportAdam(ours.opt);
      expect(ourState.iterations).toBe(6);
      const flat = (a: typeof refState) => [a.accBeta1, a.accBeta2, ...a.m, ...a.v];
      const ourTensors = flat(ourState);
      flat(refState).forEach((t, k) => {
        expect(Array.from(ourTensors[k]!.dataSync()), `adam tensor ${k}`).toEqual(Array.from(t.dataSync()));
      });
      tf.dispose([...ref.vars, ...ours.vars]);
      ref.opt.dispose();
      ours.opt.dispose();
    });
  }
});
