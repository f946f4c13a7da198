import { stat } from 'node:fs/promises';
import { Command } from 'commander';
import { DIRECTIONS } from '../data/batches.js';
import { TORCH_ARCHS, type TorchArch } from '../io/torch/checkpoint.js';
import { CLI_BACKENDS, CliError, type CliBackend } from './backend.js';
import { runCombine } from './combine.js';
import { runDemo } from './demo.js';
import { registerMakeDataset } from './make_dataset_command.js';
import { intArg, numArg, oneOfArg, refuseRepeatedFlags, sideArg } from './parse.js';
import { registerTrain } from './train/command.js';
import { runExportTorch, runImportTorch } from './torch.js';
import { runExportReference, runImportReference } from './torch_handoff.js';
import { resolveTranslateFlags, runTranslate, sizeArg, type TranslateFlags } from './translate.js';
import { DEFAULT_CHECKPOINTS_DIR } from './reference_flags.js';
import { DEFAULT_PHASE } from '../node/dataroot.js';
import { registerTest } from './test.js';
import { registerExport } from './export.js';
import { GENERATION_MODES } from '../generator/generate.js';
import { DEFAULT_MAX_PIXELS } from '../generator/translate_image.js';
import { DEFAULT_ENGINE, ENGINE_NAMES } from '../generator/engine.js';
import { ENGINE_HELP } from './engine.js';

/** What the program needs from its environment (injectable for tests). */
export interface ProgramIo {
  /** Where progress and messages go. */
  log: NodeJS.WriteStream;
  /** Aborts long commands (train, demo); the bin wires Ctrl-C to it. */
  signal?: AbortSignal;
  /** Set by commands that ended early but cleanly (Ctrl-C): the process exit code. */
  setExitCode(code: number): void;
}


/** Adds the usage line after every parse error of `cmd`. */
function usageOnError(cmd: Command): Command {
  const name = cmd.parent ? `pix2pix ${cmd.name()}` : cmd.name();
  return cmd.showHelpAfterError(`Usage: ${name} ${cmd.usage()}\n(run '${name} --help' for all options)`);
}

/** Builds the `pix2pix` command line (commander). */
export function buildProgram(io: ProgramIo): Command {
  const program = new Command('pix2pix')
    .description('pix2pix on TensorFlow.js: make data sets, train, translate (https://phillipi.github.io/pix2pix/)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => io.log.write(s) })
    .showSuggestionAfterError(true)
    .hook('preAction', (_program, action) => refuseRepeatedFlags(action));

  usageOnError(registerMakeDataset(program, io));

  usageOnError(registerTrain(program, io));

  usageOnError(
    program
      .command('translate')
      .description('translate images with a trained generator, at each image\'s own size (tiled when large)')
      .option('--model <dir>', 'a train --out folder, its checkpoint folder, or a model folder (import-torch)')
      .option('--name <name>', `the reference's run name: the model is <checkpoints-dir>/<name> (instead of --model)`)
      .option('--checkpoints-dir <dir>', `with --name: the folder of runs (default: ${DEFAULT_CHECKPOINTS_DIR})`)
      .option('--epoch <which>', 'latest, best (train --keep-best) or an epoch number (train --save-epoch-freq)', 'latest')
      .option('--input <path>', 'an image file or a folder of images')
      .option('--dataroot <dir>', `instead of --input: <dataroot>/<phase>/ when it exists (the reference's layout), else the folder; with A/ and B/ subfolders, the input side's folder`)
      .option('--phase <name>', `with --dataroot: which split (default: ${DEFAULT_PHASE.test})`)
      .option('--num-test <n>', 'translate only the first n images (sorted by name)', intArg(1))
      .option('--max-dataset-size <n>', 'use only the first n images (with --num-test: the smaller)', intArg(1))
      .requiredOption('--output <dir>', 'folder for the translated PNGs (never the --input folder)')
      .option('--eval', "inference mode (moving statistics, no dropout), as the reference's --eval; without it: paper mode (dropout + batch statistics, the paper's test time)", false)
      .option('--mode <mode>', `explicit mode, overrides --eval: ${GENERATION_MODES.join(' or ')}`, oneOfArg(GENERATION_MODES))
      .option('--resize <WxH>', 'translate at this width x height instead of each image\'s own size (e.g. 512x256)', sizeArg)
      .option('--tile <px>', `translate in square tiles of this side (a multiple of the generator's divisor); default: automatic above ${DEFAULT_MAX_PIXELS} pixels`, intArg(1))
      .option('--overlap <px>', 'overlap of neighbouring tiles, feathered (default tile / 8)', intArg(0))
      .option('--ab', 'inputs are A|B pair images: translate the A half (the B half with --direction BtoA)', false)
      .option('--direction <dir>', 'with --ab (or --dataroot with A/ and B/): which side is the input', oneOfArg(DIRECTIONS), 'AtoB')
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .option('--engine <name>', ENGINE_HELP, oneOfArg(ENGINE_NAMES), DEFAULT_ENGINE)
      .option('--seed <n>', 'dropout seed of paper mode', intArg(0), 0)
      .action(async (o: TranslateFlags) => {
        await runTranslate({ ...(await resolveTranslateFlags(o)), log: io.log });
      }),
  );

  usageOnError(
    program
      .command('import-torch')
      .description(
        'convert a PyTorch pix2pix state dict (junyanz/pytorch-CycleGAN-and-pix2pix, e.g. latest_net_G.pth) to a tfjs model folder, ' +
          'or a reference checkpoint folder (<epoch>_net_G.pth + <epoch>_net_D.pth) to a run that train --resume continues',
      )
      .argument('<file>', 'the .pth file (zip or legacy torch.save format), or the reference checkpoint folder (./checkpoints/<name>)')
      .requiredOption('--out <dir>', 'output model folder (model.json + weights.bin; use it with translate --model), or the run folder for a checkpoint folder')
      .option('--arch <name>', `the checkpoint's architecture: ${TORCH_ARCHS.join(', ')} (default: read from the file)`, oneOfArg(TORCH_ARCHS))
      .option('--image-size <px>', 'input size of the built model (default: 2^num_downs for a U-Net, any for a discriminator or a ResNet)', intArg(1))
      .option('--epoch <name>', 'for a checkpoint folder: which <epoch>_net_G/D.pth files', 'latest')
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .action(async (file: string, o: { out: string; arch?: TorchArch; imageSize?: number; epoch: string; backend: CliBackend }) => {
        if (await stat(file).then((s) => s.isDirectory(), () => false)) {
          await runImportReference({ dir: file, epoch: o.epoch, out: o.out, backend: o.backend, log: io.log });
          return;
        }
        const { epoch: _epoch, ...rest } = o;
        const model = await runImportTorch({ file, ...rest, log: io.log });
        model.dispose();
      }),
  );

  usageOnError(
    program
      .command('export-torch')
      .description('write a model folder, or the generator of a train run, as a PyTorch state dict the reference code loads; with --reference-dir, hand a whole run to the reference')
      .argument('<dir>', 'a model folder (import-torch, model.save), or a train --out folder or its checkpoint folder')
      .option('--out <file>', 'the .pth file to write')
      .option('--reference-dir <dir>', "a train run: write <dir>/latest_net_G.pth, latest_net_D.pth and train_opt.txt for the reference's --continue_train, and print its command")
      .option('--half', 'write float16 tensors (half the size)', false)
      .option('--discriminator', 'from a train run: export the discriminator instead of the generator', false)
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .action(async (dir: string, o: { out?: string; referenceDir?: string; half: boolean; discriminator: boolean; backend: CliBackend }) => {
        if ((o.out === undefined) === (o.referenceDir === undefined)) throw new CliError('export-torch: give exactly one of --out <file> and --reference-dir <dir>');
        if (o.referenceDir !== undefined) {
          await runExportReference({ run: dir, referenceDir: o.referenceDir, half: o.half, backend: o.backend, log: io.log });
          return;
        }
        await runExportTorch({ dir, ...o, out: o.out!, log: io.log });
      }),
  );

  usageOnError(
    program
      .command('combine')
      .description('build the A|B layout from two folders of images with matching names')
      .requiredOption('--a <dir>', 'folder of A images')
      .requiredOption('--b <dir>', 'folder of B images')
      .requiredOption('--out <dir>', 'output folder')
      .option('--size <px>', 'resize both halves to size x size (default: A keeps its size, B is resized to it)', sideArg(1, 2))
      .action(async (o: { a: string; b: string; out: string; size?: number }) => {
        await runCombine({ ...o, log: io.log });
      }),
  );

  usageOnError(
    program
      .command('demo')
      .description('generate the facades data set, train a small pix2pix for a few minutes, report held-out L1/PSNR (npm run demo)')
      .option('--out <dir>', 'output folder', 'runs/demo')
      .option('--minutes <m>', 'training time', numArg(0), 4)
      .option('--size <px>', 'image size', sideArg(16, 2), 64)
      .option('--count <n>', 'training pairs', intArg(1), 400)
      .option('--test-count <n>', 'held-out test pairs', intArg(1), 40)
      .option('--filters <n>', 'generator and discriminator filters', intArg(1), 16)
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .option('--seed <n>', 'seed', intArg(0), 0)
      .option('--fresh', "start over instead of continuing the previous demo in --out (removes only the demo's own folders)", false)
      .action(async (o: { out: string; minutes: number; size: number; count: number; testCount: number; filters: number; backend: CliBackend; seed: number; fresh: boolean }) => {
        await runDemo({ ...o, log: io.log, signal: io.signal });
      }),
  );

  registerTest(program, io);
  registerExport(program, io);

  usageOnError(program); // last: its usage line names the commands
  return program;
}
