// The options of `pix2pix train` as one declarative table: one row per setting, with the PyTorch
// reference's flag name (kebab-case) first and this package's older names as aliases, its default (taken
// from the core's resolvers where the core has one), its parser, and whether `--resume` may change it.
// Registering the flags on commander, resolving aliases (one setting given under two names with
// different values is an error) and checking a resume against run.json all read this table.
import { Option, type Command } from 'commander';
import { DIRECTIONS } from '../../data/batches.js';
import { discriminatorLayerCount } from '../../discriminator/geometry.js';
import { RECEPTIVE_FIELDS, resolveDiscriminatorOptions, resolveReceptiveField, type ReceptiveField } from '../../discriminator/options.js';
import { resolveGeneratorOptions } from '../../generator/builder.js';
import { DEFAULT_INIT, INIT_TYPES } from '../../layers/init.js';
import { NORM_KINDS } from '../../layers/norm.js';
import { PREPROCESS_MODES } from '../../data/preprocess.js';
import { DATASET_MODES } from '../../data/colorization.js';
import { compositeLoss } from '../../losses/composite_loss.js';
import { GAN_MODES } from '../../losses/gan_loss.js';
import { resolveSchedule, SCHEDULE_POLICIES } from '../../trainer/schedules/index.js';
import { CLI_BACKENDS, CliError } from '../backend.js';
import { intArg, numArg, oneOfArg, sideArg } from '../parse.js';
import { DEFAULT_PHASE } from '../../node/dataroot.js';
import { DEFAULT_CHECKPOINTS_DIR } from '../reference_flags.js';

/** Generator architectures of `pix2pix train --netG`: the reference's U-Nets by depth, a U-Net as deep as `--size` allows, the reference's ResNet generators, and the paper's encoder-decoder. */
export const NET_G = ['unet_256', 'unet_128', 'unet', 'resnet_9blocks', 'resnet_6blocks', 'encoder-decoder'] as const;
/** A `--netG` value. */
export type NetG = (typeof NET_G)[number];
/** The reference's `--model` values that `pix2pix train` takes, and the data set mode each one means. */
export const REFERENCE_MODELS = ['pix2pix', 'colorization'] as const;
/** A `--model` value of `pix2pix train`. */
export type ReferenceModel = (typeof REFERENCE_MODELS)[number];
const MODEL_DATASET_MODE: Record<ReferenceModel, (typeof DATASET_MODES)[number]> = { pix2pix: 'aligned', colorization: 'colorization' };
/** Discriminator architectures of `pix2pix train --netD` (the reference's names). */
export const NET_D = ['basic', 'n_layers', 'pixel'] as const;

/** May `--resume` change the setting? */
export type ResumeRule = 'fixed' | 'changeable';

/** One name of a setting on the command line. */
export interface FlagName {
  /** Commander flag spec, e.g. `'--ngf <n>'` or `'--no-dropout'`. */
  flag: string;
  /** Turns the parsed command-line value into the setting's value (default: as parsed). Gets the settings resolved so far (table order). */
  value?: (parsed: unknown, resolved: Readonly<Record<string, unknown>>) => unknown;
  /** Commander value parser (none for boolean flags). */
  parse?: (raw: string) => unknown;
}

/** One setting of `pix2pix train`. */
export interface TrainSetting {
  /** Key of the setting in the run options and in `run.json`. */
  key: string;
  /** Its names: the reference's first (when it has one), then this package's aliases. */
  names: readonly FlagName[];
  /** Help text. */
  help: string;
  /** Value when no name is given (undefined: unset, the library decides). */
  default?: unknown;
  /** Whether `--resume` may change it (fixed settings come from run.json and must not be contradicted). */
  resume: ResumeRule;
  /** Name of the reference's option when it differs from the first flag's (README table). */
  reference?: string;
  /** Only feeds another setting (and is checked on resume through it); not stored on its own. */
  feeds?: string;
}

// Defaults owned by the core (one owner per fact). The Trainer's (lr 2e-4, beta1 0.5) and the epoch
// counts (100 + 100) have no exported owner yet: they are the reference's values, stated here once.
const G_DEFAULTS = resolveGeneratorOptions({}, 'generator');
const D_DEFAULTS = resolveDiscriminatorOptions({});
const SCHEDULE_DEFAULTS = resolveSchedule(undefined);
const LOSS_DEFAULTS = compositeLoss({ seed: 0 }).config; // a pure options object: builds no tensors
const N_LAYERS_D_DEFAULT = discriminatorLayerCount(D_DEFAULTS.receptiveField);
const CHANNELS = ['1', '3', '4'] as const;

/** The PatchGAN receptive field with `n` stride-2 convs (the reference's `n_layers_D`). */
export function receptiveFieldOfLayers(n: number): ReceptiveField {
  const rf = RECEPTIVE_FIELDS.find((r) => r !== 1 && discriminatorLayerCount(r) === n);
  if (rf === undefined) throw new CliError(`--n-layers-D ${n}: supported are ${RECEPTIVE_FIELDS.filter((r) => r !== 1).map((r) => discriminatorLayerCount(r)).join(', ')}`);
  return rf;
}

const netD = (name: unknown, r: Readonly<Record<string, unknown>>): ReceptiveField =>
  name === 'pixel' ? 1 : name === 'basic' ? resolveReceptiveField(undefined) : receptiveFieldOfLayers(r.nLayersD as number);

/**
 * Every setting of `pix2pix train`, in help order. A new setting is one row here, plus the line in
 * `command.ts` that passes the value on.
 */
export const TRAIN_SETTINGS: readonly TrainSetting[] = [
  // --- data ---
  { key: 'data', names: [{ flag: '--dataroot <dir>' }, { flag: '--data <dir>' }], help: "data set folder: <dataroot>/<phase>/ when it exists (the reference's layout), else the folder itself: A|B images, or subfolders A/ and B/ with matching names (required)", resume: 'fixed' },
  { key: 'phase', names: [{ flag: '--phase <name>' }], help: 'which split of --dataroot to train on (<dataroot>/<phase>/)', default: DEFAULT_PHASE.train, resume: 'fixed' },
  { key: 'layout', names: [{ flag: '--layout <layout>', parse: oneOfArg(['ab', 'folders'] as const) }], help: 'data layout: ab or folders (default: folders when <dir>/A and <dir>/B exist, else ab)', resume: 'fixed' },
  { key: 'direction', names: [{ flag: '--direction <dir>', parse: oneOfArg(DIRECTIONS) }], help: 'AtoB or BtoA', default: DIRECTIONS[0], resume: 'fixed' },
  { key: 'size', names: [{ flag: '--crop-size <px>', parse: sideArg(2) }, { flag: '--size <px>', parse: sideArg(2) }], help: 'image size the network trains on (random crop of the --load-size image)', default: G_DEFAULTS.imageSize, resume: 'fixed' },
  { key: 'preprocess', names: [{ flag: '--preprocess <mode>', parse: oneOfArg(PREPROCESS_MODES) }], help: `how images are brought to --crop-size: ${PREPROCESS_MODES.join(', ')} (see README, Paired data)`, default: PREPROCESS_MODES[0], resume: 'fixed' },
  { key: 'loadSize', names: [{ flag: '--load-size <px>', parse: sideArg(2) }], help: 'resize to this before the random crop (default round(size*286/256))', resume: 'fixed' },
  { key: 'flip', names: [{ flag: '--no-flip' }], help: 'no random horizontal flips', default: true, resume: 'fixed' },
  { key: 'inputChannels', names: [{ flag: '--input-nc <n>', parse: oneOfArg(CHANNELS), value: Number }, { flag: '--input-channels <n>', parse: oneOfArg(CHANNELS), value: Number }], help: 'input channels: 1, 3 or 4', default: G_DEFAULTS.inputChannels, resume: 'fixed' },
  { key: 'outputChannels', names: [{ flag: '--output-nc <n>', parse: oneOfArg(CHANNELS), value: Number }, { flag: '--output-channels <n>', parse: oneOfArg(CHANNELS), value: Number }], help: 'output channels: 1, 3 or 4', default: G_DEFAULTS.outputChannels, resume: 'fixed' },
  { key: 'batchSize', names: [{ flag: '--batch-size <n>', parse: intArg(1) }], help: 'batch size', default: 1, resume: 'fixed' },
  { key: 'serialBatches', names: [{ flag: '--serial-batches' }], help: 'take the pairs in order instead of shuffling every epoch', default: false, resume: 'fixed' },
  {
    key: 'datasetMode',
    names: [
      { flag: '--dataset-mode <mode>', parse: oneOfArg(DATASET_MODES) },
      { flag: '--model <name>', parse: oneOfArg(REFERENCE_MODELS), value: (m) => MODEL_DATASET_MODE[m as ReferenceModel] },
    ],
    help: `${DATASET_MODES.join(' or ')}: colorization trains L -> ab in Lab from the photos (the B halves), 1 channel in, 2 out; --model ${REFERENCE_MODELS.join(' | ')} is the reference's name for the same choice`,
    default: DATASET_MODES[0],
    resume: 'fixed',
  },
  { key: 'maxDatasetSize', names: [{ flag: '--max-dataset-size <n>', parse: intArg(1) }], help: 'use only the first n pairs (default: all)', resume: 'fixed' },
  // --- networks ---
  { key: 'netG', names: [{ flag: '--netG <name>', parse: oneOfArg(NET_G) }, { flag: '--generator <kind>', parse: oneOfArg(['unet', 'encoder-decoder'] as const) }], help: `generator: ${NET_G.join(', ')} (unet: as deep as --size allows, = unet_256 at 256)`, default: 'unet', resume: 'fixed' },
  { key: 'filters', names: [{ flag: '--ngf <n>', parse: intArg(1) }, { flag: '--filters <n>', parse: intArg(1) }], help: 'generator filters in the first conv layer', default: G_DEFAULTS.filters, resume: 'fixed' },
  { key: 'dropout', names: [{ flag: '--no-dropout' }], help: 'no dropout in the generator', default: true, resume: 'fixed' },
  { key: 'nLayersD', names: [{ flag: '--n-layers-D <n>', parse: intArg(1) }], help: 'stride-2 convs of the n_layers discriminator', default: N_LAYERS_D_DEFAULT, resume: 'fixed', feeds: 'rf' },
  {
    key: 'rf',
    names: [
      { flag: '--netD <name>', parse: oneOfArg(NET_D), value: netD },
      { flag: '--rf <px>', parse: oneOfArg(RECEPTIVE_FIELDS.map(String)), value: Number },
    ],
    help: `discriminator: basic (70x70 PatchGAN), n_layers (with --n-layers-D), pixel; or its receptive field --rf ${RECEPTIVE_FIELDS.join(', ')}`,
    default: D_DEFAULTS.receptiveField,
    resume: 'fixed',
  },
  { key: 'dFilters', names: [{ flag: '--ndf <n>', parse: intArg(1) }, { flag: '--d-filters <n>', parse: intArg(1) }], help: 'discriminator filters in the first conv layer', default: D_DEFAULTS.filters, resume: 'fixed' },
  { key: 'norm', names: [{ flag: '--norm <kind>', parse: oneOfArg(NORM_KINDS) }], help: NORM_KINDS.join(', '), default: G_DEFAULTS.norm, resume: 'fixed' },
  { key: 'unconditionalD', names: [{ flag: '--unconditional-d' }], help: "discriminator sees the output alone, not the input pair (the paper's GAN-only ablation; not in the reference)", default: false, resume: 'fixed' },
  { key: 'initType', names: [{ flag: '--init-type <kind>', parse: oneOfArg(INIT_TYPES) }], help: `weight initialisation of both networks: ${INIT_TYPES.join(', ')}`, default: DEFAULT_INIT.type, resume: 'fixed' },
  { key: 'initGain', names: [{ flag: '--init-gain <x>', parse: numArg(0) }], help: 'scale of the initialisation (std of normal, gain of the others)', default: DEFAULT_INIT.gain, resume: 'fixed' },
  { key: 'initGenerator', names: [{ flag: '--init-generator <path>' }], help: 'start G from these weights (a model folder, a training run, or a reference .pth), with a fresh D', resume: 'fixed' },
  // --- objective ---
  { key: 'gan', names: [{ flag: '--gan-mode <kind>', parse: oneOfArg([...GAN_MODES, 'none'] as const) }, { flag: '--gan <kind>', parse: oneOfArg([...GAN_MODES, 'none'] as const) }], help: `${GAN_MODES.join(', ')}, or none (L1 only)`, default: LOSS_DEFAULTS.gan, resume: 'fixed' },
  { key: 'lambda', names: [{ flag: '--lambda-L1 <x>', parse: numArg(0) }, { flag: '--lambda <x>', parse: numArg(0) }], help: 'weight of the reconstruction term', default: LOSS_DEFAULTS.lambda, resume: 'fixed' },
  { key: 'reconstruction', names: [{ flag: '--reconstruction <kind>', parse: oneOfArg(['l1', 'l2', 'none'] as const) }], help: 'l1, l2 or none (not in the reference)', default: LOSS_DEFAULTS.reconstruction, resume: 'fixed' },
  // --- optimisation ---
  { key: 'lr', names: [{ flag: '--lr <x>', parse: numArg(0) }], help: 'Adam learning rate', default: 2e-4, resume: 'fixed' },
  { key: 'beta1', names: [{ flag: '--beta1 <x>', parse: numArg(0) }], help: 'Adam beta1', default: 0.5, resume: 'fixed' },
  { key: 'lrPolicy', names: [{ flag: '--lr-policy <name>', parse: oneOfArg(SCHEDULE_POLICIES) }], help: `${SCHEDULE_POLICIES.join(', ')} (plateau: needs --val-data; the rate drops by 0.2 when validation L1 stalls)`, default: SCHEDULE_DEFAULTS.policy, resume: 'fixed' },
  { key: 'lrDecayIters', names: [{ flag: '--lr-decay-iters <n>', parse: intArg(1) }], help: 'with --lr-policy step: epochs between two decays by 0.1', default: SCHEDULE_DEFAULTS.stepSize, resume: 'fixed' },
  { key: 'epochs', names: [{ flag: '--n-epochs <n>', parse: intArg(0) }, { flag: '--epochs <n>', parse: intArg(0) }], help: 'epochs at the initial learning rate', default: 100, resume: 'changeable' },
  { key: 'epochsDecay', names: [{ flag: '--n-epochs-decay <n>', parse: intArg(0) }, { flag: '--epochs-decay <n>', parse: intArg(0) }], help: 'epochs of learning-rate decay to zero', default: 100, resume: 'changeable' },
  { key: 'epochCount', names: [{ flag: '--epoch-count <n>', parse: intArg(1) }], help: 'number of the first epoch of a fresh run (the schedule starts there), as the reference counts them', resume: 'fixed' },
  { key: 'seed', names: [{ flag: '--seed <n>', parse: intArg(0) }], help: 'seed of weights, data order, jitter and dropout', default: 0, resume: 'fixed' },
  // --- run ---
  { key: 'out', names: [{ flag: '--out <dir>' }], help: 'output folder (checkpoint/, samples/, report.html, history.jsonl)', default: 'runs/pix2pix', resume: 'changeable', reference: '--checkpoints-dir + --name' },
  { key: 'name', names: [{ flag: '--name <name>' }], help: "the reference's run name: the output folder is <checkpoints-dir>/<name> (instead of --out)", resume: 'changeable' },
  { key: 'checkpointsDir', names: [{ flag: '--checkpoints-dir <dir>' }], help: `with --name: the folder of runs (default: ${DEFAULT_CHECKPOINTS_DIR})`, resume: 'changeable' },
  { key: 'resume', names: [{ flag: '--continue-train' }, { flag: '--resume' }], help: 'continue the checkpoint in --out (data and model options come from its run.json)', default: false, resume: 'changeable' },
  { key: 'backend', names: [{ flag: '--backend <name>', parse: oneOfArg(CLI_BACKENDS) }], help: `${CLI_BACKENDS.join(', ')} (auto: tensorflow if installed, else wasm, else cpu)`, default: 'auto', resume: 'changeable' },
  { key: 'sampleEvery', names: [{ flag: '--sample-every <n>', parse: intArg(1) }], help: 'write a sample grid and the report every n steps', default: 100, resume: 'changeable' },
  { key: 'checkpointEvery', names: [{ flag: '--checkpoint-every <n>', parse: intArg(1) }], help: 'save the checkpoint every n steps', default: 500, resume: 'changeable' },
  { key: 'saveEvery', names: [{ flag: '--save-every <n>', parse: intArg(1) }], help: 'also keep a numbered snapshot checkpoint-step-<n>/ every n steps', resume: 'changeable' },
  { key: 'saveEpochFreq', names: [{ flag: '--save-epoch-freq <n>', parse: intArg(1) }], help: 'also keep a numbered snapshot checkpoint-epoch-<n>/ every n epochs (the reference: 5; here off by default, each snapshot holds optimizer state too)', resume: 'changeable' },
  { key: 'maxSteps', names: [{ flag: '--max-steps <n>', parse: intArg(1) }], help: 'stop (and save) after this many steps in all', resume: 'changeable' },
  { key: 'timeLimit', names: [{ flag: '--time-limit <s>', parse: numArg(0) }], help: 'stop (and save) after this many seconds', resume: 'changeable' },
  { key: 'valData', names: [{ flag: '--val-data <dir>' }], help: 'held-out pairs (same layout as --data): L1, PSNR, SSIM every --val-every steps into history.jsonl and report.html', resume: 'changeable' },
  { key: 'valEvery', names: [{ flag: '--val-every <n>', parse: intArg(1) }], help: 'steps between validations (default: --sample-every)', resume: 'changeable' },
  { key: 'valCount', names: [{ flag: '--val-count <n>', parse: intArg(1) }], help: 'validate on the first n held-out pairs (default: all)', resume: 'changeable' },
  { key: 'keepBest', names: [{ flag: '--keep-best' }], help: 'keep the checkpoint with the best validation L1 in checkpoint-best/ (needs --val-data)', default: false, resume: 'changeable' },
];

const attr = (flag: string) => new Option(flag).attributeName();
const flagName = (flag: string) => flag.split(/[ ,]/)[0]!;

const fmtDefault = (v: unknown) => (v === undefined ? '' : typeof v === 'boolean' ? '' : ` (default: ${String(v)})`);

/** Adds every setting's names to `cmd` (no commander defaults: {@link resolveTrainFlags} applies them, so it can tell given from default). */
export function addTrainFlags(cmd: Command): Command {
  for (const s of TRAIN_SETTINGS) {
    s.names.forEach((n, i) => {
      const help = i === 0 ? `${s.help}${fmtDefault(s.default)}` : `same as ${flagName(s.names[0]!.flag)}`;
      const o = new Option(n.flag, help);
      if (n.parse) o.argParser(n.parse as (v: string) => unknown);
      cmd.addOption(o);
    });
  }
  const changeable = TRAIN_SETTINGS.filter((s) => s.resume === 'changeable').flatMap((s) => s.names.map((n) => flagName(n.flag)));
  cmd.addHelpText(
    'after',
    `\nWith --resume (--continue-train) only these may change: ${changeable.join(', ')}.\n` +
      `Every other option comes from the run's run.json; giving one with another value is an error.\n`,
  );
  return cmd;
}

/** The resolved settings, and how each given one was spelled on the command line. */
export interface ResolvedTrainFlags {
  /** Setting key -> value (defaults applied). */
  values: Record<string, unknown>;
  /** Setting key -> the flags the user gave for it, e.g. `'--ngf 8'` (only settings given on the command line). */
  given: Record<string, string>;
}

const show = (flag: string, v: unknown) => (typeof v === 'boolean' ? flagName(flag) : `${flagName(flag)} ${String(v)}`);

/**
 * Reads the settings from a parsed `cmd`: each from whichever of its names was given (commander's
 * `getOptionValueSource` is `'cli'`), else its default.
 * @throws CliError when one setting is given under two names with different values.
 */
export function resolveTrainFlags(cmd: Command): ResolvedTrainFlags {
  const opts = cmd.opts();
  const values: Record<string, unknown> = {};
  const given: Record<string, string> = {};
  for (const s of TRAIN_SETTINGS) {
    const hits = s.names
      .filter((n) => cmd.getOptionValueSource(attr(n.flag)) === 'cli')
      .map((n) => {
        const parsed = opts[attr(n.flag)];
        return { n, parsed, value: n.value ? n.value(parsed, values) : parsed };
      });
    const distinct = new Set(hits.map((h) => JSON.stringify(h.value)));
    if (distinct.size > 1) {
      throw new CliError(`${hits.map((h) => show(h.n.flag, h.parsed)).join(' and ')} set the same option (${s.key}) to different values: give one`);
    }
    values[s.key] = hits.length > 0 ? hits[0]!.value : s.default;
    if (hits.length > 0) given[s.key] = hits.map((h) => show(h.n.flag, h.parsed)).join(' ');
  }
  return { values, given };
}

/**
 * The settings a resumed run would change although `--resume` keeps them: one line per conflict, naming
 * the flag as given and the run's value. A key missing from `saved` (run.json of an older version) had
 * its default.
 */
export function resumeConflicts(saved: Readonly<Record<string, unknown>>, values: Readonly<Record<string, unknown>>, given: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const s of TRAIN_SETTINGS) {
    if (s.resume !== 'fixed' || s.feeds !== undefined || given[s.key] === undefined) continue;
    const run = s.key in saved ? saved[s.key] : s.default;
    if (JSON.stringify(run ?? null) !== JSON.stringify(values[s.key] ?? null)) {
      out.push(`${given[s.key]} (the run has ${s.key} ${run === undefined || run === null ? 'unset' : String(run)})`);
    }
  }
  return out;
}
