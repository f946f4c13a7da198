// The onnxruntime engine (onnxruntime-node, a dev dependency here): translateImage / evaluate through it
// equal the tfjs engine within 1e-4 (U-Net, encoder-decoder and ResNet, padded and tiled), paper mode is
// refused, a missing onnxruntime-node names the install command, and tensors do not leak.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { facadePairs } from '../../src/data/facades/source.js';
import { encoderDecoderGenerator } from '../../src/generator/encoder_decoder_generator.js';
import { tfjsEngine } from '../../src/generator/engine.js';
import { resnetGenerator } from '../../src/generator/resnet_generator.js';
import { translateImage } from '../../src/generator/translate_image.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { evaluate, type EvaluatedImage } from '../../src/metrics/evaluate.js';
import { createEngine } from '../../src/node/engine.js';
import { loadOnnxruntime, onnxruntimeEngine, ONNXRUNTIME_INSTALL } from '../../src/node/onnxruntime_engine.js';
import { maxAbsDiff, perturbStatistics } from '../io/helpers.js';

const nets: Array<[string, () => tfl.LayersModel]> = [
  ['U-Net, batch norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 11 })],
  ['encoder-decoder, instance norm', () => encoderDecoderGenerator({ imageSize: 16, filters: 4, norm: 'instance', seed: 12 })],
  ['ResNet, batch norm, 2 blocks', () => resnetGenerator({ blocks: 2, filters: 4, norm: 'batch', seed: 13 })],
];

describe('onnxruntime engine', () => {
  for (const [name, build] of nets) {
    it(`${name}: translateImage equals the tfjs engine within 1e-4 (padded 30x44, and tiled 70x50)`, async () => {
      const G = build();
      perturbStatistics(G);
      const engine = await onnxruntimeEngine(G, { threads: 1 });
      expect(engine.modes).toEqual(['inference']);
      for (const [size, options] of [[[30, 44], {}], [[70, 50], { tile: 32, overlap: 8 }]] as const) {
        const x = tf.randomUniform([size[0], size[1], 3], -1, 1, 'float32', size[0]) as tf.Tensor3D;
        const want = translateImage(G, x, { mode: 'inference', ...options });
        const n0 = tf.memory().numTensors;
        const got = await translateImage(G, x, { mode: 'inference', ...options, engine });
        expect(tf.memory().numTensors).toBe(n0 + 1); // the result only
        expect(got.shape).toEqual([size[0], size[1], 3]);
        const w = want.dataSync() as Float32Array;
        expect(maxAbsDiff(got.dataSync() as Float32Array, w)).toBeLessThan(1e-4);
        expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(1e-2); // not a trivially zero output
        tf.dispose([x, want, got]);
      }
      await engine.dispose();
      G.dispose();
    });
  }

  it("refuses paper mode, naming inference mode and the tfjs engine; the tfjs engine runs both", async () => {
    const G = unetGenerator({ imageSize: 16, filters: 4, seed: 14 });
    const engine = await createEngine('onnxruntime', G);
    const x = tf.zeros([16, 16, 3]) as tf.Tensor3D;
    const n0 = tf.memory().numTensors;
    await expect(translateImage(G, x, { mode: 'paper', engine })).rejects.toThrow(
      "the onnxruntime engine runs 'inference' mode only (got mode 'paper'): its graph is the generator's inference graph (moving statistics, no dropout); use mode 'inference' (the CLI's --eval), or the tfjs engine for the paper's test time",
    );
    expect(tf.memory().numTensors).toBe(n0);
    const tfjs = tfjsEngine(G);
    const paper = await translateImage(G, x, { mode: 'paper', seed: 3, engine: tfjs });
    const direct = translateImage(G, x, { mode: 'paper', seed: 3 });
    expect(maxAbsDiff(paper.dataSync() as Float32Array, direct.dataSync() as Float32Array)).toBe(0);
    tf.dispose([x, paper, direct]);
    await engine.dispose();
    G.dispose();
  });

  it('evaluate with the engine gives the tfjs images and metrics (8-bit outputs within one level)', async () => {
    const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 15 });
    perturbStatistics(G);
    const engine = await onnxruntimeEngine(G);
    const data = facadePairs({ count: 2, size: 32, seed: 0 });
    const a: EvaluatedImage[] = [];
    const b: EvaluatedImage[] = [];
    const ra = await evaluate(G, data, { mode: 'inference', onImage: (i) => void a.push(i) });
    const rb = await evaluate(G, data, { mode: 'inference', engine, onImage: (i) => void b.push(i) });
    for (const [i, img] of a.entries()) {
      const other = b[i]!.output.data;
      for (let k = 0; k < img.output.data.length; k++) expect(Math.abs(img.output.data[k]! - other[k]!)).toBeLessThanOrEqual(1);
    }
    expect(rb.mean!.l1).toBeCloseTo(ra.mean!.l1, 3);
    await engine.dispose();
    G.dispose();
  });

  it('names the install command when onnxruntime-node is missing', async () => {
    const missing = () => Promise.reject(Object.assign(new Error("Cannot find package 'onnxruntime-node'"), { code: 'ERR_MODULE_NOT_FOUND' }));
    await expect(loadOnnxruntime(missing)).rejects.toThrow(
      `the onnxruntime engine needs onnxruntime-node, an optional peer dependency that is not installed: ${ONNXRUNTIME_INSTALL}`,
    );
    expect(ONNXRUNTIME_INSTALL).toBe('npm i --ignore-scripts onnxruntime-node');
  });
});
