// `pix2pix train`: data from a folder, networks from the factories, the Trainer, samples, validation,
// checkpoints (latest, best, numbered snapshots), history and report, in one locked output folder.
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { pairedBatches, type Direction } from '../data/batches.js';
import { COLORIZATION_CHANNELS, labBatchToRgb, type DatasetMode } from '../data/colorization.js';
import type { ImageChannels } from '../data/image.js';
import type { PreprocessMode } from '../data/preprocess.js';
import type { InitType } from '../layers/init.js';
import type { ReceptiveField } from '../discriminator/options.js';
import type { NormKind } from '../layers/norm.js';
import type { CompositeGan, CompositeReconstruction } from '../losses/composite_loss.js';
import { checkWasmCapacity } from '../backends/wasm/capacity.js';
import { generatorDivisor } from '../generator/divisor.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { appendFileSafe, WRITE_RECORD, writeFileSafe } from '../node/fs/index.js';
import { folderPairs, type FolderLayout } from '../node/folder_pairs.js';
import { writeReport, type HistoryEntry, type HistoryTimingKey } from '../node/report.js';
import { writeSampleGrid } from '../node/sample_grid.js';
import type { SchedulePolicy } from '../trainer/schedules/index.js';
import { Trainer, type StepStats } from '../trainer/trainer.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';
import { TrainProgress } from './progress.js';
import { resumeConflicts, type NetG } from './train/flags.js';
import { buildNetworks, generatorKind, initGenerator } from './train/networks.js';
import { exists, HISTORY_JSONL, makeWritableDir, openOutFolder, readHistory, readRunJson, RUN_JSON, undoFreshRun, type FreshRunTrace } from './train/out_folder.js';
import { DEFAULT_PHASE, resolveDataroot } from '../node/dataroot.js';
import { epochCheckpointDir } from './reference_flags.js';
import { absoluteData, architectureOf, checkResumeIdentity, comparableData, dataIdentity } from './train/identity.js';
import { firstPairs, openValidation, type Validation, type ValidationScores } from './train/validation.js';

export { checkpointDir } from './train/out_folder.js';

/** Generator architectures of `pix2pix train --generator` (older name of `--netG`). */
export type GeneratorKind = 'unet' | 'encoder-decoder' | 'resnet';

/** Everything `pix2pix train` needs. Fields marked "fixed" come from run.json on resume. */
export interface TrainRunOptions {
  /** Data set folder (fixed): `<data>/<phase>/` when that folder exists (the reference's layout), else `data`. */
  data: string;
  /** The split of `data` to train on (the reference's `--phase`; fixed). Default `'train'`. */
  phase?: string;
  layout?: FolderLayout;
  direction: Direction;
  size: number;
  loadSize?: number;
  flip: boolean;
  /** Image channels: 1, 3 or 4 (the colorization mode sets 1). */
  inputChannels: ImageChannels | number;
  /** Image channels: 1, 3 or 4 (the colorization mode sets 2, its ab channels). */
  outputChannels: ImageChannels | number;
  epochs: number;
  epochsDecay: number;
  batchSize: number;
  lambda: number;
  gan: CompositeGan;
  reconstruction: CompositeReconstruction;
  norm: NormKind;
  rf: ReceptiveField;
  /** `'unet'`, `'encoder-decoder'` or `'resnet'` (9 blocks); `netG` overrides it when given. */
  generator: GeneratorKind;
  /** The reference's `--netG` (default: `generator`). */
  netG?: NetG;
  filters: number;
  dFilters: number;
  lr: number;
  /** Adam beta1. Default: the Trainer's (0.5). */
  beta1?: number;
  /** Learning-rate policy. Default: the Trainer's (`'linear'`). */
  lrPolicy?: SchedulePolicy;
  /** Epochs between decays of the `'step'` policy. Default: the schedule's (50). */
  lrDecayIters?: number;
  /** The reference's `epoch_count`: 1-based number of the first epoch of a fresh run (its schedule starts there). Default 1. */
  epochCount?: number;
  /** Generator dropout. Default true. */
  dropout?: boolean;
  /** Weight initialisation of both networks (the reference's `--init_type`). Default `'normal'`. */
  initType?: InitType;
  /** Its gain (`--init_gain`). Default 0.02. */
  initGain?: number;
  /** How images are brought to size (the reference's `--preprocess`). Default `'resize_and_crop'`. */
  preprocess?: PreprocessMode;
  /** Unconditional discriminator (the paper's GAN-only ablation). Default false. */
  unconditionalD?: boolean;
  /** Take the pairs in order. Default false (shuffled every epoch). */
  serialBatches?: boolean;
  /** Use only the first n pairs. Default all. */
  maxDatasetSize?: number;
  /**
   * `'aligned'` (pix2pix) or `'colorization'` (the reference's `--model colorization`: L -> ab from the
   * photos, 1 channel in and 2 out, whatever `inputChannels` / `outputChannels` say). Stored in run.json,
   * where `test` and `translate` read it. Default `'aligned'`.
   */
  datasetMode?: DatasetMode;
  /** Starting generator weights: a model folder, a training run, or a reference `.pth`. */
  initGenerator?: string;
  backend: CliBackend;
  out: string;
  resume: boolean;
  seed: number;
  sampleEvery: number;
  checkpointEvery: number;
  /** Keep a numbered snapshot `checkpoint-step-<n>/` every n steps. */
  saveEvery?: number;
  /** Keep a numbered snapshot `checkpoint-epoch-<n>/` every n epochs (the reference's `save_epoch_freq`). */
  saveEpochFreq?: number;
  maxSteps?: number;
  timeLimit?: number;
  /** Held-out pairs to validate on. */
  valData?: string;
  /** Steps between validations. Default `sampleEvery`. */
  valEvery?: number;
  /** Validate on the first n held-out pairs. Default all. */
  valCount?: number;
  /** Keep the checkpoint with the best validation L1 in `checkpoint-best/`. Default false. */
  keepBest?: boolean;
  /**
   * The fixed settings the user gave on the command line (key -> flags as typed, e.g. `'--ngf 8'`): on
   * resume, each must agree with run.json. Absent: no check (library callers).
   */
  given?: Record<string, string>;
  /** Where progress and messages go. Default process.stderr. */
  log?: NodeJS.WriteStream;
  /** Stop when this signal aborts (the CLI wires SIGINT, SIGTERM and SIGHUP to it). */
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
  'data', 'phase', 'layout', 'direction', 'size', 'loadSize', 'flip', 'inputChannels', 'outputChannels', 'batchSize', 'lambda', 'gan',
  'reconstruction', 'norm', 'rf', 'generator', 'filters', 'dFilters', 'lr', 'seed',
  'netG', 'numDowns', 'beta1', 'lrPolicy', 'lrDecayIters', 'dropout', 'initType', 'initGain', 'preprocess', 'epochCount', 'unconditionalD', 'serialBatches', 'maxDatasetSize', 'initGenerator', 'datasetMode',
  'pairs', 'fingerprint', 'architecture',
] as const;

function historyEntry(s: StepStats): HistoryEntry {
  const e: HistoryEntry = { step: s.step, epoch: s.epoch, lr: s.learningRate };
  for (const [k, v] of Object.entries(s.generator)) e[`G/${k}`] = v;
  for (const [k, v] of Object.entries(s.discriminator)) e[`D/${k}`] = v;
  return e;
}

/**
 * The colorization mode fixes the channels (L in, ab out): a run whose command line asked for others
 * is refused; otherwise `inputChannels` / `outputChannels` become 1 and 2.
 */
function colorizationChannels(o: TrainRunOptions): TrainRunOptions {
  if (o.datasetMode !== 'colorization') return o;
  const want = { inputChannels: COLORIZATION_CHANNELS.input, outputChannels: COLORIZATION_CHANNELS.output };
  for (const k of ['inputChannels', 'outputChannels'] as const) {
    if (o.given?.[k] !== undefined && o[k] !== want[k]) {
      throw new CliError(`${o.given[k]}: the colorization mode trains ${want.inputChannels} channel (L) -> ${want.outputChannels} (ab); leave the channel flags out`);
    }
  }
  return { ...o, ...want };
}

/**
 * The timing fields of a `history.jsonl` line (see `HISTORY_TIMING_KEYS`): wall-clock time, training
 * time so far (continuing `elapsedBefore` of a resumed run), this step's wall time (including the
 * previous step's logging, samples and checkpoints) and the steps per second of this session.
 */
function stepTiming(now: number, lastStepAt: number, t0: number, elapsedBefore: number, stepsThisSession: number): Record<HistoryTimingKey, number> {
  const session = (now - t0) / 1000;
  return { time: now / 1000, elapsed: elapsedBefore + session, stepTime: (now - lastStepAt) / 1000, stepsPerSec: session > 0 ? stepsThisSession / session : 0 };
}

/** The options a resumed run continues with: the fixed ones from run.json (checked against what was given). */
function resumedOptions(opts: TrainRunOptions, saved: Record<string, unknown>): TrainRunOptions {
  // run.json of older versions has no netG: it is the generator kind.
  if (saved.netG === undefined && saved.generator !== undefined) {
    saved.netG = saved.numDowns !== undefined ? `unet_${2 ** Number(saved.numDowns)}` : saved.generator;
  }
  if (opts.given) {
    const values = { ...opts, netG: opts.netG ?? opts.generator, data: comparableData(opts.data, saved.data) } as unknown as Record<string, unknown>;
    const conflicts = resumeConflicts(saved, values, opts.given);
    if (conflicts.length > 0) {
      throw new CliError(
        `--resume: ${conflicts.join(', ')}: these options are fixed for the run in ${opts.out}; ` +
          `leave them out to continue it, or train a new run with another --out`,
      );
    }
  }
  const o = { ...opts } as unknown as Record<string, unknown>;
  for (const k of RUN_KEYS) if (saved[k] !== undefined) o[k] = saved[k];
  return o as unknown as TrainRunOptions;
}

const fmtScores = (v: ValidationScores) => `L1 ${v.l1.toFixed(4)}, PSNR ${v.psnr.toFixed(2)} dB, SSIM ${v.ssim.toFixed(4)}`;

/** Runs `pix2pix train`: data from a folder, nets from the factories, the Trainer, samples, checkpoints, report. */
export async function runTrain(opts: TrainRunOptions): Promise<TrainRunResult> {
  const log = opts.log ?? process.stderr;
  const out = opts.out;
  if (opts.keepBest && opts.valData === undefined) throw new CliError('--keep-best needs --val-data (the best checkpoint is the one with the lowest validation L1)');
  if (opts.lrPolicy === 'plateau' && opts.valData === undefined) throw new CliError('--lr-policy plateau needs --val-data (the rate drops when the validation L1 stops improving)');
  // A fresh run that fails before its first step leaves --out as it was: what it creates is traced.
  const trace: FreshRunTrace = { outExisted: await exists(out), samplesExisted: await exists(join(out, 'samples')), files: [] };
  // The write path's records of the folders it writes into are the run's files too when they are new.
  for (const dir of [out, join(out, 'samples')]) if (!(await exists(join(dir, WRITE_RECORD)))) trace.files.push(join(dir, WRITE_RECORD));
  if (!opts.resume) {
    // The reference's epoch_count numbers the first epoch: past the last one, nothing would be trained
    // (an explicitly empty schedule, --n-epochs 0 --n-epochs-decay 0, saves the initial networks).
    const epochs = opts.epochs + opts.epochsDecay - ((opts.epochCount ?? 1) - 1);
    if (epochs <= 0 && opts.epochs + opts.epochsDecay > 0) {
      throw new CliError(
        `--n-epochs ${opts.epochs} --n-epochs-decay ${opts.epochsDecay}${opts.epochCount === undefined ? '' : ` --epoch-count ${opts.epochCount}`}: the schedule has no epoch to train (0 steps); ` +
          'give more epochs, or a smaller --epoch-count',
      );
    }
  }
  const folder = await openOutFolder(out, opts.resume);
  const ckpt = folder.checkpoint;
  let trainer: Trainer | null = null;
  let failed = false;
  let stepped = false;
  try {
    if (folder.recovered) log.write(`a save was interrupted: restored the previous checkpoint from ${folder.recovered}\n`);
    await makeWritableDir(join(out, 'samples'), `--out ${out}`);
    const savedRun = opts.resume ? await readRunJson(out) : {};
    const o = colorizationChannels(opts.resume ? resumedOptions(opts, savedRun) : opts);
    const colorization = o.datasetMode === 'colorization';
    const netG: NetG = o.netG ?? (o.generator === 'resnet' ? 'resnet_9blocks' : o.generator);

    const backend = await selectBackend(o.backend);
    let dataDir: string;
    try {
      dataDir = (await resolveDataroot(o.data, o.phase ?? DEFAULT_PHASE.train, opts.given?.phase !== undefined)).dir;
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const source = firstPairs(await folderPairs(dataDir, { layout: o.layout }), o.maxDatasetSize);
    const identity = await dataIdentity(source);
    const validation: Validation | null =
      opts.valData === undefined
        ? null
        : await openValidation({ dir: opts.valData, count: opts.valCount, size: o.size, direction: o.direction, inputChannels: o.inputChannels, outputChannels: o.outputChannels, datasetMode: o.datasetMode ?? 'aligned' });

    if (opts.resume) {
      trainer = await Trainer.load(fileCheckpoint(ckpt));
      checkResumeIdentity(savedRun, identity, trainer, { out, data: o.data, checkpoint: ckpt });
    } else {
      const { G, D, loss } = buildNetworks({ ...o, netG, dropout: o.dropout ?? true, unconditionalD: o.unconditionalD ?? false });
      if (o.initGenerator !== undefined) await initGenerator(G, o.initGenerator);
      trainer = new Trainer({
        generator: G,
        discriminator: D,
        loss,
        learningRate: o.lr,
        beta1: o.beta1,
        schedule: { policy: o.lrPolicy ?? 'linear', ...(o.lrDecayIters === undefined ? {} : { stepSize: o.lrDecayIters }) },
        seed: o.seed,
      });
    }
    const t = trainer;
    const data = pairedBatches(source, {
      preprocess: o.preprocess,
      imageSize: o.size,
      loadSize: o.loadSize,
      flip: o.flip,
      direction: o.direction,
      inputChannels: o.inputChannels,
      targetChannels: o.outputChannels,
      datasetMode: o.datasetMode ?? 'aligned',
      batchSize: o.batchSize,
      shuffle: !(o.serialBatches ?? false),
      seed: o.seed,
      divisor: generatorDivisor(t.generator), // preprocess 'none' rounds sizes to what G takes
    });
    if (tf.getBackend() === 'wasm') {
      // Refuse up front what wasm's 4 GiB heap cannot hold, instead of failing (or thrashing) mid-step.
      try {
        checkWasmCapacity({ models: [t.generator, ...(t.discriminator ? [t.discriminator] : [])], height: o.size, batch: o.batchSize, workload: 'train' });
      } catch (e) {
        throw new CliError(`--crop-size ${o.size} --batch-size ${o.batchSize} on wasm: ${(e as Error).message}`);
      }
    }
    if (!opts.resume) {
      const saved: Record<string, unknown> = { ...o, data: absoluteData(o.data), ...identity, architecture: architectureOf(t), ...generatorKind(netG), netG, loadSize: data.options.loadSize, beta1: t.beta1, lrPolicy: t.schedule.policy, lrDecayIters: t.schedule.stepSize };
      trace.files.push(join(out, RUN_JSON));
      await writeFileSafe(join(out, RUN_JSON), JSON.stringify(Object.fromEntries(RUN_KEYS.map((k) => [k, saved[k]])), null, 2) + '\n');
    }

    // History: keep what the checkpoint covers (steps after it were lost with the process).
    const historyPath = join(out, HISTORY_JSONL);
    const history = opts.resume ? await readHistory(out, t.step) : [];
    if (!opts.resume) trace.files.push(historyPath);
    await writeFileSafe(historyPath, history.map((e) => JSON.stringify(e) + '\n').join(''));
    let best = Math.min(...history.map((e) => e['val/L1'] ?? Infinity));

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
      ...(colorization ? { 'dataset mode': 'colorization (L -> ab in Lab)' } : {}),
      generator: `${netG}, filters ${o.filters}, norm ${o.norm}${o.dropout === false ? ', no dropout' : ''}`,
      discriminator: t.discriminator ? `PatchGAN RF ${o.rf}, filters ${o.dFilters}${o.unconditionalD ? ', unconditional' : ''}` : 'none',
      loss: `gan ${o.gan}, reconstruction ${o.reconstruction}, lambda ${o.lambda}`,
      'batch size': o.batchSize,
      pairs: source.length,
      step: t.step,
      ...(validation ? { 'validation pairs': validation.length } : {}),
      ...(Number.isFinite(best) ? { 'best validation L1': best.toFixed(4) } : {}),
      ...extra,
    });
    const writeSamples = async () => {
      if (!sample) return;
      const fake = t.generate(sample.input, { mode: 'paper' });
      const name = `samples/step-${String(t.step).padStart(7, '0')}.png`;
      if (t.step === 0) trace.files.push(join(out, name));
      // Colorization: show the predicted and true ab with the input's L, as RGB.
      const rgb = colorization ? [labBatchToRgb(sample.input, fake as tf.Tensor4D), labBatchToRgb(sample.input, sample.target)] : [];
      await writeSampleGrid(join(out, name), [sample.input, rgb[0] ?? (fake as tf.Tensor4D), rgb[1] ?? sample.target]);
      tf.dispose([fake, ...rgb]);
      if (samples.length === 0 || samples[samples.length - 1]!.step !== t.step) samples.push({ path: name, step: t.step });
    };
    const report = (extra?: Record<string, string | number>) => writeReport(out, { title: `pix2pix training: ${o.data}`, history, samples, info: info(extra) });
    const save = (dir = ckpt) => t.save(fileCheckpoint(dir));

    const totalEpochs = opts.epochs + opts.epochsDecay;
    let total = totalEpochs * data.batchesPerEpoch;
    if (opts.maxSteps !== undefined) total = Math.min(total, opts.maxSteps);
    const t0 = Date.now();
    // Timing in history.jsonl: training time continues across resumes from the last logged line.
    const startStep = t.step;
    const elapsedBefore = history.length > 0 ? (history[history.length - 1]!.elapsed ?? 0) : 0;
    let lastStepAt = t0;
    const deadline = opts.timeLimit !== undefined ? t0 + opts.timeLimit * 1000 : Infinity;
    const progress = new TrainProgress(total, t.step, Math.max(1, Math.floor(total / 25)), log, deadline);
    log.write(
      `pix2pix train: ${source.length} pairs from ${o.data}, ${o.size}x${o.size}, ${o.direction}, backend ${backend}, step ${t.step} -> ${total}` +
        `${opts.timeLimit !== undefined ? ` or ${opts.timeLimit} s` : ''}${validation ? `, validating on ${validation.length} pairs` : ''}\n`,
    );

    const stop = new AbortController();
    const state: { reason: TrainRunResult['reason'] } = { reason: 'done' };
    const onAbort = () => {
      if (state.reason === 'done') state.reason = 'interrupted';
      stop.abort();
    };
    opts.signal?.addEventListener('abort', onAbort);
    if (opts.signal?.aborted) onAbort();
    if (t.step === 0) await writeSamples();
    const valEvery = opts.valEvery ?? opts.sampleEvery;
    try {
      if (t.step < total) {
        await t.fit(data, {
          epochs: opts.epochs,
          epochsDecay: opts.epochsDecay,
          ...(opts.epochCount === undefined ? {} : { epochCount: opts.epochCount }),
          signal: stop.signal,
          onStep: async (s) => {
            const e = historyEntry(s);
            const now = Date.now();
            Object.assign(e, stepTiming(now, lastStepAt, t0, elapsedBefore, s.step - startStep));
            lastStepAt = now;
            let improved = false;
            if (validation && s.step % valEvery === 0) {
              const v = await validation.score(t);
              Object.assign(e, { 'val/L1': v.l1, 'val/PSNR': v.psnr, 'val/SSIM': v.ssim });
              improved = v.l1 < best;
              if (improved) best = v.l1;
              if (t.schedule.policy === 'plateau') t.reportMetric(v.l1);
              if (!log.isTTY) log.write(`validation at step ${s.step}: ${fmtScores(v)}${improved ? ' (best so far)' : ''}\n`);
            }
            history.push(e);
            await appendFileSafe(historyPath, JSON.stringify(e) + '\n');
            if (improved && opts.keepBest) await save(join(out, 'checkpoint-best'));
            const losses: Record<string, number> = { G: s.gLoss };
            if (t.discriminator) losses.D = s.dLoss;
            if (s.generator.reconstruction !== undefined) losses.rec = s.generator.reconstruction;
            progress.update({ step: s.step, epoch: s.epoch, epochs: totalEpochs, losses });
            if (s.step % opts.sampleEvery === 0) {
              await writeSamples();
              await report();
            }
            if (s.step % opts.checkpointEvery === 0) await save();
            if (opts.saveEvery !== undefined && s.step % opts.saveEvery === 0) await save(join(out, `checkpoint-step-${String(s.step).padStart(7, '0')}`));
            if (opts.maxSteps !== undefined && s.step >= opts.maxSteps) {
              if (state.reason === 'done') state.reason = 'max-steps';
              stop.abort();
            }
            if (opts.timeLimit !== undefined && (Date.now() - t0) / 1000 >= opts.timeLimit) {
              if (state.reason === 'done') state.reason = 'time-limit';
              stop.abort();
            }
          },
          onEpoch: async (ep) => {
            const done = ep.epoch + 1;
            if (opts.saveEpochFreq !== undefined && done % opts.saveEpochFreq === 0) await save(epochCheckpointDir(out, done));
          },
        });
      }
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      progress.stop();
      opts.signal?.removeEventListener('abort', onAbort);
      // Whatever happened (done, limit, Ctrl-C, error): keep the work; a fresh run that failed before its first step has none.
      if (!(failed && !opts.resume && t.step === 0)) {
        await save();
        await writeSamples();
        const reportPath = await report();
        log.write(`${state.reason === 'interrupted' ? 'interrupted: ' : ''}checkpoint saved at step ${t.step} in ${ckpt}; report: ${reportPath}\n`);
      }
      if (sample) tf.dispose([sample.input, sample.target]);
    }
    return { trainer: t, step: t.step, reason: state.reason, backend, checkpoint: ckpt, report: join(out, 'report.html'), seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    failed = true;
    stepped = trainer !== null && trainer.step > 0;
    trainer?.dispose();
    throw e;
  } finally {
    await folder.lock.release();
    if (failed && !opts.resume && !stepped) await undoFreshRun(out, trace);
  }
}
