// The README's picture of the pretrained model: held-out pairs as input | output | target rows, where the
// outputs are what `pix2pix translate --model <shipped folder> --ab --eval` wrote for those pairs.
//
//   node scripts/pretrain/held_out_row.mjs --data runs/pretrain/data/test --translated <translate --output> \
//     --names 1000000.png,1000001.png --out <png>
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { imageToTensor, splitAB } from '@acme/pix2pix';
import { readImage, writeSampleGrid } from '@acme/pix2pix/node';

const { values: args } = parseArgs({
  options: { data: { type: 'string' }, translated: { type: 'string' }, names: { type: 'string' }, out: { type: 'string' } },
});
for (const k of ['data', 'translated', 'names', 'out']) if (args[k] === undefined) throw new Error(`--${k} is required`);
await tf.setBackend('cpu');

const columns = [[], [], []];
for (const name of args.names.split(',')) {
  const { a, b } = splitAB(await readImage(join(args.data, name)));
  const out = await readImage(join(args.translated, name));
  for (const [i, img] of [a, out, b].entries()) columns[i].push(imageToTensor(img, 3));
}
const batches = columns.map((c) => tf.stack(c));
await writeSampleGrid(args.out, batches, { maxRows: columns[0].length });
tf.dispose([...batches, ...columns.flat()]);
console.log(`wrote ${args.out} (input | output | target, ${columns[0].length} held-out pair(s))`);
