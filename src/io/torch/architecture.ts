/**
 * Architecture inference: which reference network (and which size, norm and channels) a PyTorch state dict
 * belongs to, read from its keys and shapes through the layouts in `layout.ts`, with errors that name the
 * keys that do not fit.
 */
import type { NormKind } from '../../layers/norm.js';
import { LAYOUTS, SIGNATURE_KEYS, stripModulePrefix, type ArchitectureLayout, type TorchLayoutParams, type TorchModuleKind } from './layout.js';
import type { TorchTensor } from './read.js';

/** What a reference state dict says about the network it came from (see {@link inferTorchArchitecture}). */
export interface TorchArchitecture {
  /** `'unet'` (UnetGenerator), `'resnet'` (ResnetGenerator), `'nlayer'` (NLayerDiscriminator) or `'pixel'` (PixelDiscriminator). */
  kind: TorchModuleKind;
  /** U-Net `num_downs`, ResNet `n_blocks`, or NLayerDiscriminator `n_layers` (1 for the PixelGAN). */
  depth: number;
  /** `ngf` / `ndf`: filters of the first conv. */
  filters: number;
  /**
   * Norm the network was trained with: batch when the norm layers have an affine `weight`; else instance when
   * the convs before them have a bias; else none. (Running statistics do not decide it: the reference saved
   * them for instance norms too in 2018.)
   */
  norm: NormKind;
  /** Input channels of the first conv (for a conditional discriminator: input + target channels). */
  inputChannels: number;
  /** Generators: output channels (absent for discriminators). */
  outputChannels?: number;
  /** ResNet only: whether the residual blocks have dropout (the reference's `use_dropout`). */
  dropout?: boolean;
  /**
   * ResNet only: `'zero'` when the blocks pad inside their convs, else `'reflect'` (the reference's
   * default; a `'replicate'` network has the same keys and cannot be told apart).
   */
  padding?: 'reflect' | 'zero';
}

/** Parameter and buffer names a module may hold in a state dict. */
const LEAVES = new Set(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);

const moduleOf = (key: string) => key.slice(0, key.lastIndexOf('.'));
const leafOf = (key: string) => key.slice(key.lastIndexOf('.') + 1);

/**
 * Throws when a key of `sd` is not a parameter of a module of the layout `params` describes, naming first the
 * keys that fit no size of the network (a corrupted or foreign key), then those beyond the size read.
 */
function checkKeysFit(layout: ArchitectureLayout, params: TorchLayoutParams, sd: ReadonlyMap<string, TorchTensor>): void {
  const modules = new Set(layout.modules(params).values());
  const fits = (k: string, set: ReadonlySet<string>) => set.has(moduleOf(k)) && LEAVES.has(leafOf(k));
  const misfits = [...sd.keys()].filter((k) => !fits(k, modules));
  const tooSmall = layout.kind === 'unet' && params.depth < 2;
  if (misfits.length === 0 && !tooSmall) return;
  // Every module of every larger size (and either dropout variant): what a truncated size read would miss.
  const larger = new Set(modules);
  for (let depth = params.depth; depth <= params.depth + 16; depth++) {
    for (const dropout of [false, true]) for (const path of layout.modules({ ...params, depth, dropout }).values()) larger.add(path);
  }
  const foreign = misfits.filter((k) => !fits(k, larger));
  const list = (keys: string[]) => keys.slice(0, 5).map((k) => `'${k}'`).join(', ') + (keys.length > 5 ? `, ... (${keys.length} in all)` : '');
  const size = layout.describe(params).replace(/^\S+ with /, '');
  const head = `the state dict looks like the reference's ${layout.className} (${size}, read from its other keys)`;
  if (foreign.length > 0) {
    throw new Error(`${head}, but ${foreign.length === 1 ? 'key' : 'keys'} ${list(foreign)} ${foreign.length === 1 ? 'does' : 'do'} not fit its module layout (a corrupted or foreign key?)`);
  }
  if (misfits.length > 0) throw new Error(`${head}, but keys ${list(misfits)} lie beyond that size (a missing key in between?)`);
  throw new Error(`${head}: a UnetGenerator needs num_downs >= 2 (key '${layout.modules(params).get('up1_deconv')}.weight' has no inner block)`);
}

/**
 * Works out which reference network a state dict belongs to, and its size, from its keys and shapes:
 * `model.model.0.weight` -> U-Net (depth = nesting of `model.3` blocks), `model.1.weight` without
 * `model.0.weight` -> ResNet (blocks = `model.*.conv_block` modules; dropout and zero padding from the
 * blocks' indices), `model.0.weight` -> NLayerDiscriminator (n_layers from the last conv's index 3n + 2),
 * `net.0.weight` -> PixelDiscriminator. Norm: see {@link TorchArchitecture.norm}. Every key must fit the
 * layout read; a key that does not is named in the error.
 *
 * @param stateDict - A state dict from {@link readTorchStateDict} (a `module.` prefix is allowed).
 * @throws Error when the keys match none of the networks, or do not all fit the one they look like.
 */
export function inferTorchArchitecture(stateDict: Map<string, TorchTensor>): TorchArchitecture {
  const sd = stripModulePrefix(stateDict);
  let layout: ArchitectureLayout | undefined;
  let params: TorchLayoutParams | null = null;
  for (const candidate of LAYOUTS) {
    params = candidate.fromStateDict(sd);
    if (params) {
      layout = candidate;
      break;
    }
  }
  if (!layout || !params) {
    const keys = [...stateDict.keys()];
    throw new Error(
      `the state dict is not one of the reference pix2pix networks (it has no ${SIGNATURE_KEYS} key; ` +
        `first keys: ${keys.slice(0, 5).join(', ') || 'none'})`,
    );
  }
  checkKeysFit(layout, params, sd);
  const paths = layout.modules(params);
  const weightOf = (layer: string): number[] => {
    const key = `${paths.get(layer)}.weight`;
    const s = sd.get(key)?.shape;
    if (!s || s.length !== 4) throw new Error(`state dict key '${key}' is missing or not a 4-d conv weight`);
    return s;
  };
  const batch = [...paths].some(([name, path]) => /norm/.test(name) && sd.has(`${path}.weight`));
  const norm: NormKind = batch ? 'batch' : sd.has(`${paths.get(layout.normedConv(params))}.bias`) ? 'instance' : 'none';
  const w0 = weightOf(layout.firstConv);
  const arch: TorchArchitecture = { kind: layout.kind, depth: params.depth, filters: w0[0]!, norm, inputChannels: w0[1]! };
  if (layout.outputConv) arch.outputChannels = weightOf(layout.outputConv.layer)[layout.outputConv.dim]!;
  if (layout.kind === 'resnet') {
    arch.dropout = params.dropout === true;
    arch.padding = params.padModules === false ? 'zero' : 'reflect';
  }
  return arch;
}

/** A one-line description of an inferred architecture, for CLI output: `ResnetGenerator n_blocks=9 ngf=64, 3->3 channels, norm instance`. */
export function describeTorchArchitecture(a: TorchArchitecture): string {
  const layout = LAYOUTS.find((l) => l.kind === a.kind)!;
  const size = layout.describe(a).replace(/ with /, ' ');
  const channels = a.outputChannels === undefined ? `${a.inputChannels} input channels` : `${a.inputChannels}->${a.outputChannels} channels`;
  const filters = a.outputChannels === undefined ? `ndf=${a.filters}` : `ngf=${a.filters}`;
  const extra = a.kind === 'resnet' ? `${a.dropout ? ', dropout' : ''}${a.padding === 'zero' ? ', zero padding' : ''}` : '';
  return `${size} ${filters}, ${channels}, norm ${a.norm}${extra}`;
}
