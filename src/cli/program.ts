import { Command, Option } from 'commander';
import { DIRECTIONS } from '../data/batches.js';
import { RECEPTIVE_FIELDS } from '../discriminator/options.js';
import { TORCH_ARCHS, type TorchArch } from '../io/torch/checkpoint.js';
import { writeFacadeDataset } from '../node/facade_dataset.js';
import { CLI_BACKENDS, type CliBackend } from './backend.js';
import { runCombine } from './combine.js';
import { runDemo } from './demo.js';
import { intArg, numArg, oneOfArg } from './parse.js';
import { runTrain, type GeneratorKind } from './train.js';
import { runExportTorch, runImportTorch } from './torch.js';
import { runTranslate, sizeArg } from './translate.js';
import { DEFAULT_MAX_PIXELS, TRANSLATE_MODES, type TranslateMode } from '../generator/translate_image.js';

/** What the program needs from its environment (injectable for tests). */
export interface ProgramIo {
  /** Where progress and messages go. */
  log: NodeJS.WriteStream;
  /** Aborts long commands (train, demo); the bin wires Ctrl-C to it. */
  signal?: AbortSignal;
  /** Set by commands that ended early but cleanly (Ctrl-C): the process exit code. */
  setExitCode(code: number): void;
}

const CHANNELS = [1, 3, 4] as const;
const GENERATORS: readonly GeneratorKind[] = ['unet', 'encoder-decoder'];

/** Adds the usage line after every parse error of `cmd`. */
function usageOnError(cmd: Command): Command {
  return cmd.showHelpAfterError(`Usage: pix2pix ${cmd.name()} ${cmd.usage()}\n(run 'pix2pix ${cmd.name()} --help' for all options)`);
}

/** Builds the `pix2pix` command line (commander). */
export function buildProgram(io: ProgramIo): Command {
  const program = new Command('pix2pix')
    .description('pix2pix on TensorFlow.js: make data sets, train, translate (https://phillipi.github.io/pix2pix/)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => io.log.write(s) })
    .showSuggestionAfterError(true);
  usageOnError(program);

  usageOnError(
    program
      .command('make-dataset')
      .description('write the bundled procedural facades data set (label map | photo) in the A|B layout')
      .requiredOption('--out <dir>', 'output folder')
      .option('--count <n>', 'number of pairs', intArg(1), 400)
      .option('--size <px>', 'side of each half in pixels', intArg(16), 256)
      .option('--seed <n>', 'data set seed', intArg(0), 0)
      .option('--offset <n>', 'index of the first pair (use a large one for a disjoint test split)', intArg(0), 0)
      .action(async (o: { out: string; count: number; size: number; seed: number; offset: number }) => {
        await writeFacadeDataset({ out: o.out, count: o.count, size: o.size, seed: o.seed, offset: o.offset });
        io.log.write(`wrote ${o.count} facade pairs (${2 * o.size}x${o.size}, A = label map, B = photo) to ${o.out}\n`);
      }),
  );

  usageOnError(
    program
      .command('train')
      .description('train a pix2pix generator on a paired data set folder')
      .requiredOption('--data <dir>', 'data set folder: A|B images, or subfolders A/ and B/ with matching names')
      .addOption(new Option('--layout <layout>', 'data layout (default: folders when <dir>/A and <dir>/B exist, else ab)').choices(['ab', 'folders']))
      .option('--direction <dir>', 'AtoB or BtoA', oneOfArg(DIRECTIONS), 'AtoB')
      .option('--size <px>', 'image size (power of two)', intArg(2), 256)
      .option('--load-size <px>', 'resize before the random crop (default round(size*286/256))', intArg(2))
      .option('--no-flip', 'no random horizontal flips')
      .option('--input-channels <n>', 'input channels: 1, 3 or 4', oneOfArg(CHANNELS.map(String)), '3')
      .option('--output-channels <n>', 'output channels: 1, 3 or 4', oneOfArg(CHANNELS.map(String)), '3')
      .option('--epochs <n>', 'epochs at the initial learning rate', intArg(0), 100)
      .option('--epochs-decay <n>', 'epochs of linear learning-rate decay to zero', intArg(0), 100)
      .option('--batch-size <n>', 'batch size', intArg(1), 1)
      .option('--lambda <x>', 'weight of the L1 term', numArg(0), 100)
      .option('--gan <kind>', 'vanilla, lsgan, wgangp or none', oneOfArg(['vanilla', 'lsgan', 'wgangp', 'none'] as const), 'vanilla')
      .option('--reconstruction <kind>', 'l1, l2 or none', oneOfArg(['l1', 'l2', 'none'] as const), 'l1')
      .option('--norm <kind>', 'batch, instance or none', oneOfArg(['batch', 'instance', 'none'] as const), 'batch')
      .option('--rf <px>', `discriminator receptive field: ${RECEPTIVE_FIELDS.join(', ')}`, oneOfArg(RECEPTIVE_FIELDS.map(String)), '70')
      .option('--generator <kind>', 'unet or encoder-decoder', oneOfArg(GENERATORS), 'unet')
      .option('--filters <n>', 'generator filters (ngf)', intArg(1), 64)
      .option('--d-filters <n>', 'discriminator filters (ndf)', intArg(1), 64)
      .option('--lr <x>', 'Adam learning rate', numArg(0), 2e-4)
      .option('--backend <name>', `${CLI_BACKENDS.join(', ')} (auto: tensorflow if installed, else wasm, else cpu)`, oneOfArg(CLI_BACKENDS), 'auto')
      .option('--out <dir>', 'output folder (checkpoint/, samples/, report.html, history.jsonl)', 'runs/pix2pix')
      .option('--resume', 'continue the checkpoint in --out (data and model options come from its run.json)', false)
      .option('--seed <n>', 'seed of weights, data order, jitter and dropout', intArg(0), 0)
      .option('--sample-every <n>', 'write a sample grid and the report every n steps', intArg(1), 100)
      .option('--checkpoint-every <n>', 'save a checkpoint every n steps', intArg(1), 500)
      .option('--max-steps <n>', 'stop (and save) after this many steps in all', intArg(1))
      .option('--time-limit <s>', 'stop (and save) after this many seconds', numArg(0))
      .action(async (o: Record<string, unknown>) => {
        const r = await runTrain({
          data: o.data as string,
          layout: o.layout as 'ab' | 'folders' | undefined,
          direction: o.direction as 'AtoB' | 'BtoA',
          size: o.size as number,
          loadSize: o.loadSize as number | undefined,
          flip: o.flip as boolean,
          inputChannels: Number(o.inputChannels) as 1 | 3 | 4,
          outputChannels: Number(o.outputChannels) as 1 | 3 | 4,
          epochs: o.epochs as number,
          epochsDecay: o.epochsDecay as number,
          batchSize: o.batchSize as number,
          lambda: o.lambda as number,
          gan: o.gan as 'vanilla',
          reconstruction: o.reconstruction as 'l1',
          norm: o.norm as 'batch',
          rf: Number(o.rf) as 70,
          generator: o.generator as GeneratorKind,
          filters: o.filters as number,
          dFilters: o.dFilters as number,
          lr: o.lr as number,
          backend: o.backend as CliBackend,
          out: o.out as string,
          resume: o.resume as boolean,
          seed: o.seed as number,
          sampleEvery: o.sampleEvery as number,
          checkpointEvery: o.checkpointEvery as number,
          maxSteps: o.maxSteps as number | undefined,
          timeLimit: o.timeLimit as number | undefined,
          log: io.log,
          signal: io.signal,
        });
        r.trainer.dispose();
        if (r.reason === 'interrupted') io.setExitCode(130);
      }),
  );

  usageOnError(
    program
      .command('translate')
      .description('translate images with a trained generator, at each image\'s own size (tiled when large)')
      .requiredOption('--model <dir>', 'a train --out folder, its checkpoint folder, or a model folder (import-torch)')
      .requiredOption('--input <path>', 'an image file or a folder of images')
      .requiredOption('--output <dir>', 'folder for the translated PNGs (never the --input folder)')
      .option('--eval', "inference mode (moving statistics, no dropout), as the reference's --eval; without it: paper mode (dropout + batch statistics, the paper's test time)", false)
      .option('--mode <mode>', `explicit mode, overrides --eval: ${TRANSLATE_MODES.join(' or ')}`, oneOfArg(TRANSLATE_MODES))
      .option('--resize <WxH>', 'translate at this width x height instead of each image\'s own size (e.g. 512x256)', sizeArg)
      .option('--tile <px>', `translate in square tiles of this side (a multiple of the generator's divisor); default: automatic above ${DEFAULT_MAX_PIXELS} pixels`, intArg(1))
      .option('--overlap <px>', 'overlap of neighbouring tiles, feathered (default tile / 8)', intArg(0))
      .option('--ab', 'inputs are A|B pair images: translate the A half (the B half with --direction BtoA)', false)
      .option('--direction <dir>', 'with --ab: which half is the input', oneOfArg(DIRECTIONS), 'AtoB')
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .option('--seed <n>', 'dropout seed of paper mode', intArg(0), 0)
      .action(
        async (o: { model: string; input: string; output: string; eval: boolean; mode?: TranslateMode; resize?: [number, number]; tile?: number; overlap?: number; ab: boolean; direction: 'AtoB' | 'BtoA'; backend: CliBackend; seed: number }) => {
          const { eval: evalMode, mode, ...rest } = o;
          await runTranslate({ ...rest, mode: mode ?? (evalMode ? 'inference' : 'paper'), log: io.log });
        },
      ),
  );

  usageOnError(
    program
      .command('import-torch')
      .description('convert a PyTorch pix2pix state dict (junyanz/pytorch-CycleGAN-and-pix2pix, e.g. latest_net_G.pth) to a tfjs model folder')
      .argument('<file>', 'the .pth file (zip or legacy torch.save format)')
      .requiredOption('--out <dir>', 'output model folder (model.json + weights.bin; use it with translate --model)')
      .option('--arch <name>', `the checkpoint's architecture: ${TORCH_ARCHS.join(', ')} (default: read from the file)`, oneOfArg(TORCH_ARCHS))
      .option('--image-size <px>', 'input size of the built model (default: 2^num_downs for a U-Net, any for a discriminator)', intArg(1))
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .action(async (file: string, o: { out: string; arch?: TorchArch; imageSize?: number; backend: CliBackend }) => {
        const model = await runImportTorch({ file, ...o, log: io.log });
        model.dispose();
      }),
  );

  usageOnError(
    program
      .command('export-torch')
      .description('write a model folder, or the generator of a train run, as a PyTorch state dict the reference code loads')
      .argument('<dir>', 'a model folder (import-torch, model.save), or a train --out folder or its checkpoint folder')
      .requiredOption('--out <file>', 'the .pth file to write')
      .option('--half', 'write float16 tensors (half the size)', false)
      .option('--discriminator', 'from a train run: export the discriminator instead of the generator', false)
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .action(async (dir: string, o: { out: string; half: boolean; discriminator: boolean; backend: CliBackend }) => {
        await runExportTorch({ dir, ...o, log: io.log });
      }),
  );

  usageOnError(
    program
      .command('combine')
      .description('build the A|B layout from two folders of images with matching names')
      .requiredOption('--a <dir>', 'folder of A images')
      .requiredOption('--b <dir>', 'folder of B images')
      .requiredOption('--out <dir>', 'output folder')
      .option('--size <px>', 'resize both halves to size x size (default: A keeps its size, B is resized to it)', intArg(1))
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
      .option('--size <px>', 'image size', intArg(16), 64)
      .option('--count <n>', 'training pairs', intArg(1), 400)
      .option('--test-count <n>', 'held-out test pairs', intArg(1), 40)
      .option('--filters <n>', 'generator and discriminator filters', intArg(1), 16)
      .option('--backend <name>', CLI_BACKENDS.join(', '), oneOfArg(CLI_BACKENDS), 'auto')
      .option('--seed <n>', 'seed', intArg(0), 0)
      .action(async (o: { out: string; minutes: number; size: number; count: number; testCount: number; filters: number; backend: CliBackend; seed: number }) => {
        await runDemo({ ...o, log: io.log, signal: io.signal });
      }),
  );

  return program;
}
