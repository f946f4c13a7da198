import * as tf from '@tensorflow/tfjs-core';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pairedBatches, type Direction } from '../data/batches.js';
import type { ImageChannels } from '../data/image.js';
import type { PairSource } from '../data/source.js';
import { patchDiscriminator } from '../discriminator/patch_discriminator.js';
import type { ReceptiveField } from '../discriminator/options.js';
import { encoderDecoderGenerator } from '../generator/encoder_decoder_generator.js';
import { unetGenerator } from '../generator/unet_generator.js';
import type { NormKind } from '../layers/norm.js';
import { compositeLoss, type CompositeGan, type CompositeReconstruction } from '../losses/composite_loss.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { folderPairs, type FolderLayout } from '../node/folder_pairs.js';
import { writeReport, type HistoryEntry } from '../node/report.js';
import { writeSampleGrid } from '../node/sample_grid.js';
import { Trainer, type StepStats } from '../trainer/trainer.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';
import { TrainProgress } from './progress.js';

/** Generator architectures of `pix2pix train --generator`. */
export type GeneratorKind = 'unet' | 'encoder-decoder';

/** Everything `pix2pix train` needs. */
export interface TrainRunOptions {
  data: string;
  layout?: FolderLayout;
  direction: Direction;
  size: number;
  loadSize?: number;
  flip: boolean;
  inputChannels: ImageChannels;
  outputChannels: ImageChannels;
  epochs: number;
  epochsDecay: number;
  batchSize: number;
  lambda: number;
  gan: CompositeGan;
  reconstruction: CompositeReconstruction;
  norm: NormKind;
  rf: ReceptiveField;
  generator: GeneratorKind;
  filters: number;
  dFilters: number;
  lr: number;
  backend: CliBackend;
  out: string;
  resume: boolean;
  seed: number;
  sampleEvery: number;
  checkpointEvery: number;
  maxSteps?: number;
  timeLimit?: number;
  /** Where progress and messages go. Default process.stderr. */
  log?: NodeJS.WriteStream;
  /** Stop when this signal aborts (the CLI wires SIGINT to it). */
  signal?: AbortSignal;
}

/** What a training run ended with. */
export interface TrainRunResult {
  trainer: Trainer;
  step: number;
  /** Why it stopped: all epochs done, a step or time limit, or interrupted. */
  reason: 'done' | 'max-steps' | 'time-limit' | 'interrupted';
  backend: string;
  checkpoint: string;
  report: string;
  seconds: number;
}

/** Options stored in `run.json` and reused by `--resume` (the data and model must not change). */
const RUN_KEYS = [
  'data', 'layout', 'direction', 'size', 'loadSize', 'flip', 'inputChannels', 'outputChannels', 'batchSize', 'lambda', 'gan',
  'reconstruction', 'norm', 'rf', 'generator', 'filters', 'dFilters', 'lr', 'seed',
] as const;

const GENERATORS: Record<GeneratorKind, typeof unetGenerator> = {
  unet: unetGenerator,
  'encoder-decoder': encoderDecoderGenerator,
};

const exists = async (p: string) => stat(p).then(() => true, () => false);

/** The checkpoint folder inside a training output folder. */
export const checkpointDir = (out: string) => join(out, 'checkpoint');

function historyEntry(s: StepStats): HistoryEntry {
  const e: HistoryEntry = { step: s.step, epoch: s.epoch, lr: s.learningRate };
  for (const [k, v] of Object.entries(s.generator)) e[`G/${k}`] = v;
  for (const [k, v] of Object.entries(s.discriminator)) e[`D/${k}`] = v;
  return e;
}

/** Runs `pix2pix train`: data from a folder, nets from the factories, the Trainer, samples, checkpoints, report. */
export async function runTrain(opts: TrainRunOptions): Promise<TrainRunResult> {
  const log = opts.log ?? process.stderr;
  const out = opts.out;
  const ckpt = checkpointDir(out);
  const hasCkpt = await exists(join(ckpt, 'model.json'));
  if (hasCkpt && !opts.resume) throw new CliError(`${out} already holds a checkpoint: pass --resume to continue it, or choose another --out`);
  if (!hasCkpt && opts.resume) throw new CliError(`--resume: no checkpoint in ${ckpt}`);
  await mkdir(join(out, 'samples'), { recursive: true });

  // On resume, the data and model options come from run.json.
  let o = opts;
  if (opts.resume) {
    try {
      const saved = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as Partial<TrainRunOptions>;
      o = { ...opts };
      for (const k of RUN_KEYS) if (saved[k] !== undefined) (o as unknown as Record<string, unknown>)[k] = saved[k];
    } catch (e) {
      throw new CliError(`--resume: cannot read ${join(out, 'run.json')} (${(e as Error).message})`);
    }
  } else {
    const saved = Object.fromEntries(RUN_KEYS.map((k) => [k, o[k]]));
    await writeFile(join(out, 'run.json'), JSON.stringify(saved, null, 2) + '\n');
  }

  const backend = await selectBackend(o.backend);
  const source: PairSource = await folderPairs(o.data, { layout: o.layout });
  const data = pairedBatches(source, {
    imageSize: o.size,
    loadSize: o.loadSize,
    flip: o.flip,
    direction: o.direction,
    inputChannels: o.inputChannels,
    targetChannels: o.outputChannels,
    batchSize: o.batchSize,
    seed: o.seed,
  });

  let trainer: Trainer;
  if (opts.resume) {
    trainer = await Trainer.load(fileCheckpoint(ckpt));
  } else {
    const G = GENERATORS[o.generator]({
      imageSize: o.size,
      inputChannels: o.inputChannels,
      outputChannels: o.outputChannels,
      filters: o.filters,
      norm: o.norm,
      seed: o.seed,
    });
    const loss = compositeLoss({ lambda: o.lambda, gan: o.gan, reconstruction: o.reconstruction, seed: o.seed });
    const D = loss.usesDiscriminator
      ? patchDiscriminator({ receptiveField: o.rf, inputChannels: o.inputChannels, targetChannels: o.outputChannels, filters: o.dFilters, norm: o.norm, seed: o.seed + 1 })
      : null;
    trainer = new Trainer({ generator: G, discriminator: D, loss, learningRate: o.lr, seed: o.seed });
  }

  // History: keep what the checkpoint covers (steps after it were lost with the process).
  const historyPath = join(out, 'history.jsonl');
  let history: HistoryEntry[] = [];
  if (opts.resume && (await exists(historyPath))) {
    history = (await readFile(historyPath, 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as HistoryEntry)
      .filter((e) => e.step <= trainer.step);
  }
  await writeFile(historyPath, history.map((e) => JSON.stringify(e) + '\n').join(''));

  // A fixed set of examples for the sample grids: the first pairs, without jitter.
  const sampleBatches = pairedBatches(source, { ...data.options, jitter: false, shuffle: false, batchSize: Math.min(4, source.length), prefetch: 0 });
  let sample: { input: tf.Tensor4D; target: tf.Tensor4D } | null = null;
  for await (const b of sampleBatches.epoch(0)) {
    sample = { input: b.input, target: b.target };
    break;
  }
  const samples: Array<{ path: string; step: number }> = [];
  const info = (extra: Record<string, string | number> = {}) => ({
    data: o.data,
    backend,
    direction: o.direction,
    'image size': o.size,
    generator: `${o.generator}, filters ${o.filters}, norm ${o.norm}`,
    discriminator: trainer.discriminator ? `PatchGAN RF ${o.rf}, filters ${o.dFilters}` : 'none',
    loss: `gan ${o.gan}, reconstruction ${o.reconstruction}, lambda ${o.lambda}`,
    'batch size': o.batchSize,
    'pairs': source.length,
    step: trainer.step,
    ...extra,
  });
  const writeSamples = async () => {
    if (!sample) return;
    const fake = trainer.generate(sample.input, { mode: 'paper' });
    const name = `samples/step-${String(trainer.step).padStart(7, '0')}.png`;
    await writeSampleGrid(join(out, name), [sample.input, fake, sample.target]);
    fake.dispose();
    if (samples.length === 0 || samples[samples.length - 1]!.step !== trainer.step) samples.push({ path: name, step: trainer.step });
  };
  const report = (extra?: Record<string, string | number>) => writeReport(out, { title: `pix2pix training: ${o.data}`, history, samples, info: info(extra) });
  const save = async () => {
    await trainer.save(fileCheckpoint(ckpt));
  };

  const totalEpochs = o.epochs + o.epochsDecay;
  let total = totalEpochs * data.batchesPerEpoch;
  if (o.maxSteps !== undefined) total = Math.min(total, o.maxSteps);
  const t0 = Date.now();
  const deadline = o.timeLimit !== undefined ? t0 + o.timeLimit * 1000 : Infinity;
  const progress = new TrainProgress(total, trainer.step, Math.max(1, Math.floor(total / 25)), log, deadline);
  log.write(`pix2pix train: ${source.length} pairs from ${o.data}, ${o.size}x${o.size}, ${o.direction}, backend ${backend}, step ${trainer.step} -> ${total}${o.timeLimit !== undefined ? ` or ${o.timeLimit} s` : ''}\n`);

  const stop = new AbortController();
  const state: { reason: TrainRunResult['reason'] } = { reason: 'done' };
  const onAbort = () => {
    if (state.reason === 'done') state.reason = 'interrupted';
    stop.abort();
  };
  opts.signal?.addEventListener('abort', onAbort);
  if (opts.signal?.aborted) onAbort();
  if (trainer.step === 0) await writeSamples();
  try {
    if (trainer.step < total) {
      await trainer.fit(data, {
        epochs: o.epochs,
        epochsDecay: o.epochsDecay,
        signal: stop.signal,
        onStep: async (s) => {
          const e = historyEntry(s);
          history.push(e);
          await appendFile(historyPath, JSON.stringify(e) + '\n');
          const losses: Record<string, number> = { G: s.gLoss };
          if (trainer.discriminator) losses.D = s.dLoss;
          if (s.generator.reconstruction !== undefined) losses.rec = s.generator.reconstruction;
          progress.update({ step: s.step, epoch: s.epoch, epochs: totalEpochs, losses });
          if (s.step % o.sampleEvery === 0) {
            await writeSamples();
            await report();
          }
          if (s.step % o.checkpointEvery === 0) await save();
          if (o.maxSteps !== undefined && s.step >= o.maxSteps) {
            if (state.reason === 'done') state.reason = 'max-steps';
            stop.abort();
          }
          if (o.timeLimit !== undefined && (Date.now() - t0) / 1000 >= o.timeLimit) {
            if (state.reason === 'done') state.reason = 'time-limit';
            stop.abort();
          }
        },
      });
    }
  } finally {
    progress.stop();
    opts.signal?.removeEventListener('abort', onAbort);
    // Whatever happened (done, limit, Ctrl-C, error): keep the work.
    await save();
    await writeSamples();
    const reportPath = await report();
    if (sample) tf.dispose([sample.input, sample.target]);
    log.write(`${state.reason === 'interrupted' ? 'interrupted: ' : ''}checkpoint saved at step ${trainer.step} in ${ckpt}; report: ${reportPath}\n`);
  }
  return { trainer, step: trainer.step, reason: state.reason, backend, checkpoint: ckpt, report: join(out, 'report.html'), seconds: (Date.now() - t0) / 1000 };
}
