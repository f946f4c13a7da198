#!/usr/bin/env node
// The paper's three ablation studies (Isola et al. 2017, section 4.2, Tables 1-3) on the bundled
// procedural facades task (label map -> photo), written with the package's public API only:
//
//   1. objective:       L1, GAN (unconditional D), cGAN, L1+GAN, L1+cGAN      (U-Net, 70x70 PatchGAN)
//   2. generator:       encoder-decoder vs U-Net, each under L1 and L1+cGAN   (70x70 PatchGAN)
//   3. receptive field: 1, 16, 70, 286 under L1+cGAN                          (U-Net)
//
// Every run starts from the same seed (same initial weights for the same architecture, same data
// order and jitter) and trains for the same number of steps. Each study writes <study>.md and
// <study>.json (segmentation score, L1, PSNR, SSIM on a held-out split, next to the paper's FCN-scores)
// and <study>.png (rows: test examples; columns: input, each variant, target). Runs shared between
// studies (U-Net L1 and U-Net L1+cGAN RF 70) are trained once.
//
// Build the package first (`npm run build`), then: node examples/ablation/run.mjs --help

import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  Trainer,
  compositeLoss,
  discriminatorOutputShape,
  encoderDecoderGenerator,
  facadeBatches,
  facadeTensors,
  imageMetrics,
  patchDiscriminator,
  segmentationScore,
  unetGenerator,
} from '@acme/pix2pix';
import { cachedFacadeSegmenter, writeSampleGrid } from '@acme/pix2pix/node';
import { PAPER_SOURCE, PAPER_TABLE_1, PAPER_TABLE_2, PAPER_TABLE_3 } from './paper.mjs';

const OPTIONS = {
  out: { type: 'string', default: 'runs/ablation', help: 'output directory' },
  'cache-dir': { type: 'string', default: '.cache/pix2pix-ablation', help: 'where the trained segmentation scorer is cached' },
  studies: { type: 'string', default: 'objective,generator,receptive-field', help: 'comma-separated subset of objective,generator,receptive-field' },
  size: { type: 'string', default: '128', help: 'image side (a power of two; the 286 receptive field needs >= 96)' },
  filters: { type: 'string', default: '8', help: 'base filters of G and D (the paper: 64)' },
  steps: { type: 'string', default: '200', help: 'training steps per run (half at the base learning rate, then linear decay to 0)' },
  'batch-size': { type: 'string', default: '1', help: 'training batch size (the paper: 1)' },
  lambda: { type: 'string', default: '100', help: 'weight of the L1 term' },
  'train-count': { type: 'string', default: '400', help: 'facades in the training split (samples 0..n-1)' },
  'test-count': { type: 'string', default: '50', help: 'facades in the held-out test split (samples 100000..)' },
  'data-seed': { type: 'string', default: '0', help: 'facades data set seed' },
  seed: { type: 'string', default: '1', help: 'seed of every run: weights, data order, jitter, dropout' },
  'eval-mode': { type: 'string', default: 'paper', help: "'paper' (dropout on, test-batch statistics, batch 1) or 'inference'" },
  'seg-steps': { type: 'string', default: '400', help: 'training steps of the segmentation scorer' },
  'seg-filters': { type: 'string', default: '8', help: 'base filters of the segmentation scorer' },
  'seg-batch': { type: 'string', default: '4', help: 'batch size of the segmentation scorer' },
  'grid-rows': { type: 'string', default: '4', help: 'test examples shown in each image grid' },
  backend: { type: 'string', default: 'wasm', help: "'wasm' (with @acme/pix2pix/wasm's training kernels) or 'cpu'" },
  threads: { type: 'string', default: '2', help: 'wasm threads' },
  help: { type: 'boolean', default: false, help: 'show this help' },
};

const { values: args } = parseArgs({ options: Object.fromEntries(Object.entries(OPTIONS).map(([k, v]) => [k, { type: v.type, default: v.default }])) });
if (args.help) {
  console.log('Usage: node examples/ablation/run.mjs [options]\n');
  for (const [k, v] of Object.entries(OPTIONS)) console.log(`  --${k.padEnd(14)} ${v.help}${v.type === 'string' ? ` (default ${v.default})` : ''}`);
  process.exit(0);
}
const int = (name) => {
  const v = Number(args[name]);
  if (!Number.isInteger(v)) throw new RangeError(`--${name} must be an integer (got ${args[name]})`);
  return v;
};
const cfg = {
  size: int('size'),
  filters: int('filters'),
  steps: int('steps'),
  batchSize: int('batch-size'),
  lambda: Number(args.lambda),
  trainCount: int('train-count'),
  testCount: int('test-count'),
  testOffset: 100000,
  dataSeed: int('data-seed'),
  seed: int('seed'),
  evalMode: args['eval-mode'],
  segSteps: int('seg-steps'),
  segFilters: int('seg-filters'),
  segBatch: int('seg-batch'),
  gridRows: int('grid-rows'),
  backend: args.backend,
  threads: int('threads'),
};
const studies = args.studies.split(',').map((s) => s.trim()).filter(Boolean);
const out = args.out;
await mkdir(out, { recursive: true });

// ---- backend -----------------------------------------------------------------------------------
if (cfg.backend === 'wasm') {
  const { initWasmBackend } = await import('@acme/pix2pix/wasm');
  const info = await initWasmBackend({ threads: cfg.threads });
  console.log(`backend: wasm, ${info.threads} thread(s), simd ${info.simd}, training kernels ${info.training}`);
} else if (cfg.backend === 'cpu') {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  console.log('backend: cpu');
} else {
  throw new RangeError(`--backend must be 'wasm' or 'cpu' (got '${cfg.backend}')`);
}

// ---- the variants --------------------------------------------------------------------------------
// objective -> compositeLoss options and whether D sees the input (cGAN) or the output alone (GAN).
const OBJECTIVES = {
  L1: { loss: { gan: 'none', reconstruction: 'l1' }, conditional: null },
  GAN: { loss: { gan: 'vanilla', reconstruction: 'none' }, conditional: false },
  cGAN: { loss: { gan: 'vanilla', reconstruction: 'none' }, conditional: true },
  'L1+GAN': { loss: { gan: 'vanilla', reconstruction: 'l1' }, conditional: false },
  'L1+cGAN': { loss: { gan: 'vanilla', reconstruction: 'l1' }, conditional: true },
};
const GENERATORS = { 'U-Net': unetGenerator, 'encoder-decoder': encoderDecoderGenerator };

const STUDIES = {
  objective: {
    title: 'Study 1: objective (U-Net generator, 70x70 PatchGAN)',
    paper: PAPER_TABLE_1,
    variants: Object.keys(OBJECTIVES).map((objective) => ({ label: objective, paperRow: objective, generator: 'U-Net', objective, receptiveField: 70 })),
  },
  generator: {
    title: 'Study 2: generator architecture (70x70 PatchGAN)',
    paper: PAPER_TABLE_2,
    variants: ['encoder-decoder', 'U-Net'].flatMap((generator) =>
      ['L1', 'L1+cGAN'].map((objective) => ({ label: `${generator} (${objective})`, paperRow: `${generator} (${objective})`, generator, objective, receptiveField: 70 })),
    ),
  },
  'receptive-field': {
    title: 'Study 3: discriminator receptive field (U-Net generator, L1+cGAN)',
    paper: PAPER_TABLE_3,
    variants: [
      [1, 'RF 1 (PixelGAN)'],
      [16, 'RF 16'],
      [70, 'RF 70'],
      [286, 'RF 286 (ImageGAN)'],
    ].map(([receptiveField, paperRow]) => ({ label: paperRow, paperRow, generator: 'U-Net', objective: 'L1+cGAN', receptiveField })),
  },
};
for (const s of studies) if (!(s in STUDIES)) throw new RangeError(`--studies: unknown study '${s}' (known: ${Object.keys(STUDIES).join(', ')})`);

// ---- data ------------------------------------------------------------------------------------------
const test = facadeTensors({ size: cfg.size, seed: cfg.dataSeed, offset: cfg.testOffset, count: cfg.testCount });
const gridRows = Math.min(cfg.gridRows, cfg.testCount);
const firstRows = (t) => tf.slice(t, 0, gridRows);

// ---- the segmentation scorer (trained once on the training split's real photos, then cached) ----
let t0 = performance.now();
const scorer = await cachedFacadeSegmenter({
  cacheDir: args['cache-dir'],
  size: cfg.size,
  seed: cfg.dataSeed,
  offset: 0,
  count: cfg.trainCount,
  filters: cfg.segFilters,
  steps: cfg.segSteps,
  batchSize: cfg.segBatch,
  onStep: (step, loss) => {
    if ((step + 1) % 100 === 0) console.log(`  segmentation scorer: step ${step + 1}/${cfg.segSteps}, cross-entropy ${loss.toFixed(3)}`);
  },
});
console.log(`segmentation scorer: ${scorer.cached ? 'loaded from' : 'trained and stored in'} ${scorer.path} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
const groundTruth = {
  seg: await segmentationScore(scorer.model, test.photos, test.labels),
};
console.log(`ground truth (real test photos): pixel acc ${groundTruth.seg.pixelAccuracy.toFixed(3)}, class acc ${groundTruth.seg.meanClassAccuracy.toFixed(3)}, IoU ${groundTruth.seg.meanIoU.toFixed(3)}`);

// ---- one run: train with the public API, then evaluate on the test split --------------------------
const runs = new Map();
async function run(variant) {
  const key = `${variant.generator}|${variant.objective}|${variant.receptiveField}`;
  if (runs.has(key)) return runs.get(key);
  const { loss: lossOptions, conditional } = OBJECTIVES[variant.objective];
  const generator = GENERATORS[variant.generator]({ imageSize: cfg.size, filters: cfg.filters, norm: 'batch', dropout: 0.5, seed: cfg.seed });
  const discriminator =
    conditional === null
      ? null
      : patchDiscriminator({ imageSize: cfg.size, receptiveField: variant.receptiveField, filters: cfg.filters, norm: 'batch', conditional, seed: cfg.seed + 1 });
  const loss = compositeLoss({ lambda: cfg.lambda, ...lossOptions, seed: cfg.seed });
  const trainer = new Trainer({ generator, discriminator, loss, seed: cfg.seed, schedule: 'linear' });
  const data = facadeBatches({ count: cfg.trainCount, size: cfg.size, seed: cfg.dataSeed, batchSize: cfg.batchSize });
  // 10 pseudo-epochs: 5 at the base rate, 5 of linear decay (the reference's n_epochs = n_epochs_decay).
  const stepsPerEpoch = Math.max(1, Math.round(cfg.steps / 10));
  const start = performance.now();
  let last = null;
  await trainer.fit(data, {
    epochs: 5,
    epochsDecay: 5,
    stepsPerEpoch,
    onStep: (s) => {
      last = s;
      if (s.step % Math.max(1, Math.round(cfg.steps / 5)) === 0) {
        const sec = (performance.now() - start) / 1000 / s.step;
        console.log(`  [${variant.generator}, ${variant.objective}, RF ${variant.receptiveField}] step ${s.step}/${10 * stepsPerEpoch}: G ${s.gLoss.toFixed(3)}, D ${s.dLoss.toFixed(3)} (${sec.toFixed(2)} s/step)`);
      }
    },
  });
  const trainSeconds = (performance.now() - start) / 1000;

  // Test: batch 1 as in training (in 'paper' mode each image is normalised by its own statistics).
  const fakes = [];
  for (let i = 0; i < cfg.testCount; i++) {
    const x = tf.slice(test.labelMaps, i, 1);
    fakes.push(trainer.generate(x, { mode: cfg.evalMode, seed: cfg.seed + i }));
    x.dispose();
  }
  const fake = tf.concat(fakes);
  tf.dispose(fakes);
  const seg = await segmentationScore(scorer.model, fake, test.labels);
  const img = await imageMetrics(fake, test.photos, { range: '[-1,1]' });
  const result = {
    generator: variant.generator,
    objective: variant.objective,
    receptiveField: variant.receptiveField,
    steps: trainer.step,
    trainSeconds,
    finalLosses: last === null ? null : { generator: last.generator, discriminator: last.discriminator },
    pixelAccuracy: seg.pixelAccuracy,
    classAccuracy: seg.meanClassAccuracy,
    classIoU: seg.meanIoU,
    l1: img.l1.mean,
    psnr: img.psnr.mean,
    ssim: img.ssim.mean,
    grid: firstRows(fake),
  };
  fake.dispose();
  trainer.dispose();
  generator.dispose();
  discriminator?.dispose();
  console.log(
    `  -> pixel acc ${result.pixelAccuracy.toFixed(3)}, class acc ${result.classAccuracy.toFixed(3)}, IoU ${result.classIoU.toFixed(3)}, ` +
      `L1 ${result.l1.toFixed(4)}, PSNR ${result.psnr.toFixed(2)} dB, SSIM ${result.ssim.toFixed(4)} (${trainSeconds.toFixed(0)} s training)`,
  );
  runs.set(key, result);
  return result;
}

// ---- the studies ---------------------------------------------------------------------------------
const f2 = (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(2));
const f3 = (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(3));
const setup =
  `facades labels -> photo, ${cfg.size}x${cfg.size}, filters ${cfg.filters}, ${cfg.steps} steps of batch ${cfg.batchSize} per run, ` +
  `lambda ${cfg.lambda}, seed ${cfg.seed}, ${cfg.trainCount} training / ${cfg.testCount} test facades, eval mode '${cfg.evalMode}', backend ${cfg.backend}`;
const startAll = performance.now();
for (const name of studies) {
  const study = STUDIES[name];
  console.log(`\n${study.title}`);
  const rows = [];
  for (const v of study.variants) {
    try {
      discriminatorOutputShape({ receptiveField: v.receptiveField }, cfg.size);
    } catch (e) {
      // e.g. RF 286 needs images of at least 96 pixels: say so in the table instead of failing the study.
      console.log(`  skipping ${v.label}: ${e.message}`);
      rows.push({ variant: v, result: null, skipped: e.message });
      continue;
    }
    rows.push({ variant: v, result: await run(v) });
  }

  const paper = study.paper;
  const md = [
    `## ${study.title}`,
    '',
    setup + '.',
    `Segmentation score: our facade segmenter (trained on the real training photos) on the generated test photos. ` +
      `Paper columns: ${PAPER_SOURCE}, ${paper.table} (FCN-scores on Cityscapes labels -> photo, 256x256; compare orderings, not values).`,
    '',
    '| variant | pixel acc. | class acc. | class IoU | L1 | PSNR (dB) | SSIM | paper pixel acc. | paper class acc. | paper class IoU |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(({ variant, result: r }) => {
      const p = paper.rows[variant.paperRow] ?? {};
      if (r === null) return `| ${variant.label} | n/a at ${cfg.size}x${cfg.size} | | | | | | ${f2(p.pixelAccuracy)} | ${f2(p.classAccuracy)} | ${f2(p.classIoU)} |`;
      return `| ${variant.label} | ${f3(r.pixelAccuracy)} | ${f3(r.classAccuracy)} | ${f3(r.classIoU)} | ${r.l1.toFixed(4)} | ${f2(r.psnr)} | ${f3(r.ssim)} | ${f2(p.pixelAccuracy)} | ${f2(p.classAccuracy)} | ${f2(p.classIoU)} |`;
    }),
  ];
  const gt = paper.rows['ground truth'];
  md.push(
    `| ground truth (real photos) | ${f3(groundTruth.seg.pixelAccuracy)} | ${f3(groundTruth.seg.meanClassAccuracy)} | ${f3(groundTruth.seg.meanIoU)} | 0 | inf | 1 | ${f2(gt?.pixelAccuracy)} | ${f2(gt?.classAccuracy)} | ${f2(gt?.classIoU)} |`,
    '',
    `Image grid: ${name}.png (rows: test facades; columns: input, ${rows.filter((r) => r.result !== null).map((r) => r.variant.label).join(', ')}, target).`,
    '',
  );
  const json = {
    study: name,
    title: study.title,
    config: cfg,
    paper: { source: PAPER_SOURCE, ...paper },
    groundTruth: { pixelAccuracy: groundTruth.seg.pixelAccuracy, classAccuracy: groundTruth.seg.meanClassAccuracy, classIoU: groundTruth.seg.meanIoU },
    rows: rows.map(({ variant, result: r, skipped }) => {
      if (r === null) return { variant: variant.label, skipped, paper: paper.rows[variant.paperRow] ?? null };
      const { grid: _grid, ...numbers } = r;
      return { variant: variant.label, ...numbers, paper: paper.rows[variant.paperRow] ?? null };
    }),
  };
  await writeFile(join(out, `${name}.md`), md.join('\n'));
  await writeFile(join(out, `${name}.json`), JSON.stringify(json, null, 2));
  const inputs = firstRows(test.labelMaps);
  const targets = firstRows(test.photos);
  const shown = rows.filter((r) => r.result !== null);
  await writeSampleGrid(join(out, `${name}.png`), [inputs, ...shown.map((r) => r.result.grid), targets], { maxRows: gridRows });
  tf.dispose([inputs, targets]);
  console.log('\n' + md.join('\n'));
}
console.log(`\nall studies: ${((performance.now() - startAll) / 1000 / 60).toFixed(1)} min; tables and grids in ${out}/`);
for (const r of runs.values()) r.grid.dispose();
tf.dispose([test.photos, test.labels, test.labelMaps]);
scorer.model.dispose();
