import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { SeededDropout } from '../../src/layers/seeded_dropout.js';

const masks = (layer: SeededDropout, x: tf.Tensor, calls: number) =>
  Array.from({ length: calls }, () => {
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const v = Array.from(y.dataSync());
    y.dispose();
    return v;
  });

describe('SeededDropout', () => {
  const x = tf.ones([1, 8, 8, 4]);

  it('is the identity outside training', () => {
    const layer = new SeededDropout({ rate: 0.5, seed: 1 });
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(new Set(y.dataSync()))).toEqual([1]);
    expect(layer.step).toBe(0);
  });

  it('drops about `rate` of the units and scales the rest by 1 / (1 - rate)', () => {
    const big = tf.ones([1, 64, 64, 4]);
    const y = new SeededDropout({ rate: 0.25, seed: 3 }).apply(big, { training: true }) as tf.Tensor;
    const v = Array.from(y.dataSync());
    expect(new Set(v)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const dropped = v.filter((e) => e === 0).length / v.length;
    expect(dropped).toBeGreaterThan(0.23);
    expect(dropped).toBeLessThan(0.27);
    tf.dispose([big, y]);
  });

  it('same seed: same mask sequence; successive masks differ; other seed or no seed differs', () => {
    const a = masks(new SeededDropout({ rate: 0.5, seed: 7 }), x, 3);
    const b = masks(new SeededDropout({ rate: 0.5, seed: 7 }), x, 3);
    const c = masks(new SeededDropout({ rate: 0.5, seed: 8 }), x, 3);
    const d = masks(new SeededDropout({ rate: 0.5 }), x, 2);
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(a[1]);
    expect(a[1]).not.toEqual(a[2]);
    expect(a).not.toEqual(c);
    expect(d[0]).not.toEqual(d[1]);
  });

  it('resumes a sequence from `step`', () => {
    const a = masks(new SeededDropout({ rate: 0.5, seed: 7 }), x, 3);
    const layer = new SeededDropout({ rate: 0.5, seed: 7 });
    layer.step = 2;
    expect(masks(layer, x, 1)[0]).toEqual(a[2]);
  });

  it('round-trips its config through a saved model', async () => {
    const input = tfl.input({ shape: [4] });
    const out = new SeededDropout({ rate: 0.3, seed: 5, name: 'drop' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const layer = loaded.getLayer('drop');
    expect(layer).toBeInstanceOf(SeededDropout);
    expect(layer.getConfig()).toMatchObject({ rate: 0.3, seed: 5 });
    model.dispose();
    loaded.dispose();
  });

  it('validates its options', () => {
    expect(() => new SeededDropout({ rate: 1 })).toThrow(/rate must be a number in \[0, 1\) \(got 1\)/);
    expect(() => new SeededDropout({ rate: 0.5, seed: -2 })).toThrow(/seed must be an integer >= 0 \(got -2\)/);
  });
});
