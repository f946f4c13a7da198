// `npm run pretrain`: reproduces the pretrained facade model shipped with the browser example
// (examples/browser/public/pretrained/, see its MODEL.md) with the CLI, step by step, under runs/pretrain/
// (gitignored). Each step is skipped when its output exists, and training continues its checkpoint
// (--resume), so the script can be stopped and run again. It never writes into the shipped folder: it
// prints the copy command at the end.
//
//   npm run pretrain                 # data, training (~1 h on a busy 2-core machine), exports, demo, evaluation
//   npm run pretrain -- --no-demo    # without the 4-minute demo model the card compares with
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RECIPE, trainArgs } from './recipe.mjs';

const { values: args } = parseArgs({ options: { 'no-demo': { type: 'boolean', default: false } } });
const cli = 'dist/cli.js';
if (!existsSync(cli)) throw new Error(`${cli} is missing: run 'npm run build' first (npm run pretrain does)`);

function run(cmd, argv) {
  console.log(`\n$ ${cmd} ${argv.join(' ')}`);
  const r = spawnSync(cmd, argv, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const pix2pix = (...argv) => run(process.execPath, [cli, ...argv]);
const d = RECIPE.dir;

// 1. Data: the bundled procedural facades, training pairs and held-out pairs (disjoint indices).
if (!existsSync(join(d, 'data/train'))) pix2pix('make-dataset', '--out', join(d, 'data/train'), '--count', String(RECIPE.trainCount), '--size', String(RECIPE.size), '--seed', String(RECIPE.dataSeed));
if (!existsSync(join(d, 'data/test'))) pix2pix('make-dataset', '--out', join(d, 'data/test'), '--count', String(RECIPE.testCount), '--size', String(RECIPE.size), '--seed', String(RECIPE.dataSeed), '--offset', String(RECIPE.testOffset));

// 2. Training (continues an interrupted run; a finished run stops at once).
const resume = existsSync(join(d, 'train/checkpoint/model.json'));
pix2pix(...trainArgs(), ...(resume ? ['--resume'] : []));

// 3. Exports: uint8 is what ships; float16 and float32 for the card's comparison.
for (const q of ['uint8', 'float16', 'float32']) {
  const out = join(d, `export-${q}`);
  if (!existsSync(out)) pix2pix('export', '--model', join(d, 'train'), '--out', out, ...(q === 'float32' ? [] : ['--quantize', q]));
}

// 4. The README's picture: `translate` on held-out pairs, laid out as input | output | target.
const translated = join(d, 'translated');
if (!existsSync(translated)) pix2pix('translate', '--model', join(d, 'export-uint8'), '--input', join(d, 'data/test'), '--ab', '--eval', '--output', translated);
run(process.execPath, ['scripts/pretrain/held_out_row.mjs', '--data', join(d, 'data/test'), '--translated', translated, '--names', '1000000.png,1000001.png', '--out', join(d, 'held-out.png')]);

// 5. The comparison model: the README's demo (64 px, 4 minutes of training on this machine).
if (!args['no-demo'] && !existsSync(join(d, 'demo/train/checkpoint/model.json'))) pix2pix('demo', '--out', join(d, 'demo'), '--minutes', '4', '--backend', 'wasm');

// 6. Held-out evaluation: 8-bit outputs and the segmentation score, then L1 / PSNR / SSIM by scikit-image.
run(process.execPath, ['scripts/pretrain/evaluate.mjs', '--shipped', join(d, 'export-uint8')]);
run('/usr/bin/python3', ['scripts/fixtures/make_pretrained_metrics.py', join(d, 'eval')]);

console.log(`\nto ship this model: cp ${join(d, 'export-uint8')}/model.json ${join(d, 'export-uint8')}/weights.bin ${join(d, 'held-out.png')} ${RECIPE.shipDir}/ (then update MODEL.md from test/fixtures/pretrained/metrics.json)`);
