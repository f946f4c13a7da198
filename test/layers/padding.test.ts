// ReflectionPadding2D / ReplicationPadding2D (PyTorch's ReflectionPad2d / ReplicationPad2d), LeadingCrop2D
// and SpatialSizeCheck: values against hand-written expectations, unknown sizes, gradients, save/load.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ReflectionPadding2D, ReplicationPadding2D } from '../../src/layers/padding.js';
import { LeadingCrop2D } from '../../src/layers/crop.js';
import { SpatialSizeCheck } from '../../src/layers/size_check.js';

// x = [[1, 2, 3], [4, 5, 6]] as a 1 x 2 x 3 x 1 tensor.
const x = () => tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
const grid = (t: tf.Tensor) => (tf.squeeze(t, [0, 3]).arraySync() as number[][]);

describe('padding layers', () => {
  it('reflection: the edge is not repeated (PyTorch ReflectionPad2d(1))', () => {
    const y = new ReflectionPadding2D({ padding: 1 }).apply(x()) as tf.Tensor;
    expect(grid(y)).toEqual([
      [5, 4, 5, 6, 5],
      [2, 1, 2, 3, 2],
      [5, 4, 5, 6, 5],
      [2, 1, 2, 3, 2],
    ]);
  });

  it('replication: the edge is repeated (PyTorch ReplicationPad2d(2))', () => {
    const y = new ReplicationPadding2D({ padding: 2 }).apply(x()) as tf.Tensor;
    expect(grid(y)).toEqual([
      [1, 1, 1, 2, 3, 3, 3],
      [1, 1, 1, 2, 3, 3, 3],
      [1, 1, 1, 2, 3, 3, 3],
      [4, 4, 4, 5, 6, 6, 6],
      [4, 4, 4, 5, 6, 6, 6],
      [4, 4, 4, 5, 6, 6, 6],
    ]);
  });

  it('gradients: each input pixel receives one per copy of it', () => {
    const g = tf.grad((t: tf.Tensor) => tf.sum(new ReplicationPadding2D({ padding: 1 }).apply(t) as tf.Tensor))(x());
    // corners appear 4 times, edge middles 2 times (2 x 3 input: every pixel is on an edge).
    expect(grid(g)).toEqual([[4, 2, 4], [4, 2, 4]]);
    const r = tf.grad((t: tf.Tensor) => tf.sum(new ReflectionPadding2D({ padding: 1 }).apply(t) as tf.Tensor))(x());
    // Column counts 1, 3, 1 (the middle column is mirrored twice) times row counts 2, 2.
    expect(grid(r)).toEqual([[2, 6, 2], [2, 6, 2]]);
  });

  it('crop drops the first rows and columns; the size check names the nearest valid sizes', () => {
    const y = new LeadingCrop2D({ crop: 1 }).apply(x()) as tf.Tensor;
    expect(grid(tf.reshape(y, [1, 1, 2, 1]))).toEqual([[5, 6]]);
    const check = new SpatialSizeCheck({ multiple: 4, owner: 'net' });
    expect(() => check.apply(tf.zeros([1, 8, 6, 1]))).toThrow('net needs height and width that are multiples of 4 (got 8x6; nearest valid width: 4 or 8)');
    expect((check.apply(tf.ones([1, 8, 4, 1])) as tf.Tensor).shape).toEqual([1, 8, 4, 1]);
  });

  it('keep unknown sizes unknown, and save and load back inside a model', async () => {
    const input = tfl.input({ shape: [null, null, 1] });
    let h = new ReflectionPadding2D({ padding: 1, name: 'r' }).apply(input) as tfl.SymbolicTensor;
    h = new ReplicationPadding2D({ padding: 1, name: 'p' }).apply(h) as tfl.SymbolicTensor;
    h = new LeadingCrop2D({ crop: 1, name: 'c' }).apply(h) as tfl.SymbolicTensor;
    h = new SpatialSizeCheck({ multiple: 1, name: 's' }).apply(h) as tfl.SymbolicTensor;
    expect(h.shape).toEqual([null, null, null, 1]);
    const model = tfl.model({ inputs: input, outputs: h });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const back = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect((back.getLayer('p') as ReplicationPadding2D).padding).toBe(1);
    expect((back.getLayer('c') as LeadingCrop2D).crop).toBe(1);
    const a = model.predict(x()) as tf.Tensor;
    const b = back.predict(x()) as tf.Tensor;
    expect(a.shape).toEqual([1, 5, 6, 1]);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  });

  it('refuses bad arguments, quoting them', () => {
    expect(() => new ReflectionPadding2D({ padding: 1.5 })).toThrow('padding must be an integer >= 0 (got 1.5)');
    expect(() => new ReflectionPadding2D({ padding: 3 }).apply(x())).toThrow(/padding 3 needs height and width > 3 \(got 2x3\)/);
  });
});
