/**
 * The PyTorch reference's module layout (junyanz/pytorch-CycleGAN-and-pix2pix, `models/networks.py`), in one
 * place: for each of its networks (`UnetGenerator`, `ResnetGenerator`, `NLayerDiscriminator`,
 * `PixelDiscriminator`) which module path each of our layers maps to, how to recognise the network in one of
 * our models and in a state dict, and how to name it in messages; plus the reference's `--netG` / `--netD`
 * names and the `module.` (DataParallel) prefix. Import, export, architecture inference and the CLI all read
 * these descriptions.
 * @internal
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TorchTensor } from './read.js';

/** Which reference class a network corresponds to. */
export type TorchModuleKind = 'unet' | 'resnet' | 'nlayer' | 'pixel';

/** The size parameters that fix a network's module layout. */
export interface TorchLayoutParams {
  /** Which reference class. */
  kind: TorchModuleKind;
  /** U-Net `num_downs`, ResNet `n_blocks`, NLayerDiscriminator `n_layers`; 1 for the PixelGAN. */
  depth: number;
  /** ResNet only: whether the residual blocks hold a `Dropout` module (`use_dropout`; shifts indices). */
  dropout?: boolean;
  /** ResNet only: whether the residual blocks hold padding modules (reflect / replicate) or pad inside the convs (zero). */
  padModules?: boolean;
}

/** One architecture's description. */
export interface ArchitectureLayout {
  /** Kind. */
  readonly kind: TorchModuleKind;
  /** The reference's class name. */
  readonly className: string;
  /** `'UnetGenerator with num_downs=8'`, for messages about the reference's module. */
  describe(p: TorchLayoutParams): string;
  /** `'a U-Net generator with num_downs=8'`, for messages about a checkpoint. */
  describeFound(p: TorchLayoutParams): string;
  /** Our layer name -> the reference's module path, for every layer that has (or may have) weights. */
  modules(p: TorchLayoutParams): Map<string, string>;
  /** Layout parameters of one of our models, or null when the model is not this architecture. */
  fromModel(model: tfl.LayersModel, names: ReadonlySet<string>): TorchLayoutParams | null;
  /** Layout parameters read from a state dict (no `module.` prefix), or null when it is not this architecture. */
  fromStateDict(sd: ReadonlyMap<string, TorchTensor>): TorchLayoutParams | null;
  /** Our layer whose conv weight gives `filters` (dim 0) and input channels (dim 1). */
  readonly firstConv: string;
  /** Generators: our last conv layer and the dimension of its PyTorch weight holding the output channels. */
  readonly outputConv?: { layer: string; dim: number };
  /** A conv that feeds a norm in every size of the network (its bias tells instance norm from none). */
  normedConv(p: TorchLayoutParams): string;
}

const maxIndex = (names: Iterable<string>, re: RegExp): number => {
  let n = 0;
  for (const name of names) {
    const m = re.exec(name);
    if (m) n = Math.max(n, Number(m[1]));
  }
  return n;
};

// --- UnetGenerator ---------------------------------------------------------------------------------
// Level i = 1 (outermost) .. n (innermost). The reference nests `UnetSkipConnectionBlock`s; block i lives at
// `P(1) = model`, `P(i) = model.model.1` + `.model.3` x (i - 2), and its `Sequential` holds
// - outermost: `0` down conv, `1` block 2, `2` ReLU, `3` up deconv, `4` Tanh;
// - middle: `0` LeakyReLU, `1` down conv, `2` down norm, `3` block i+1, `4` ReLU, `5` up deconv, `6` up norm,
//   [`7` Dropout];
// - innermost: `0` LeakyReLU, `1` down conv, `2` ReLU, `3` up deconv, `4` up norm.
const unetPrefix = (i: number) => (i === 1 ? 'model' : 'model.model.1' + '.model.3'.repeat(i - 2));

const UNET: ArchitectureLayout = {
  kind: 'unet',
  className: 'UnetGenerator',
  describe: (p) => `UnetGenerator with num_downs=${p.depth}`,
  describeFound: (p) => `a U-Net generator with num_downs=${p.depth}`,
  modules(p) {
    const n = p.depth;
    const paths = new Map<string, string>();
    for (let i = 1; i <= n; i++) {
      const role = i === 1 ? 'outermost' : i === n ? 'innermost' : 'middle';
      const at = (k: number) => `${unetPrefix(i)}.model.${k}`;
      paths.set(`down${i}_conv`, at(role === 'outermost' ? 0 : 1));
      if (role === 'middle') paths.set(`down${i}_norm`, at(2));
      paths.set(`up${i}_deconv`, at(role === 'middle' ? 5 : 3));
      if (role !== 'outermost') paths.set(`up${i}_norm`, at(role === 'middle' ? 6 : 4));
    }
    return paths;
  },
  fromModel: (_model, names) => (names.has('down1_conv') ? { kind: 'unet', depth: maxIndex(names, /^down(\d+)_conv$/) } : null),
  fromStateDict(sd) {
    if (!sd.has(`${unetPrefix(1)}.model.0.weight`)) return null;
    let n = 1;
    while (sd.has(`${unetPrefix(n + 1)}.model.1.weight`)) n++;
    return { kind: 'unet', depth: n };
  },
  firstConv: 'down1_conv',
  outputConv: { layer: 'up1_deconv', dim: 1 },
  normedConv: () => 'up2_deconv',
};

// --- ResnetGenerator -------------------------------------------------------------------------------
// `model.*`: 0 ReflectionPad 3, 1 conv (c7s1), 2 norm, 3 ReLU; down i = 1, 2: conv 3i + 1, norm 3i + 2, ReLU;
// blocks b = 1..n at 9 + b, each `conv_block.*`: [pad], conv, norm, ReLU, [Dropout], [pad], conv, norm;
// up i = 1, 2: deconv 7 + n + 3i, norm 8 + n + 3i, ReLU; then ReflectionPad 3 at 16 + n, conv 17 + n, Tanh.
const RESNET: ArchitectureLayout = {
  kind: 'resnet',
  className: 'ResnetGenerator',
  describe: (p) => `ResnetGenerator with n_blocks=${p.depth}`,
  describeFound: (p) => `a ResNet generator with ${p.depth} residual blocks`,
  modules(p) {
    const n = p.depth;
    const paths = new Map<string, string>([
      ['conv0', 'model.1'],
      ['norm0', 'model.2'],
    ]);
    for (let i = 1; i <= 2; i++) {
      paths.set(`down${i}_conv`, `model.${3 * i + 1}`);
      paths.set(`down${i}_norm`, `model.${3 * i + 2}`);
      paths.set(`up${i}_deconv`, `model.${7 + n + 3 * i}`);
      paths.set(`up${i}_norm`, `model.${8 + n + 3 * i}`);
    }
    const pad = p.padModules === false ? 0 : 1;
    const conv2 = 2 * pad + 3 + (p.dropout === true ? 1 : 0);
    for (let b = 1; b <= n; b++) {
      const at = (k: number) => `model.${9 + b}.conv_block.${k}`;
      paths.set(`block${b}_conv1`, at(pad));
      paths.set(`block${b}_norm1`, at(pad + 1));
      paths.set(`block${b}_conv2`, at(conv2));
      paths.set(`block${b}_norm2`, at(conv2 + 1));
    }
    paths.set('out_conv', `model.${17 + n}`);
    return paths;
  },
  fromModel(model, names) {
    if (!names.has('out_conv') || !names.has('conv0')) return null;
    const depth = maxIndex(names, /^block(\d+)_conv1$/);
    return {
      kind: 'resnet',
      depth,
      dropout: names.has('block1_dropout'),
      padModules: depth === 0 || model.getLayer('block1_pad1').getClassName() !== 'ZeroPadding2D',
    };
  },
  fromStateDict(sd) {
    const w = sd.get('model.1.weight');
    if (sd.has('model.0.weight') || !w || w.shape.length !== 4) return null;
    const blocks = new Set<number>();
    for (const k of sd.keys()) {
      const m = /^model\.(\d+)\.conv_block\./.exec(k);
      if (m) blocks.add(Number(m[1]));
    }
    const n = blocks.size;
    if (n === 0) return { kind: 'resnet', depth: 0, dropout: false, padModules: true };
    // Zero padding: the first conv sits at conv_block.0; with Dropout the second conv moves one index on.
    const padModules = !sd.has('model.10.conv_block.0.weight');
    const conv2 = padModules ? 5 : 3;
    return { kind: 'resnet', depth: n, dropout: sd.get(`model.10.conv_block.${conv2 + 1}.weight`)?.shape.length === 4, padModules };
  },
  firstConv: 'conv0',
  outputConv: { layer: 'out_conv', dim: 0 },
  normedConv: () => 'conv0',
};

// --- NLayerDiscriminator ---------------------------------------------------------------------------
// `model.*`: `conv0` -> 0, `conv{k}` -> 3k - 1, `norm{k}` -> 3k, `logits` -> 3n + 2.
const NLAYER: ArchitectureLayout = {
  kind: 'nlayer',
  className: 'NLayerDiscriminator',
  describe: (p) => `NLayerDiscriminator with n_layers=${p.depth}`,
  describeFound: (p) => `a PatchGAN discriminator with n_layers=${p.depth}`,
  modules(p) {
    const paths = new Map<string, string>([['conv0', 'model.0']]);
    for (let k = 1; k <= p.depth; k++) {
      paths.set(`conv${k}`, `model.${3 * k - 1}`);
      paths.set(`norm${k}`, `model.${3 * k}`);
    }
    paths.set('logits', `model.${3 * p.depth + 2}`);
    return paths;
  },
  fromModel: (model, names) =>
    names.has('conv0') && names.has('logits') && !isPixel(model) ? { kind: 'nlayer', depth: maxIndex(names, /^conv(\d+)$/) } : null,
  fromStateDict(sd) {
    if (!sd.has('model.0.weight')) return null;
    const last = maxIndex(
      [...sd.keys()].filter((k) => k.endsWith('.weight')),
      /^model\.(\d+)\.weight$/,
    );
    const n = (last - 2) / 3;
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`state dict looks like an NLayerDiscriminator but its last conv is model.${last}`);
    }
    return { kind: 'nlayer', depth: n };
  },
  firstConv: 'conv0',
  normedConv: () => 'conv1',
};

// --- PixelDiscriminator ----------------------------------------------------------------------------
// `net.*`: `conv0` -> 0, `conv1` -> 2, `norm1` -> 3, `logits` -> 5.
const PIXEL: ArchitectureLayout = {
  kind: 'pixel',
  className: 'PixelDiscriminator',
  describe: () => 'PixelDiscriminator',
  describeFound: () => 'a PixelGAN discriminator',
  modules: () =>
    new Map([
      ['conv0', 'net.0'],
      ['conv1', 'net.2'],
      ['norm1', 'net.3'],
      ['logits', 'net.5'],
    ]),
  fromModel: (model, names) => (names.has('conv0') && names.has('logits') && isPixel(model) ? { kind: 'pixel', depth: 1 } : null),
  fromStateDict: (sd) => (sd.has('net.0.weight') ? { kind: 'pixel', depth: 1 } : null),
  firstConv: 'conv0',
  normedConv: () => 'conv1',
};

function isPixel(model: tfl.LayersModel): boolean {
  const kernel = model.getLayer('conv0').getWeights()[0];
  return kernel !== undefined && kernel.shape[0] === 1 && kernel.shape[1] === 1;
}

/** Every architecture's description, in the order they are tried (ResNet before U-Net: both have `down1_conv`). */
export const LAYOUTS: readonly ArchitectureLayout[] = [RESNET, UNET, NLAYER, PIXEL];

/** The description of one kind. */
export function layoutOf(kind: TorchModuleKind): ArchitectureLayout {
  return LAYOUTS.find((l) => l.kind === kind)!;
}

/** What each architecture's state dict starts with, for the "not a reference network" message. */
export const SIGNATURE_KEYS = 'model.model.0.weight (UnetGenerator), model.1.weight (ResnetGenerator), model.0.weight (NLayerDiscriminator) or net.0.weight (PixelDiscriminator)';

/** The class names, for the "not built by our factories" message. */
export const FACTORY_NAMES = 'unetGenerator / encoderDecoderGenerator / resnetGenerator / patchDiscriminator';

/** The layout of one of our models, with its module paths; throws for a model our factories did not make. */
export function modelLayout(model: tfl.LayersModel): { layout: ArchitectureLayout; params: TorchLayoutParams; paths: Map<string, string> } {
  const names = new Set(model.layers.map((l) => l.name));
  for (const layout of LAYOUTS) {
    const params = layout.fromModel(model, names);
    if (params) return { layout, params, paths: layout.modules(params) };
  }
  throw new Error(
    `model '${model.name}' was not built by ${FACTORY_NAMES} ` +
      "(it has no 'down1_conv', 'conv0' + 'out_conv' or 'conv0' + 'logits' layers), so it has no PyTorch reference layout",
  );
}

/** The state dict without a DataParallel `module.` prefix (when every key has one), else the same map. */
export function stripModulePrefix<T>(sd: ReadonlyMap<string, T>): ReadonlyMap<string, T> {
  const keys = [...sd.keys()];
  const prefixed = keys.length > 0 && keys.every((k) => k.startsWith('module.'));
  return prefixed ? new Map([...sd].map(([k, v]) => [k.slice('module.'.length), v])) : sd;
}

/** The reference's architecture names (`--netG` / `--netD`), plus `'unet'` / `'resnet'` for any depth. */
export type TorchArch = 'unet_256' | 'unet_128' | 'unet' | 'basic' | 'n_layers' | 'pixel' | 'resnet_9blocks' | 'resnet_6blocks' | 'resnet';

/** What each {@link TorchArch} fixes: the kind, and the depth unless any depth is accepted. */
export const TORCH_ARCH_LAYOUTS: {
  readonly [A in TorchArch]: {
    /** The reference's module family. */
    kind: TorchModuleKind;
    /** Its depth (U-Net levels, ResNet blocks, NLayer stride-2 convs); absent: any. */
    depth?: number;
  };
} = {
  unet_256: { kind: 'unet', depth: 8 },
  unet_128: { kind: 'unet', depth: 7 },
  unet: { kind: 'unet' },
  basic: { kind: 'nlayer', depth: 3 },
  n_layers: { kind: 'nlayer' },
  pixel: { kind: 'pixel' },
  resnet_9blocks: { kind: 'resnet', depth: 9 },
  resnet_6blocks: { kind: 'resnet', depth: 6 },
  resnet: { kind: 'resnet' },
};

/** Every {@link TorchArch}. */
export const TORCH_ARCHS = Object.keys(TORCH_ARCH_LAYOUTS) as readonly TorchArch[];

/** The reference's `--netG` / `--netD` name of a network: `unet_256`, `resnet_9blocks`, `basic`, ...; undefined if it has none. */
export function referenceArchName(p: TorchLayoutParams): TorchArch | undefined {
  const exact = TORCH_ARCHS.find((a) => TORCH_ARCH_LAYOUTS[a].kind === p.kind && TORCH_ARCH_LAYOUTS[a].depth === p.depth);
  if (exact) return exact;
  if (p.kind === 'nlayer') return 'n_layers';
  if (p.kind === 'pixel') return 'pixel';
  return undefined;
}
