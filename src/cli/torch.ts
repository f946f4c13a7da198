import type * as tfl from '@tensorflow/tfjs-layers';
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { importTorchCheckpoint, inferTorchArchitecture, type TorchArch } from '../io/torch/checkpoint.js';
import { describeTorchArchitecture } from '../io/torch/architecture.js';
import { readTorchStateDict } from '../io/torch/read.js';
import { exportTorchWeights } from '../io/torch/weights.js';
import { fileCheckpoint } from '../node/checkpoint.js';
import { checkWritable, writeFileSafe } from '../node/fs/index.js';
import { Trainer } from '../trainer/trainer.js';
import { generatorDivisor } from '../generator/divisor.js';
import { CliError, selectBackend, type CliBackend } from './backend.js';
import { findModelFolder, loadPlainModel } from './model_folder.js';

/** Options of `pix2pix import-torch`. */
export interface ImportTorchOptions {
  /** The PyTorch state dict file (`latest_net_G.pth`; zip or legacy `torch.save` format). */
  file: string;
  /** Architecture the checkpoint must have (default: whatever it is). */
  arch?: TorchArch;
  /** Input size of the built model (default: 2^num_downs for U-Nets, any size for discriminators). */
  imageSize?: number;
  /** Output model folder (tfjs `model.json` + `weights.bin`), written atomically. */
  out: string;
  backend: CliBackend;
  log?: NodeJS.WriteStream;
}

/** Options of `pix2pix export-torch`. */
export interface ExportTorchOptions {
  /** A plain model folder, or a `pix2pix train` run / checkpoint folder. */
  dir: string;
  /** The `.pth` file to write (atomically). */
  out: string;
  /** Write float16 tensors. */
  half: boolean;
  /** From a training checkpoint: export the discriminator instead of the generator. */
  discriminator: boolean;
  backend: CliBackend;
  log?: NodeJS.WriteStream;
}

const count = (ws: readonly tfl.LayerVariable[]) => ws.reduce((n, w) => n + (w.shape as Array<number | null>).reduce<number>((a, b) => a * (b ?? 1), 1), 0);
const fmt = (n: number) => n.toLocaleString('en-US');

/** Runs `pix2pix import-torch`: reads a PyTorch reference state dict, builds the model, saves it as a tfjs model folder. */
export async function runImportTorch(o: ImportTorchOptions): Promise<tfl.LayersModel> {
  const log = o.log ?? process.stderr;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(o.file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${o.file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a .pth file' : `cannot read (${code ?? e})`}`);
  }
  const backend = await selectBackend(o.backend);
  let model: tfl.LayersModel;
  let what: string;
  try {
    const sd = readTorchStateDict(bytes);
    what = describeTorchArchitecture(inferTorchArchitecture(sd));
    model = importTorchCheckpoint(sd, { ...(o.arch === undefined ? {} : { arch: o.arch }), ...(o.imageSize === undefined ? {} : { imageSize: o.imageSize }) });
  } catch (e) {
    throw new CliError(`${o.file}: ${(e as Error).message}`);
  }
  try {
    await model.save(fileCheckpoint(o.out));
    const shape = model.inputs[0]!.shape;
    const size = shape[1] == null ? `H, W multiples of ${generatorDivisor(model)}` : `${shape[1]}x${shape[2]}`;
    log.write(
      `pix2pix import-torch: ${what} (input ${size}, backend ${backend})\n` +
        `wrote ${o.out}: ${fmt(count(model.trainableWeights))} trainable parameters` +
        (model.nonTrainableWeights.length > 0 ? ` + ${fmt(count(model.nonTrainableWeights))} moving statistics` : '') +
        '\n',
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Runs `pix2pix export-torch`: writes a model folder's (or a training checkpoint's) network as a PyTorch reference state dict. */
export async function runExportTorch(o: ExportTorchOptions): Promise<void> {
  const log = o.log ?? process.stderr;
  const folder = await findModelFolder(o.dir, o.dir);
  // Never over the model it reads (`--out RUN/checkpoint/model.json`) nor a file it did not write.
  const write = { label: `--out ${o.out}`, inputs: [{ path: folder.dir, label: o.dir }] };
  await checkWritable(o.out, write);
  if ((await stat(dirname(resolve(o.out))).then((s) => s.isDirectory(), () => false)) !== true) {
    throw new CliError(`--out ${o.out}: the folder ${dirname(o.out)} does not exist`);
  }
  const backend = await selectBackend(o.backend);
  let trainer: Trainer | null = null;
  let model: tfl.LayersModel;
  let role: string;
  if (folder.kind === 'trainer') {
    trainer = await Trainer.load(fileCheckpoint(folder.dir));
    if (o.discriminator) {
      if (trainer.discriminator === null) {
        trainer.dispose();
        throw new CliError(`${o.dir}: the training run has no discriminator (trained with --gan none)`);
      }
      model = trainer.discriminator;
      role = 'discriminator';
    } else {
      model = trainer.generator;
      role = 'generator';
    }
  } else {
    if (o.discriminator) throw new CliError(`${o.dir}: --discriminator picks a network of a training checkpoint; this is a plain model folder (export it without --discriminator)`);
    model = await loadPlainModel(folder.dir, o.dir);
    role = 'model';
  }
  try {
    let bytes: Uint8Array;
    try {
      bytes = exportTorchWeights(model, { dtype: o.half ? 'float16' : 'float32' });
    } catch (e) {
      throw new CliError(`${o.dir}: cannot export the ${role} to PyTorch: ${(e as Error).message}`);
    }
    await writeFileSafe(o.out, bytes, write);
    log.write(
      `pix2pix export-torch: ${role} of ${folder.dir} (${fmt(count(model.trainableWeights))} trainable parameters, ${o.half ? 'float16' : 'float32'}, backend ${backend})\n` +
        `wrote ${o.out} (${fmt(bytes.length)} bytes)\n`,
    );
  } finally {
    if (trainer) trainer.dispose();
    else model.dispose();
  }
}
