// Held-out evaluation behind examples/browser/public/pretrained/MODEL.md: translates held-out facades
// (never trained on) with the shipped export and its comparison models, writes every output as the 8-bit
// PNG a results page would hold (<out>/<model>/NNNN_{real_A,fake_B,real_B}.png), and scores them:
// the facade segmentation score here (the package's scorer, cached), L1 / PSNR / SSIM in
// scripts/fixtures/make_pretrained_metrics.py with scikit-image on those PNGs (another implementation).
// Runs on the wasm backend (the scorer trains there); the test re-translates on the cpu backend, which
// differs from wasm by rounding only (a few pixels by one level: far inside the test's tolerances).
//
//   npm run build && node scripts/pretrain/evaluate.mjs [--out runs/pretrain/eval] [--count 40]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@acme/pix2pix/layers';
import { facadeSample, generate, segmentationScore, tensorToImage, Trainer, unetGenerator } from '@acme/pix2pix';
import { cachedFacadeSegmenter, fileCheckpoint, writeImage } from '@acme/pix2pix/node';
import { initWasmBackend } from '@acme/pix2pix/wasm';
import { RECIPE } from './recipe.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(RECIPE.dir, 'eval') },
    count: { type: 'string', default: String(RECIPE.testCount) },
    shipped: { type: 'string', default: RECIPE.shipDir },
  },
});
const count = Number(args.count);

const backend = await initWasmBackend();

/** A tfjs export folder (model.json + weights.bin), loaded with plain tfjs-layers. */
async function loadExport(dir) {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const weights = await readFile(join(dir, 'weights.bin'));
  return tfl.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) }),
  );
}

/** Held-out pair i at `size`: input tensor [1, s, s, 3] in [-1, 1], target photo and class ids. */
function heldOut(i, size) {
  const s = facadeSample(RECIPE.testOffset + i, { size, seed: RECIPE.dataSeed });
  const x = tf.tidy(() => tf.sub(tf.div(tf.tensor4d(s.labelRgb, [1, size, size, 3], 'float32'), 127.5), 1));
  return { x, sample: s };
}

const demoRun = join(RECIPE.dir, 'demo', 'train', 'checkpoint');
const demo = await Trainer.load(fileCheckpoint(demoRun)).catch(() => null);
if (!demo) console.warn(`no demo run in ${demoRun} (run: node dist/cli.js demo --out ${join(RECIPE.dir, 'demo')}): its row is left out`);

// name -> the model and the size it runs at (each at its own size).
const models = [
  { name: 'shipped-uint8', model: await loadExport(args.shipped), size: RECIPE.size },
  { name: 'float16', model: await loadExport(join(RECIPE.dir, 'export-float16')), size: RECIPE.size },
  { name: 'float32', model: await loadExport(join(RECIPE.dir, 'export-float32')), size: RECIPE.size },
  // The same architecture and seed as the recipe's first step: what training started from.
  { name: 'untrained', model: unetGenerator({ imageSize: RECIPE.size, filters: RECIPE.ngf, norm: 'batch', seed: RECIPE.seed }), size: RECIPE.size },
  ...(demo ? [{ name: 'demo-64px-4min', model: demo.generator, size: 64 }] : []),
];

// The segmentation scorer: the ablation study's (examples/ablation/run.mjs) settings, at 64x64 (a quarter
// of the work of 128: it trains in minutes on a busy machine). Outputs are scored at 64x64: the 128x128
// ones (and the real photos, the ceiling) after a 2x2 average pool, the demo's 64x64 ones as they are.
const SEG_SIZE = 64;
const scorer = await cachedFacadeSegmenter({
  cacheDir: '.cache/pix2pix-ablation', size: SEG_SIZE, seed: RECIPE.dataSeed, offset: 0, count: RECIPE.trainCount, filters: 8, steps: 400, batchSize: 4,
  onStep: (step) => {
    if ((step + 1) % 50 === 0) console.log(`  segmentation scorer: step ${step + 1}/400`);
  },
});
console.log(`segmentation scorer: ${scorer.cached ? 'cached' : 'trained'} in ${scorer.path}`);

const labels = tf.tensor3d(
  Int32Array.from(Array.from({ length: count }, (_, i) => Array.from(facadeSample(RECIPE.testOffset + i, { size: SEG_SIZE, seed: RECIPE.dataSeed }).label)).flat()),
  [count, SEG_SIZE, SEG_SIZE],
  'int32',
);
const summary = {
  heldOut: { count, offset: RECIPE.testOffset, seed: RECIPE.dataSeed, size: RECIPE.size },
  mode: 'inference',
  backend: `wasm (${backend.threads} threads)`,
  segmentationSize: SEG_SIZE,
  segmentation: {},
};

/** Photos [n, s, s, 3] in [-1, 1] at the scorer's size (2x2 average pools from larger powers of two). */
const toSegSize = (photos) => tf.tidy(() => {
  let p = photos;
  while (p.shape[1] > SEG_SIZE) p = tf.avgPool(p, 2, 2, 'valid');
  return p;
});

async function segment(name, photos) {
  const small = toSegSize(photos);
  const seg = await segmentationScore(scorer.model, small, labels);
  small.dispose();
  summary.segmentation[name] = { pixelAccuracy: seg.pixelAccuracy, meanClassAccuracy: seg.meanClassAccuracy, meanIoU: seg.meanIoU };
  console.log(`${name.padEnd(16)} segmentation: pixel acc. ${seg.pixelAccuracy.toFixed(3)}, class acc. ${seg.meanClassAccuracy.toFixed(3)}, class IoU ${seg.meanIoU.toFixed(3)}`);
}

// The ceiling: the real held-out photos.
const real = tf.tidy(() => tf.stack(Array.from({ length: count }, (_, i) => tf.sub(tf.div(tf.tensor3d(facadeSample(RECIPE.testOffset + i, { size: RECIPE.size, seed: RECIPE.dataSeed }).photo, [RECIPE.size, RECIPE.size, 3], 'float32'), 127.5), 1))));
await segment('real-photos', real);
real.dispose();

for (const { name, model, size } of models) {
  const dir = join(args.out, name);
  await mkdir(dir, { recursive: true });
  const outputs = [];
  for (let i = 0; i < count; i++) {
    const { x, sample } = heldOut(i, size);
    const y = generate(model, x, { mode: 'inference' });
    const y0 = tf.squeeze(y, [0]);
    const out8 = tensorToImage(y0);
    const id = String(i).padStart(4, '0');
    await writeImage(join(dir, `${id}_real_A.png`), { width: size, height: size, channels: 3, data: sample.labelRgb });
    await writeImage(join(dir, `${id}_fake_B.png`), out8);
    await writeImage(join(dir, `${id}_real_B.png`), { width: size, height: size, channels: 3, data: sample.photo });
    // The segmentation score reads the 8-bit output.
    outputs.push(tf.tidy(() => tf.sub(tf.div(tf.tensor3d(out8.data, [size, size, 3], 'float32'), 127.5), 1)));
    tf.dispose([x, y, y0]);
  }
  const photos = tf.stack(outputs);
  tf.dispose(outputs);
  await segment(name, photos);
  photos.dispose();
}
await writeFile(join(args.out, 'segmentation.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(`wrote ${args.out}/<model>/*.png and segmentation.json; next: python3 scripts/fixtures/make_pretrained_metrics.py ${args.out}`);
