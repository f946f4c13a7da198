// Browser bench page (driven by bench/browser.mjs): times one pix2pix training step and one generator
// forward pass of the U-Net + 70x70 PatchGAN on a GPU backend of this Chromium, with the BUILT package.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { unetGenerator, patchDiscriminator, compositeLoss, Trainer } from '@acme/pix2pix';

/**
 * Multiply-add flops (2 per MAC) of one forward pass of a chain-or-graph LayersModel at spatial size
 * `size`, from its Conv2D / Conv2DTranspose kernels. Spatial sizes are followed through the layers in
 * order (valid for these networks: every layer's spatial size is that of its first inbound layer,
 * changed only by strided convolutions and zero padding).
 */
function forwardFlops(model, size) {
  const spatial = new Map();
  let flops = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const inbound = layer.inboundNodes[0]?.inboundLayers?.[0];
    const inSize = inbound ? spatial.get(inbound.name) : size;
    let outSize = inSize;
    const cfg = layer.getConfig();
    if (cls === 'Conv2D' || cls === 'Conv2DTranspose') {
      const [kh, kw] = cfg.kernelSize;
      const s = cfg.strides[0];
      const kernel = layer.getWeights()[0].shape; // Conv2D [kh, kw, in, out]; transposed [kh, kw, out, in]
      const macsPerPixel = kh * kw * kernel[2] * kernel[3];
      if (cls === 'Conv2D') {
        outSize = cfg.padding === 'same' ? Math.ceil(inSize / s) : Math.floor((inSize - kh) / s) + 1;
        flops += 2 * outSize * outSize * macsPerPixel;
      } else {
        outSize = inSize * s;
        flops += 2 * inSize * inSize * macsPerPixel;
      }
    } else if (cls === 'ZeroPadding2D') {
      const [[top, bottom]] = cfg.padding;
      outSize = inSize + top + bottom;
    }
    spatial.set(layer.name, outSize);
  }
  return flops;
}

async function device(name) {
  try {
    if (name === 'webgl') {
      const gl = document.createElement('canvas').getContext('webgl2');
      const ext = gl && gl.getExtension('WEBGL_debug_renderer_info');
      return gl ? String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : 'no webgl2';
    }
    const adapter = await navigator.gpu?.requestAdapter();
    const info = adapter?.info ?? {};
    return adapter ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') : 'no adapter';
  } catch (e) {
    return `unknown (${e.message})`;
  }
}

/**
 * Times `reps` training steps and generator forward passes (after `warmup` of each; the first step
 * also compiles the shaders) at `size` with `filters` (64 = the paper's networks).
 */
async function benchRun({ backend, size, filters = 64, reps = 5, warmup = 1 }) {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} did not initialise`);
  await tf.ready();
  const G = unetGenerator({ imageSize: size, inputChannels: 3, outputChannels: 3, filters, norm: 'batch', dropout: 0.5, seed: 1 });
  const D = patchDiscriminator({ receptiveField: 70, inputChannels: 3, targetChannels: 3, filters, norm: 'batch', conditional: true, seed: 2 });
  const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ lambda: 100, gan: 'vanilla', reconstruction: 'l1' }), seed: 3 });
  const input = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 4);
  const target = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 5);
  const gFlops = forwardFlops(G, size);
  const dFlops = forwardFlops(D, size);

  const timed = async (fn, afterWarmup = () => undefined) => {
    const first = performance.now();
    for (let i = 0; i < warmup; i++) await fn();
    const warmupMs = performance.now() - first;
    afterWarmup();
    const ms = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    return { ms, warmupMs };
  };
  const infer = await timed(async () => {
    const y = G.predict(input);
    await y.data();
    y.dispose();
  });
  // Tensor count after the warm-up step(s) (Adam creates its slots in the first step) vs after the timed ones.
  let tensorsAfterWarmup = 0;
  const step = await timed(() => trainer.trainStep({ input, target }), () => (tensorsAfterWarmup = tf.memory().numTensors));
  const leaked = tf.memory().numTensors - tensorsAfterWarmup;
  const result = {
    backend: tf.getBackend(),
    device: await device(backend),
    size,
    filters,
    stepMs: step.ms,
    inferMs: infer.ms,
    warmupStepMs: step.warmupMs,
    warmupInferMs: infer.warmupMs,
    flops: { generatorForward: gFlops, discriminatorForward: dFlops, step: 3 * gFlops + 9 * dFlops },
    leakedTensorsPerStep: leaked / reps,
  };
  trainer.dispose();
  G.dispose();
  D.dispose();
  tf.dispose([input, target]);
  return result;
}

window.benchRun = benchRun;
window.benchReady = true;
