/**
 * `pix2pix export`: writes a generator (from a train run, a model folder or a `.pth`) for deployment:
 * a tfjs model folder (optionally float16 / uint8 weights) or an ONNX file.
 */
import { Option, type Command } from 'commander';
import { TORCH_ARCHS, type TorchArch } from '../io/torch/checkpoint.js';
import { exportTfjsGenerator, type WeightQuantization } from '../io/export/tfjs.js';
import { exportOnnxGenerator } from '../io/onnx/export.js';
import { writeNewFile, writeTfjsExport } from '../node/write_export.js';
import { assertNever } from '../util/validate.js';
import { CLI_BACKENDS, CliError, selectBackend, type CliBackend } from './backend.js';
import { loadCliGenerator, type CliGenerator } from './load_generator.js';
import { oneOfArg } from './parse.js';
import type { ProgramIo } from './program.js';

/** Export formats of `pix2pix export`. */
export type ExportFormat = 'tfjs' | 'onnx';
/** The allowed `--format` values. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['tfjs', 'onnx'];
/** The allowed `--quantize` values (float32 is the default, no flag). */
const QUANTIZE_FLAGS: readonly Exclude<WeightQuantization, 'float32'>[] = ['float16', 'uint8'];

/** Options of `pix2pix export`. */
export interface ExportOptions {
  /** A train `--out` folder, its checkpoint folder, a model folder, or a `.pth` (with `arch`). */
  model: string;
  arch?: TorchArch;
  /** tfjs: a new (or empty) folder; onnx: a new `.onnx` file. */
  out: string;
  format: ExportFormat;
  /** tfjs only: quantized weights. */
  quantize?: 'float16' | 'uint8';
  backend: CliBackend;
  log?: NodeJS.WriteStream;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

async function exportTfjs(g: CliGenerator, o: ExportOptions, log: NodeJS.WriteStream): Promise<void> {
  const exp = await exportTfjsGenerator(g.model, { quantize: o.quantize ?? 'float32' });
  const sizes = await writeTfjsExport(o.out, exp, `--out ${o.out}`);
  log.write(
    `wrote ${o.out}/model.json (${kb(sizes.modelJson)}) and weights.bin (${kb(sizes.weights)}, ${o.quantize ?? 'float32'} weights): ` +
      `load it with tf.loadLayersModel('<url>/model.json'); generators with instance norm need import '@acme/pix2pix/layers' first\n`,
  );
}

async function exportOnnx(g: CliGenerator, o: ExportOptions, log: NodeJS.WriteStream): Promise<void> {
  if (o.quantize !== undefined) throw new CliError('--quantize applies to --format tfjs only');
  const bytes = exportOnnxGenerator(g.model);
  await writeNewFile(o.out, bytes, `--out ${o.out}`);
  log.write(`wrote ${o.out} (${kb(bytes.byteLength)}; ONNX, NHWC float32 input 'input' [N, H, W, C] in [-1, 1], dynamic N, H, W)\n`);
}

/** Runs `pix2pix export`. */
export async function runExport(o: ExportOptions): Promise<void> {
  const log = o.log ?? process.stderr;
  const backend = await selectBackend(o.backend);
  const g = await loadCliGenerator({ model: o.model, ...(o.arch === undefined ? {} : { arch: o.arch }) });
  try {
    log.write(`pix2pix export: ${g.source} -> ${o.format} (backend ${backend})\n`);
    switch (o.format) {
      case 'tfjs':
        await exportTfjs(g, o, log);
        break;
      case 'onnx':
        await exportOnnx(g, o, log);
        break;
      default:
        assertNever(o.format, 'format');
    }
  } finally {
    g.dispose();
  }
}

/** Adds `pix2pix export` to the program. */
export function registerExport(program: Command, io: ProgramIo): void {
  const cmd = program
    .command('export')
    .description('export a generator for deployment: a tfjs model folder (tf.loadLayersModel; inference graph) or an ONNX file')
    .requiredOption('--model <path>', 'a train --out folder, its checkpoint folder, a model folder (import-torch), or a PyTorch .pth (with --arch)')
    .addOption(new Option('--arch <name>', `with a .pth: its architecture (${TORCH_ARCHS.join(', ')})`).argParser(oneOfArg(TORCH_ARCHS)))
    .requiredOption('--out <path>', 'tfjs: a new or empty folder; onnx: a new .onnx file (existing files are never overwritten)')
    .option('--format <format>', EXPORT_FORMATS.join(' or '), oneOfArg(EXPORT_FORMATS), 'tfjs')
    .addOption(new Option('--quantize <dtype>', 'tfjs: store weights as float16 (1/2 the size) or uint8 (1/4); stock tfjs dequantizes on load').argParser(oneOfArg(QUANTIZE_FLAGS)))
    .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
    .action(async (o: Omit<ExportOptions, 'log'>) => {
      await runExport({ ...o, log: io.log });
    });
  cmd.showHelpAfterError(`Usage: pix2pix export ${cmd.usage()}\n(run 'pix2pix export --help' for all options)`);
}
