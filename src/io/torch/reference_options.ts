/**
 * The reference's training options (junyanz/pytorch-CycleGAN-and-pix2pix `options/*.py`, with the pix2pix
 * model's defaults) for the hand-off of a run to PyTorch and back: our run options under its names, its
 * `train_opt.txt` format (written and read), and the `python train.py ... --continue_train` command.
 */
import { referenceArchName, type TorchLayoutParams } from './layout.js';

/** One reference option: its name (`--<name>`), value, and the reference's default for pix2pix. */
export interface ReferenceOption {
  /** Option name, e.g. `'netG'`. */
  name: string;
  /** Value as the reference prints it. */
  value: string;
  /** The reference's pix2pix default, as it prints it. */
  default: string;
}

/** The reference's pix2pix defaults of the options the hand-off sets (`train.py --model pix2pix`). */
export const REFERENCE_DEFAULTS: Readonly<Record<string, string>> = {
  batch_size: '1',
  beta1: '0.5',
  checkpoints_dir: './checkpoints',
  continue_train: 'False',
  crop_size: '256',
  dataroot: 'None',
  dataset_mode: 'aligned',
  direction: 'AtoB',
  epoch: 'latest',
  epoch_count: '1',
  gan_mode: 'vanilla',
  input_nc: '3',
  lambda_L1: '100.0',
  load_size: '286',
  lr: '0.0002',
  model: 'pix2pix',
  n_layers_D: '3',
  name: 'experiment_name',
  ndf: '64',
  netD: 'basic',
  netG: 'unet_256',
  ngf: '64',
  no_flip: 'False',
  norm: 'batch',
  output_nc: '3',
};

/** What the hand-off needs to know about a run (from its `run.json` and its two networks). */
export interface HandoffRun {
  /** Data set folder (`--dataroot`). */
  data?: string;
  /** `'AtoB'` or `'BtoA'`. */
  direction?: string;
  /** Crop size (our `size`). */
  size?: number;
  /** Resize before the crop (our `loadSize`). */
  loadSize?: number;
  /** Random flips. */
  flip?: boolean;
  /** Batch size. */
  batchSize?: number;
  /** Weight of the L1 term. */
  lambda?: number;
  /** GAN loss: `'vanilla'`, `'lsgan'`, `'wgangp'`. */
  gan?: string;
  /** Adam learning rate. */
  lr?: number;
  /** Norm kind. */
  norm?: string;
  /** Input channels. */
  inputChannels?: number;
  /** Output channels. */
  outputChannels?: number;
  /** The reference's `--epoch_count` (the first epoch it counts on continuing): our completed epochs + 1. */
  epochCount?: number;
}

const num = (v: number) => String(v);
const float = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));
const bool = (v: boolean) => (v ? 'True' : 'False');

/**
 * The reference options of a run handed to PyTorch, sorted by name as the reference prints them.
 * @throws Error when a network has no reference name (e.g. a U-Net other than unet_256 / unet_128).
 */
export function referenceTrainOptions(
  run: HandoffRun,
  g: TorchLayoutParams & { filters: number },
  d: TorchLayoutParams & { filters: number },
  where: { name: string; checkpointsDir: string },
): ReferenceOption[] {
  const netG = referenceArchName(g);
  if (netG === undefined || g.kind === 'nlayer' || g.kind === 'pixel' || netG === 'unet' || netG === 'resnet') {
    throw new Error(
      `the reference has no --netG for this generator (${g.kind} of depth ${g.depth}); it has unet_256 (num_downs 8), unet_128 (7), resnet_9blocks and resnet_6blocks`,
    );
  }
  const netD = referenceArchName(d);
  if (netD === undefined || (d.kind !== 'nlayer' && d.kind !== 'pixel')) throw new Error('the discriminator is not one of the reference networks');
  const values: Record<string, string> = {
    checkpoints_dir: where.checkpointsDir,
    continue_train: 'True',
    dataset_mode: 'aligned',
    model: 'pix2pix',
    name: where.name,
    netG,
    netD,
    n_layers_D: d.kind === 'nlayer' ? String(d.depth) : '3',
    ngf: String(g.filters),
    ndf: String(d.filters),
  };
  if (run.data !== undefined) values['dataroot'] = run.data;
  if (run.direction !== undefined) values['direction'] = run.direction;
  if (run.size !== undefined) values['crop_size'] = num(run.size);
  if (run.loadSize !== undefined) values['load_size'] = num(run.loadSize);
  if (run.flip !== undefined) values['no_flip'] = bool(!run.flip);
  if (run.batchSize !== undefined) values['batch_size'] = num(run.batchSize);
  if (run.lambda !== undefined) values['lambda_L1'] = float(run.lambda);
  if (run.gan !== undefined) values['gan_mode'] = run.gan;
  if (run.lr !== undefined) values['lr'] = String(run.lr);
  if (run.norm !== undefined) values['norm'] = run.norm;
  if (run.inputChannels !== undefined) values['input_nc'] = num(run.inputChannels);
  if (run.outputChannels !== undefined) values['output_nc'] = num(run.outputChannels);
  if (run.epochCount !== undefined) values['epoch_count'] = num(run.epochCount);
  return Object.keys(values)
    .sort()
    .map((name) => ({ name, value: values[name]!, default: REFERENCE_DEFAULTS[name] ?? '' }));
}

/**
 * `train_opt.txt` as the reference writes it (`BaseOptions.print_options`): one `name: value` line per option,
 * right-aligned names, `[default: x]` where the value differs from the default.
 */
export function formatTrainOpt(options: readonly ReferenceOption[]): string {
  let text = '----------------- Options ---------------\n';
  for (const o of options) {
    const comment = o.value !== o.default && o.default !== '' ? `\t[default: ${o.default}]` : '';
    text += `${o.name.padStart(25)}: ${o.value.padEnd(30)}${comment}\n`;
  }
  return text + '----------------- End -------------------\n';
}

/** Reads a reference `train_opt.txt` (or `test_opt.txt`) into name -> value. Lines that are not options are skipped. */
export function parseTrainOpt(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*): (.*?)\s*(?:\t\[default: .*\])?\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Quotes a shell word when it needs it. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Options the command line always carries (the rest only when they differ from the reference's default). */
const COMMAND_ALWAYS = ['dataroot', 'name', 'checkpoints_dir', 'model', 'netG', 'netD', 'n_layers_D', 'norm', 'ngf', 'ndf', 'direction'];

/**
 * How the reference is launched: one process (`python train.py`), or its 2025 master's multi-GPU DDP
 * (`torchrun --nproc_per_node=N train.py`), where batch norm must be `--norm syncbatch` (plain
 * `BatchNorm2d` is not DDP-compatible there; `SyncBatchNorm` has the same parameters and buffers, so the
 * handed-off `latest_net_*.pth` load into it unchanged).
 */
export interface ReferenceLaunch {
  /** Processes (GPUs) for `torchrun --nproc_per_node`; a number or a placeholder such as `'N'`. Default: one process, `python train.py`. */
  gpus?: number | string;
}

/** `python train.py --dataroot ... --continue_train` (or its `torchrun` form): the reference command that continues the handed-off run. */
export function referenceTrainCommand(options: readonly ReferenceOption[], launch: ReferenceLaunch = {}): string {
  const multi = launch.gpus !== undefined;
  const by = new Map(options.map((o) => [o.name, o]));
  const args: string[] = multi ? ['torchrun', `--nproc_per_node=${shellWord(String(launch.gpus))}`, 'train.py'] : ['python', 'train.py'];
  const add = (o: ReferenceOption) => {
    if (o.name === 'continue_train' || o.name === 'no_flip') {
      if (o.value === 'True') args.push(`--${o.name}`);
    } else {
      args.push(`--${o.name}`, shellWord(multi && o.name === 'norm' && o.value === 'batch' ? 'syncbatch' : o.value));
    }
  };
  for (const name of COMMAND_ALWAYS) {
    const o = by.get(name);
    if (o) add(o);
    else if (name === 'dataroot') args.push('--dataroot', '<your data set>');
    else if (name === 'direction') args.push('--direction', REFERENCE_DEFAULTS['direction']!);
    else if (name === 'norm') add({ name: 'norm', value: REFERENCE_DEFAULTS['norm']!, default: REFERENCE_DEFAULTS['norm']! });
  }
  for (const o of options) {
    if (COMMAND_ALWAYS.includes(o.name) || o.name === 'continue_train' || o.name === 'dataset_mode') continue;
    if (o.value !== o.default) add(o);
  }
  args.push('--continue_train');
  return args.join(' ');
}
