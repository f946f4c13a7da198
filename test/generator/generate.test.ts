// generate(): the one home of paper-mode and inference-mode generation.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generator/generate.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';

const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 3 });
const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('generate', () => {
  it("inference mode is predict(): moving statistics, no dropout", () => {
    const a = generate(G, x, { mode: 'inference' });
    const b = G.predict(x) as tf.Tensor;
    expect(values(a)).toEqual(values(b));
    expect(generate(G, x).shape).toEqual([2, 32, 32, 3]); // default: inference
    tf.dispose([a, b]);
  });

  it('paper mode: same seed same output, other seed other output, moving statistics untouched, differs from inference', () => {
    const before = G.nonTrainableWeights.map((w) => values(w.read()));
    const n0 = tf.memory().numTensors;
    const a = generate(G, x, { mode: 'paper', seed: 1 });
    const b = generate(G, x, { mode: 'paper', seed: 1 });
    const c = generate(G, x, { mode: 'paper', seed: 2 });
    const d = generate(G, x, { mode: 'inference' });
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(c));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, d))).dataSync()[0]!);
    expect(diff).toBeGreaterThan(1e-3);
    expect(G.nonTrainableWeights.map((w) => values(w.read()))).toEqual(before);
    tf.dispose([a, b, c, d]);
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('paper mode equals a training-mode apply with the same dropout state (batch statistics)', () => {
    // No dropout: a generator without dropout layers, so paper mode is exactly apply({training: true}).
    const H = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', dropout: 0, seed: 4 });
    const before = H.nonTrainableWeights.map((w) => values(w.read()));
    const a = generate(H, x, { mode: 'paper', seed: 9 });
    const b = H.apply(x, { training: true }) as tf.Tensor;
    expect(Math.max(...values(tf.abs(tf.sub(a, b))))).toBeLessThan(1e-6);
    H.nonTrainableWeights.forEach((w, i) => w.write(tf.tensor(before[i]!, w.shape as number[])));
    tf.dispose([a, b]);
  });

  it('rejects unknown options and modes, quoting them', () => {
    expect(() => generate(G, x, { mdoe: 'paper' } as never)).toThrow(/unknown option 'mdoe' of generate \(did you mean 'mode'\?\)/);
    expect(() => generate(G, x, { mode: 'eval' as never })).toThrow(/eval/);
    expect(() => generate(G, x, { mode: 'paper', seed: -1 })).toThrow(/seed/);
  });
});
