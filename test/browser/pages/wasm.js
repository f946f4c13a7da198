// The wasm training kernels in a real browser (test/browser/backends.test.ts): the BUILT package's
// initWasmBackend() (dist/wasm.js: the SIMD loops compiled against the page's wasm memory, the weight-
// GEMM convolutions, the frozen discriminator weights, ...) trains a tiny pix2pix for a few steps, and the
// cpu backend trains the same networks from the same seeds. Returns plain JSON; the test asserts.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { unetGenerator, patchDiscriminator, compositeLoss, Trainer } from '@acme/pix2pix';
import { initWasmBackend } from '@acme/pix2pix/wasm';

const SIZE = 32;
const STEPS = 4;

/** A seeded stream of floats in [-1, 1) (mulberry32), so both backends get the same data. */
function data(seed, n) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = 2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1;
  }
  return out;
}

async function run(backend) {
  await tf.setBackend(backend);
  const input = tf.tensor4d(data(1, SIZE * SIZE * 3), [1, SIZE, SIZE, 3]);
  const target = tf.tensor4d(data(2, SIZE * SIZE * 3), [1, SIZE, SIZE, 3]);
  const G = unetGenerator({ imageSize: SIZE, filters: 4, norm: 'batch', dropout: 0.5, seed: 1 });
  const D = patchDiscriminator({ receptiveField: 70, filters: 4, norm: 'batch', conditional: true, imageSize: SIZE, seed: 2 });
  const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ lambda: 100, gan: 'vanilla' }), seed: 3 });
  const d = [];
  const g = [];
  const numTensors = [];
  for (let i = 0; i < STEPS; i++) {
    const s = await trainer.trainStep({ input, target });
    d.push(s.dLoss);
    g.push(s.gLoss);
    numTensors.push(tf.memory().numTensors);
  }
  const out = G.predict(input);
  const output = Array.from(await out.data());
  tf.dispose([out, input, target]);
  G.dispose();
  D.dispose();
  return { d, g, numTensors, output };
}

window.runWasmChecks = async () => {
  const wasmPaths = new URL('/tfjs/tfjs-backend-wasm/dist/', location.href).href;
  const info = await initWasmBackend({ threads: 1, wasmPaths });
  const wasm = await run('wasm');
  const backendUsed = tf.getBackend();
  const cpu = await run('cpu');
  let outputMaxAbsDiff = 0;
  for (let i = 0; i < cpu.output.length; i++) outputMaxAbsDiff = Math.max(outputMaxAbsDiff, Math.abs(cpu.output[i] - wasm.output[i]));
  return { info, backendUsed, wasm: { d: wasm.d, g: wasm.g, numTensors: wasm.numTensors }, cpu: { d: cpu.d, g: cpu.g }, outputMaxAbsDiff };
};
window.wasmChecksReady = true;
