/**
 * `pix2pix demo` (`npm run demo`): writes the facades data set, trains a small pix2pix for a few minutes,
 * reports held-out scores. A second run continues the previous demo's training (and says so); `--fresh`
 * starts over, removing only the folders the demo itself created (listed in its `demo.json`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pairedBatches } from '../data/batches.js';
import { facadePairs } from '../data/facades/source.js';
import { unetGenerator } from '../generator/unet_generator.js';
import { compositeLoss } from '../losses/composite_loss.js';
import { l1 } from '../metrics/l1.js';
import { psnr } from '../metrics/psnr.js';
import { writeFacadeDataset } from '../node/facade_dataset.js';
import { writeSampleGrid } from '../node/sample_grid.js';
import { Trainer } from '../trainer/trainer.js';
import { addToRecord, adoptFolder, readRecord, writeFileSafe } from '../node/fs/index.js';
import { CliError, type CliBackend } from './backend.js';
import { runTrain } from './train.js';

/** Options of `pix2pix demo` (`npm run demo`). */
export interface DemoOptions {
  out: string;
  minutes: number;
  size: number;
  count: number;
  testCount: number;
  filters: number;
  backend: CliBackend;
  seed: number;
  /** Start over: remove the previous demo's own folders (never anything else) instead of continuing it. Default false. */
  fresh?: boolean;
  signal?: AbortSignal;
  log?: NodeJS.WriteStream;
}

/** The demo's record of a run folder: its settings and the paths (relative to `--out`) it created. */
interface DemoRecord {
  size: number;
  filters: number;
  count: number;
  testCount: number;
  seed: number;
  created: string[];
}

/** File in `--out` holding the {@link DemoRecord}. */
const DEMO_RECORD = 'demo.json';
/** What the demo writes under `--out` (its own paths; `--fresh` removes exactly these). */
const DEMO_PATHS = ['data/train', 'data/test', 'train', 'held-out.png'];
/** Settings a continued demo must keep (the checkpoint and data set depend on them). */
const DEMO_SETTINGS = ['size', 'filters', 'count', 'testCount', 'seed'] as const;
const FLAG: Record<(typeof DEMO_SETTINGS)[number], string> = { size: '--size', filters: '--filters', count: '--count', testCount: '--test-count', seed: '--seed' };

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Decides whether this demo run continues the previous one in `o.out` (true) or starts fresh (false),
 * removing the previous demo's own paths on `--fresh`. Refuses to touch paths the demo did not create,
 * and to continue a demo made with other settings.
 */
async function prepareDemoFolder(o: DemoOptions, log: NodeJS.WriteStream): Promise<boolean> {
  const recordPath = join(o.out, DEMO_RECORD);
  let record: DemoRecord | null = null;
  if (await exists(recordPath)) {
    try {
      record = JSON.parse(await readFile(recordPath, 'utf8')) as DemoRecord;
    } catch (e) {
      throw new CliError(`${recordPath} is not valid JSON (${(e as Error).message}); remove it by hand if that folder is a demo run`);
    }
  }
  const present: string[] = [];
  for (const p of DEMO_PATHS) if (await exists(join(o.out, p))) present.push(p);
  if (!record) {
    if (present.length > 0) {
      throw new CliError(
        `${o.out} already holds ${present.join(', ')}, not written by the demo (no ${DEMO_RECORD}): choose another --out`,
      );
    }
    return false;
  }
  if (o.fresh) {
    const created = Array.isArray(record.created) ? record.created.filter((p) => DEMO_PATHS.includes(p)) : [];
    for (const p of created) await rm(join(o.out, p), { recursive: true, force: true });
    await rm(recordPath, { force: true });
    log.write(`demo: --fresh: removed the previous demo's ${created.join(', ') || 'record'} in ${o.out}\n`);
    return false;
  }
  // A demo of a version without write records: its own files (named in demo.json) become recorded ones.
  if ((await readRecord(o.out)) === null) await addToRecord(o.out, [DEMO_RECORD, ...['held-out.png'].filter((p) => present.includes(p))], `--out ${o.out}`);
  for (const p of ['data/train', 'data/test']) if (present.includes(p)) await adoptFolder(join(o.out, p), 'make-dataset');
  const differ = DEMO_SETTINGS.filter((k) => record![k] !== o[k]);
  if (differ.length > 0) {
    throw new CliError(
      `${o.out} holds a demo made with ${differ.map((k) => `${FLAG[k]} ${record![k]}`).join(' ')}; ` +
        `pass the same values to continue it, or --fresh to start over`,
    );
  }
  return exists(join(o.out, 'train', 'checkpoint', 'model.json'));
}

/** Held-out scores of one generator: mean L1 and PSNR over the test pairs, in both test-time modes. */
export interface DemoScores {
  l1Paper: number;
  psnrPaper: number;
  l1Inference: number;
  psnrInference: number;
}

/** Mean L1 / PSNR of `trainer`'s generator over the held-out pairs. */
async function score(trainer: Trainer, test: ReturnType<typeof facadePairs>, size: number): Promise<DemoScores> {
  const sums = { l1Paper: 0, psnrPaper: 0, l1Inference: 0, psnrInference: 0 };
  let n = 0;
  for await (const { input, target } of pairedBatches(test, { imageSize: size, jitter: false, shuffle: false, batchSize: 8 })) {
    for (const mode of ['paper', 'inference'] as const) {
      const fake = trainer.generate(input, { mode });
      const a = l1(fake, target);
      const p = psnr(fake, target);
      const key = mode === 'paper' ? 'Paper' : 'Inference';
      sums[`l1${key}`] += (await tf.sum(a).data())[0]!;
      sums[`psnr${key}`] += (await tf.sum(p).data())[0]!;
      tf.dispose([fake, a, p]);
    }
    n += input.shape[0];
    tf.dispose([input, target]);
  }
  return { l1Paper: sums.l1Paper / n, psnrPaper: sums.psnrPaper / n, l1Inference: sums.l1Inference / n, psnrInference: sums.psnrInference / n };
}

/**
 * The demo: writes the bundled facades data set (label map -> photo), trains a small pix2pix on it for
 * a few minutes, and prints held-out L1 and PSNR of the trained generator beside the untrained one.
 * Run again on the same `out`, it continues the previous demo's training for another `minutes`;
 * with `fresh`, it first removes the previous demo's own folders.
 */
export async function runDemo(o: DemoOptions): Promise<{ before: DemoScores; after: DemoScores; steps: number }> {
  const log = o.log ?? process.stderr;
  const resume = await prepareDemoFolder(o, log);
  const record: DemoRecord = { size: o.size, filters: o.filters, count: o.count, testCount: o.testCount, seed: o.seed, created: DEMO_PATHS };
  await writeFileSafe(join(o.out, DEMO_RECORD), JSON.stringify(record, null, 2) + '\n', { label: `--out ${o.out}` });
  if (resume) log.write(`demo: continuing the previous demo's training in ${join(o.out, 'train')} (pass --fresh to start over)\n`);
  const dataDir = join(o.out, 'data', 'train');
  const testDir = join(o.out, 'data', 'test');
  const TEST_OFFSET = 1_000_000; // test facades are never in the training set
  log.write(`demo: writing ${o.count} training and ${o.testCount} test facades (${o.size}x${o.size}, A = label map, B = photo) to ${join(o.out, 'data')}\n`);
  await writeFacadeDataset({ out: dataDir, count: o.count, size: o.size, seed: o.seed });
  await writeFacadeDataset({ out: testDir, count: o.testCount, size: o.size, seed: o.seed, offset: TEST_OFFSET });
  const test = facadePairs({ count: o.testCount, size: o.size, seed: o.seed, offset: TEST_OFFSET });

  const run = await runTrain({
    data: dataDir,
    direction: 'AtoB',
    size: o.size,
    flip: true,
    inputChannels: 3,
    outputChannels: 3,
    epochs: 1000,
    epochsDecay: 0,
    batchSize: 1,
    lambda: 100,
    gan: 'vanilla',
    reconstruction: 'l1',
    norm: 'batch',
    rf: 70,
    generator: 'unet',
    filters: o.filters,
    dFilters: o.filters,
    lr: 2e-4,
    backend: o.backend,
    out: join(o.out, 'train'),
    resume,
    seed: o.seed,
    sampleEvery: 50,
    checkpointEvery: 200,
    timeLimit: o.minutes * 60,
    signal: o.signal,
    log,
  });

  // The untrained generator: the same factory call with the same seed gives the same initial weights.
  const G0 = unetGenerator({ imageSize: o.size, filters: o.filters, norm: 'batch', seed: o.seed });
  const untrained = new Trainer({ generator: G0, loss: compositeLoss({ gan: 'none' }), seed: o.seed });
  const before = await score(untrained, test, o.size);
  const after = await score(run.trainer, test, o.size);
  // A picture of the same: held-out input | untrained output | trained output | target.
  const heldOut = join(o.out, 'held-out.png');
  for await (const { input, target } of pairedBatches(test, { imageSize: o.size, jitter: false, shuffle: false, batchSize: Math.min(6, o.testCount) }).epoch(0)) {
    const y0 = untrained.generate(input, { mode: 'paper' });
    const y1 = run.trainer.generate(input, { mode: 'paper' });
    await writeSampleGrid(heldOut, [input, y0, y1, target]);
    tf.dispose([input, target, y0, y1]);
    break;
  }
  untrained.dispose();
  G0.dispose();
  const f = (x: number, d: number) => x.toFixed(d).padStart(8);
  log.write(
    [
      '',
      `held-out facades (${o.testCount} pairs never trained on), label map -> photo, ${o.size}x${o.size}:`,
      `                      L1 (paper)  PSNR dB (paper)  L1 (inference)  PSNR dB (inference)`,
      `untrained generator   ${f(before.l1Paper, 4)}    ${f(before.psnrPaper, 2)}         ${f(before.l1Inference, 4)}        ${f(before.psnrInference, 2)}`,
      `trained (${String(run.step).padStart(5)} steps) ${f(after.l1Paper, 4)}    ${f(after.psnrPaper, 2)}         ${f(after.l1Inference, 4)}        ${f(after.psnrInference, 2)}`,
      `(L1 on [-1, 1] images, lower is better; PSNR higher is better. 'paper' = dropout and batch statistics at test time.)`,
      '',
      `held-out:   ${heldOut} (input | untrained | trained | target)`,
      `report:     ${run.report}`,
      `samples:    ${join(o.out, 'train', 'samples')}`,
      `checkpoint: ${run.checkpoint}`,
      `translate the test set: node dist/cli.js translate --model ${join(o.out, 'train')} --input ${testDir} --ab --output ${join(o.out, 'translated')}`,
      '',
    ].join('\n'),
  );
  run.trainer.dispose();
  return { before, after, steps: run.step };
}
