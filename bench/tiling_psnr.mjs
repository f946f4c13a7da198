// Measures how closely tiled translation matches whole-image translation in inference mode:
// PSNR (peak-to-peak 2, values in [-1, 1]) between translateImage(G, x) and translateImage(G, x, { tile, overlap })
// over the image minus a border. Run after `npm run build`:
//   node bench/tiling_psnr.mjs [size=768] [tile=256] [overlap=64] [filters=16] [border=32] [kernelScale=1]
// G is a unet_256 (numDowns 8, divisor 256) with seeded random weights (conv kernels N(0, 0.02) times kernelScale:
// a scale of 5 keeps the deep levels' features from vanishing, so the whole-image context matters); x a smooth
// synthetic image.
import * as tf from '@tensorflow/tfjs-core';
import { initWasmBackend } from '../dist/wasm.js';
import { translateImage, unetGenerator } from '../dist/index.js';

const [size = 768, tile = 256, overlap = 64, filters = 16, border = 32, kernelScale = 1] = process.argv.slice(2).map(Number);
await initWasmBackend();
const g = unetGenerator({ imageSize: 256, filters, seed: 1, dropout: 0 });
for (const layer of g.layers) {
  if (!/_(conv|deconv)$/.test(layer.name)) continue;
  const [k, ...rest] = layer.getWeights();
  const scaled = tf.mul(k, kernelScale);
  layer.setWeights([scaled, ...rest]);
  scaled.dispose();
}
const x = tf.tidy(() => {
  const r = tf.div(tf.range(0, size), size);
  const yy = tf.tile(tf.reshape(r, [size, 1, 1]), [1, size, 1]);
  const xx = tf.tile(tf.reshape(r, [1, size, 1]), [size, 1, 1]);
  return tf.mul(tf.concat([tf.sin(tf.mul(xx, 13)), tf.cos(tf.mul(yy, 7)), tf.sin(tf.mul(tf.add(xx, yy), 23))], 2), 0.9);
});
const whole = translateImage(g, x, { mode: 'inference' });
const tiled = translateImage(g, x, { mode: 'inference', tile, overlap });
const inner = (t) => tf.slice(t, [border, border, 0], [size - 2 * border, size - 2 * border, -1]);
const mse = tf.tidy(() => tf.mean(tf.square(tf.sub(inner(whole), inner(tiled)))).dataSync()[0]);
const full = tf.tidy(() => tf.mean(tf.square(tf.sub(whole, tiled))).dataSync()[0]);
const psnr = (m) => (m === 0 ? Infinity : 10 * Math.log10(4 / m));
console.log(JSON.stringify({ size, tile, overlap, filters, border, kernelScale, psnrInner: +psnr(mse).toFixed(2), psnrFull: +psnr(full).toFixed(2) }));
process.exit(0);
