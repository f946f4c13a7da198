/**
 * Handing a training run to the PyTorch reference and back: `pix2pix export-torch <run> --reference-dir <dir>`
 * (both networks as `latest_net_G.pth` / `latest_net_D.pth`, `train_opt.txt`, and the `python train.py ...
 * --continue_train` command) and `pix2pix import-torch <reference checkpoint folder> --out <run>` (both
 * networks as a run that `pix2pix train --resume` continues; optimizer state starts fresh).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { compositeLoss } from '../losses/composite_loss.js';
import { GAN_MODES, type GanMode } from '../losses/gan_loss.js';
import { discriminatorLayerCount } from '../discriminator/geometry.js';
import { RECEPTIVE_FIELDS } from '../discriminator/options.js';
import { importTorchCheckpoint, inferTorchArchitecture } from '../io/torch/checkpoint.js';
import { describeTorchArchitecture } from '../io/torch/architecture.js';
import { modelLayout, referenceArchName } from '../io/torch/layout.js';
import { readTorchStateDict } from '../io/torch/read.js';
import { exportTorchWeights } from '../io/torch/weights.js';
import { formatTrainOpt, parseTrainOpt, referenceTrainCommand, referenceTrainOptions, type HandoffRun } from '../io/torch/reference_options.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { Trainer } from '../trainer/trainer.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';
import { findModelFolder } from './model_folder.js';
import { writeFileSafe } from '../node/fs/index.js';

/** The reference's file names in a checkpoint folder: `<epoch>_net_G.pth`, `<epoch>_net_D.pth`. */
export const referenceFile = (epoch: string, net: 'G' | 'D') => `${epoch}_net_${net}.pth`;
/** The reference's options file. */
export const TRAIN_OPT = 'train_opt.txt';

const exists = (p: string) => stat(p).then(() => true, () => false);

/** `filters` of a model: output channels of its first conv (kernel `[kh, kw, in, out]`). */
function filtersOf(model: tfl.LayersModel, layer: string): number {
  return model.getLayer(layer).getWeights()[0]!.shape[3]!;
}

/** The norm a model was built with, from its layers' classes. */
function normOf(model: tfl.LayersModel): string {
  const classes = new Set(model.layers.map((l) => l.getClassName()));
  return classes.has('BatchNormalization') ? 'batch' : classes.has('InstanceNormalization') ? 'instance' : 'none';
}

/** Options of `pix2pix export-torch <run> --reference-dir <dir>`. */
export interface ExportReferenceOptions {
  /** A `pix2pix train` run folder (or its checkpoint folder). */
  run: string;
  /** The reference's checkpoint folder to write: `<checkpoints_dir>/<name>`. */
  referenceDir: string;
  /** Write float16 tensors. */
  half: boolean;
  backend: CliBackend;
  log?: NodeJS.WriteStream;
}

/** Runs `pix2pix export-torch <run> --reference-dir <dir>`; returns the printed `python train.py` command. */
export async function runExportReference(o: ExportReferenceOptions): Promise<string> {
  const log = o.log ?? process.stderr;
  const folder = await findModelFolder(o.run, o.run);
  if (folder.kind !== 'trainer') throw new CliError(`${o.run}: --reference-dir hands over a training run (both networks); this is a plain model folder`);
  const runDir = resolve(folder.dir) === resolve(o.run, 'checkpoint') ? o.run : dirname(folder.dir);
  let run: HandoffRun & { generator?: string; reconstruction?: string } = {};
  try {
    run = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as typeof run;
  } catch {
    log.write(`note: no readable ${join(runDir, 'run.json')}: data and training options are left at the reference's defaults\n`);
  }
  const dir = o.referenceDir;
  const targets = [referenceFile('latest', 'G'), referenceFile('latest', 'D'), TRAIN_OPT].map((f) => join(dir, f));
  const present = [];
  for (const t of targets) if (await exists(t)) present.push(t);
  if (present.length > 0) throw new CliError(`--reference-dir ${dir}: refusing to overwrite ${present.join(', ')}`);
  const backend = await selectBackend(o.backend);
  const trainer = await Trainer.load(fileCheckpoint(folder.dir));
  try {
    const G = trainer.generator;
    const D = trainer.discriminator;
    if (D === null) throw new CliError(`${o.run}: the run has no discriminator (trained with --gan none); the reference's pix2pix needs one`);
    if (D.inputs.length !== 2) throw new CliError(`${o.run}: the run's discriminator is unconditional; the reference's pix2pix discriminator sees input and output`);
    if (run.reconstruction !== undefined && run.reconstruction !== 'l1') {
      log.write(`warning: the run uses reconstruction '${run.reconstruction}'; the reference's pix2pix always uses L1\n`);
    }
    const g = modelLayout(G);
    const d = modelLayout(D);
    const norm = normOf(G);
    if (normOf(D) !== norm) {
      throw new CliError(`${o.run}: the generator uses ${norm} norm and the discriminator ${normOf(D)}; the reference's --norm sets both`);
    }
    if (g.layout.kind === 'unet' && !G.layers.some((l) => l.name === 'up2_concat')) {
      throw new CliError(`${o.run}: the generator is an encoder-decoder (no skips); the reference has no such --netG`);
    }
    let options;
    try {
      options = referenceTrainOptions(
        { ...run, norm, ...(trainer.epoch > 0 ? { epochCount: trainer.epoch + 1 } : {}) },
        { ...g.params, filters: filtersOf(G, g.layout.firstConv) },
        { ...d.params, filters: filtersOf(D, d.layout.firstConv) },
        { name: basename(resolve(dir)), checkpointsDir: dirname(dir) },
      );
    } catch (e) {
      throw new CliError(`${o.run}: cannot hand over to the reference: ${(e as Error).message}`);
    }
    const dtype = o.half ? 'float16' : 'float32';
    const gBytes = exportTorchWeights(G, { dtype });
    const dBytes = exportTorchWeights(D, { dtype });
    const write = { label: `--reference-dir ${dir}`, overwrite: 'never' as const };
    await writeFileSafe(targets[0]!, gBytes, write);
    await writeFileSafe(targets[1]!, dBytes, write);
    await writeFileSafe(targets[2]!, formatTrainOpt(options), write);
    const command = referenceTrainCommand(options);
    const multiGpu = referenceTrainCommand(options, { gpus: 'N' });
    log.write(
      `pix2pix export-torch: run ${o.run} (step ${trainer.step}, epoch ${trainer.epoch}, backend ${backend}) -> ${dir}\n` +
        `wrote ${targets.join(', ')}\n` +
        'the reference loads the networks only: Adam starts fresh there\n' +
        `continue it in the reference's repository with:\n${command}\n` +
        `or on N GPUs (its DDP launch${norm === 'batch' ? '; batch norm becomes --norm syncbatch, which loads the same files' : ''}):\n${multiGpu}\n`,
    );
    return command;
  } finally {
    trainer.dispose();
  }
}

/** Options of `pix2pix import-torch <reference checkpoint folder>`. */
export interface ImportReferenceOptions {
  /** The reference's checkpoint folder (`./checkpoints/<name>`). */
  dir: string;
  /** Which files: `<epoch>_net_G.pth` / `<epoch>_net_D.pth`. Default `'latest'`. */
  epoch: string;
  /** The run folder to create. */
  out: string;
  backend: CliBackend;
  log?: NodeJS.WriteStream;
}

/** Runs `pix2pix import-torch <dir>`: both networks of a reference checkpoint folder as a resumable run. */
export async function runImportReference(o: ImportReferenceOptions): Promise<void> {
  const log = o.log ?? process.stderr;
  const read = async (net: 'G' | 'D') => {
    const file = join(o.dir, referenceFile(o.epoch, net));
    try {
      return new Uint8Array(await readFile(file));
    } catch {
      const epochs = (await readdir(o.dir)).filter((f) => f.endsWith('_net_G.pth')).map((f) => f.slice(0, -'_net_G.pth'.length));
      throw new CliError(`${o.dir}: no ${referenceFile(o.epoch, net)} (epochs with a generator here: ${epochs.join(', ') || 'none'}; pick one with --epoch)`);
    }
  };
  const [gBytes, dBytes] = [await read('G'), await read('D')];
  if (await exists(o.out)) {
    const entries = await readdir(o.out).catch(() => null);
    if (entries === null || entries.length > 0) throw new CliError(`--out ${o.out}: exists and is not an empty folder; refusing to write into it`);
  }
  const opt = (await exists(join(o.dir, TRAIN_OPT))) ? parseTrainOpt(await readFile(join(o.dir, TRAIN_OPT), 'utf8')) : new Map<string, string>();
  const backend = await selectBackend(o.backend);
  let G: tfl.LayersModel | undefined;
  let D: tfl.LayersModel | undefined;
  let trainer: Trainer | undefined;
  try {
    const gSd = readTorchStateDict(gBytes);
    const dSd = readTorchStateDict(dBytes);
    const ga = inferTorchArchitecture(gSd);
    const da = inferTorchArchitecture(dSd);
    if (ga.outputChannels === undefined) throw new Error(`${referenceFile(o.epoch, 'G')} is a discriminator`);
    if (da.outputChannels !== undefined) throw new Error(`${referenceFile(o.epoch, 'D')} is a generator`);
    G = importTorchCheckpoint(gSd);
    D = importTorchCheckpoint(dSd, { targetChannels: ga.outputChannels });
    const gan = opt.get('gan_mode') ?? 'vanilla';
    if (!(GAN_MODES as readonly string[]).includes(gan)) throw new Error(`${TRAIN_OPT}: gan_mode '${gan}' is not one of ${GAN_MODES.join(', ')}`);
    const lambda = Number(opt.get('lambda_L1') ?? 100);
    const lr = Number(opt.get('lr') ?? 2e-4);
    trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ lambda, gan: gan as GanMode, reconstruction: 'l1' }), learningRate: lr });
    G = D = undefined; // owned by the trainer now
    const g = modelLayout(trainer.generator).params;
    const rf = RECEPTIVE_FIELDS.find((r) => discriminatorLayerCount(r) === (da.kind === 'pixel' ? 0 : da.depth));
    const size = Number(opt.get('crop_size') ?? (ga.kind === 'unet' ? 2 ** ga.depth : 256));
    const runJson: Record<string, unknown> = {
      ...(opt.has('dataroot') ? { data: opt.get('dataroot') } : {}),
      ...(opt.has('direction') ? { direction: opt.get('direction') } : {}),
      size,
      ...(opt.has('load_size') ? { loadSize: Number(opt.get('load_size')) } : {}),
      ...(opt.has('no_flip') ? { flip: opt.get('no_flip') !== 'True' } : {}),
      inputChannels: ga.inputChannels,
      outputChannels: ga.outputChannels,
      ...(opt.has('batch_size') ? { batchSize: Number(opt.get('batch_size')) } : {}),
      lambda,
      gan,
      reconstruction: 'l1',
      norm: ga.norm,
      rf,
      generator: ga.kind,
      netG: referenceArchName(g) ?? ga.kind,
      filters: ga.filters,
      dFilters: da.filters,
      lr,
      importedFrom: { dir: o.dir, epoch: o.epoch },
    };
    await trainer.save(fileCheckpoint(join(o.out, 'checkpoint')));
    await writeFileSafe(join(o.out, 'run.json'), JSON.stringify(runJson, null, 2) + '\n', { label: `--out ${o.out}`, overwrite: 'never' });
    const data = opt.get('dataroot');
    log.write(
      `pix2pix import-torch: ${o.dir} (epoch ${o.epoch}, backend ${backend})\n` +
        `  G: ${describeTorchArchitecture(ga)}\n  D: ${describeTorchArchitecture(da)}\n` +
        `wrote run ${o.out} (checkpoint/ + run.json${opt.size > 0 ? `, options from ${TRAIN_OPT}` : `; no ${TRAIN_OPT}: reference defaults`})\n` +
        'optimizer state starts fresh (the reference saves only the networks)\n' +
        `continue it with: pix2pix train --data ${data ?? '<data set>'} --out ${o.out} --resume\n`,
    );
  } catch (e) {
    G?.dispose();
    D?.dispose();
    throw e instanceof CliError ? e : new CliError(`${o.dir}: ${(e as Error).message}`);
  } finally {
    trainer?.dispose();
  }
}
