// ONNX generator export, run in onnxruntime-web (its wasm build, in Node) and compared with tfjs.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { encoderDecoderGenerator } from '../../src/generator/encoder_decoder_generator.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { exportOnnxGenerator, ONNX_OPSET } from '../../src/io/onnx/export.js';
import { decodeOnnxModel } from '../../src/io/onnx/proto.js';

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

/**
 * Gives every moving statistic a non-trivial value, so batch norm's inference form is really tested, and
 * scales the kernels up 10x (N(0, 0.2)), so a tiny network's output is not near zero everywhere.
 */
function perturbStatistics(model: tfl.LayersModel): void {
  for (const w of model.trainableWeights) if (w.name.includes('kernel')) w.write(tf.tidy(() => tf.mul(w.read(), 10)));
  for (const [i, w] of model.nonTrainableWeights.entries()) {
    const isVar = w.name.includes('variance');
    w.write(tf.tidy(() => (isVar ? tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i) : tf.randomUniform(w.shape as number[], -0.2, 0.2, 'float32', i))));
  }
}

const cases: Array<[string, () => tfl.LayersModel]> = [
  ['unet, batch norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 1 })],
  ['unet, instance norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'instance', seed: 2 })],
  ['unet, no norm', () => unetGenerator({ imageSize: 32, filters: 4, norm: 'none', seed: 3 })],
  ['encoder-decoder, batch norm', () => encoderDecoderGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 4 })],
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
