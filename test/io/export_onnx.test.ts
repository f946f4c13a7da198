// ONNX generator export, run in onnxruntime-web (its wasm build, in Node) and compared with tfjs.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { encoderDecoderGenerator } from '../../src/generator/encoder_decoder_generator.js';
import { resnetGenerator } from '../../src/generator/resnet_generator.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { exportOnnxGenerator, ONNX_OPSET } from '../../src/io/onnx/export.js';
import { decodeOnnxModel } from '../../src/io/onnx/proto.js';
import { perturbStatistics } from './helpers.js';

ort.env.wasm.numThreads = 1;

/** Runs the ONNX bytes on an NHWC input in onnxruntime-web; returns the output. */
async function runOnnx(bytes: Uint8Array, x: tf.Tensor4D): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
    const y = out['output']!;
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}

const cases: Array<[string, () => tfl.LayersModel]> = [
  ['unet, batch norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 1 })],
  ['unet, instance norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'instance', seed: 2 })],
  ['unet, no norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'none', seed: 3 })],
  ['encoder-decoder, batch norm', () => encoderDecoderGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 4 })],
  ['resnet, batch norm, reflect', () => resnetGenerator({ blocks: 2, filters: 4, norm: 'batch', seed: 5 })],
  ['resnet, instance norm, replicate, dropout', () => resnetGenerator({ blocks: 1, filters: 4, norm: 'instance', padding: 'replicate', dropout: 0.5, seed: 6 })],
  ['resnet, no norm, zero padding', () => resnetGenerator({ blocks: 1, filters: 4, norm: 'none', padding: 'zero', seed: 7 })],
];

describe('exportOnnxGenerator', () => {
  for (const [name, build] of cases) {
    it(`${name}: onnxruntime-web matches tfjs predict within 1e-4 (NHWC in and out)`, async () => {
      const G = build();
      perturbStatistics(G);
      const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 7) as tf.Tensor4D;
      const want = G.predict(x) as tf.Tensor4D;
      const got = await runOnnx(exportOnnxGenerator(G), x);
      expect(got.dims).toEqual([2, 32, 32, 3]);
      const w = want.dataSync();
      let max = 0;
      for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]! - got.data[i]!));
      expect(max).toBeLessThan(1e-4);
      expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(1e-3); // not a trivially zero output
      tf.dispose([x, want]);
      G.dispose();
    });
  }

  it('declares opset 13, symbolic N/H/W, and runs at another size than the tfjs model was built for', async () => {
    const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 5 });
    const bytes = exportOnnxGenerator(G);
    const m = decodeOnnxModel(bytes) as { opsetImport: Array<{ version: number }>; graph: { input: Array<{ type: { tensorType: { shape: { dim: Array<{ dimParam?: string; dimValue?: number }> } } } }> } };
    expect(m.opsetImport[0]!.version).toBe(ONNX_OPSET);
    expect(m.graph.input[0]!.type.tensorType.shape.dim).toEqual([{ dimParam: 'N' }, { dimParam: 'H' }, { dimParam: 'W' }, { dimValue: 3 }]);
    const x = tf.randomUniform([1, 64, 96, 3], -1, 1, 'float32', 8) as tf.Tensor4D;
    const got = await runOnnx(bytes, x);
    expect(got.dims).toEqual([1, 64, 96, 3]);
    x.dispose();
    G.dispose();
  });
});
