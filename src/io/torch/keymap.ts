import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The mapping between our models' weights (layer names fixed by the factories) and the state-dict keys
 * of the PyTorch reference's modules (junyanz/pytorch-CycleGAN-and-pix2pix `UnetGenerator`,
 * `NLayerDiscriminator`, `PixelDiscriminator`).
 *
 * U-Net, level i = 1 (outermost) .. n (innermost). The reference nests `UnetSkipConnectionBlock`s; block i
 * lives at `P(1) = model`, `P(i) = model.model.1` + `.model.3` x (i - 2), and its `Sequential` holds
 * - outermost: `0` down conv, `1` block 2, `2` ReLU, `3` up deconv, `4` Tanh;
 * - middle: `0` LeakyReLU, `1` down conv, `2` down norm, `3` block i+1, `4` ReLU, `5` up deconv,
 *   `6` up norm, [`7` Dropout];
 * - innermost: `0` LeakyReLU, `1` down conv, `2` ReLU, `3` up deconv, `4` up norm.
 *
 * NLayerDiscriminator (`model.*`): `conv0` -> 0, `conv{k}` -> 3k - 1, `norm{k}` -> 3k, `logits` -> 3n + 2.
 * PixelDiscriminator (`net.*`): `conv0` -> 0, `conv1` -> 2, `norm1` -> 3, `logits` -> 5.
 * With instance norm or `'none'` the reference keeps its norm modules (parameter-free), so the indices do
 * not depend on the norm.
 * @internal
 */

/** How a weight's values are laid out in the two frameworks. */
export type WeightLayout = 'kernel' | 'vector';

/** One weight of the model and its state-dict key. @internal */
export interface WeightSlot {
  /** State-dict key in the reference, e.g. `model.model.1.model.1.weight`. */
  torchKey: string;
  /** Our layer's name, e.g. `down2_conv`. */
  layerName: string;
  /** Index into `layer.weights` / `getWeights()` / `setWeights()`. */
  weightIndex: number;
  /** Shape of our weight (tfjs layout). */
  shape: number[];
  /** Shape of the reference's tensor (PyTorch layout). */
  torchShape: number[];
  /** `'kernel'`: tfjs `[kh, kw, a, b]` <-> PyTorch `[b, a, kh, kw]` (both Conv2d OIHW and ConvTranspose2d). */
  layout: WeightLayout;
}

/** The architecture a model maps onto. @internal */
export type TorchModuleKind = 'unet' | 'nlayer' | 'pixel';

/** Complete mapping of one model. @internal */
export interface TorchKeyMap {
  /** Which reference class the model corresponds to. */
  kind: TorchModuleKind;
  /** n: U-Net levels, or NLayerDiscriminator's n_layers (1 for the PixelGAN). */
  depth: number;
  /** Every weight of the model, in the reference's `state_dict()` order. */
  slots: WeightSlot[];
  /**
   * Keys a reference checkpoint may hold that carry nothing we load: `num_batches_tracked` of batch norms,
   * and `running_mean` / `running_var` / `num_batches_tracked` of instance norms saved by older reference
   * versions (`track_running_stats=True`, which the reference itself drops when loading).
   */
  ignorable: Set<string>;
  /** `num_batches_tracked` keys to write on export (one per batch norm). */
  batchCounters: string[];
}

/** tfjs weight-variable suffix -> PyTorch parameter name. */
const PARAM_NAME: Readonly<Record<string, string>> = {
  kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/** Order of a module's entries in `state_dict()`: parameters, then buffers. */
const LEAF_ORDER = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];

const layerNames = (model: tfl.LayersModel): Set<string> => new Set(model.layers.map((l) => l.name));

const maxIndex = (names: Set<string>, re: RegExp): number => {
  let n = 0;
  for (const name of names) {
    const m = re.exec(name);
    if (m) n = Math.max(n, Number(m[1]));
  }
  return n;
};

/** Module path of each of our layers that has (or may have) weights. */
function modulePaths(model: tfl.LayersModel): { kind: TorchModuleKind; depth: number; paths: Map<string, string> } {
  const names = layerNames(model);
  const paths = new Map<string, string>();
  if (names.has('down1_conv')) {
    const n = maxIndex(names, /^down(\d+)_conv$/);
    const prefix = (i: number) => (i === 1 ? 'model' : 'model.model.1' + '.model.3'.repeat(i - 2));
    for (let i = 1; i <= n; i++) {
      const role = i === 1 ? 'outermost' : i === n ? 'innermost' : 'middle';
      const at = (k: number) => `${prefix(i)}.model.${k}`;
      paths.set(`down${i}_conv`, at(role === 'outermost' ? 0 : 1));
      if (role === 'middle') paths.set(`down${i}_norm`, at(2));
      paths.set(`up${i}_deconv`, at(role === 'middle' ? 5 : 3));
      if (role !== 'outermost') paths.set(`up${i}_norm`, at(role === 'middle' ? 6 : 4));
    }
    return { kind: 'unet', depth: n, paths };
  }
  if (names.has('conv0') && names.has('logits')) {
    const n = maxIndex(names, /^conv(\d+)$/);
    const kernel = model.getLayer('conv0').getWeights()[0];
    const pixel = kernel !== undefined && kernel.shape[0] === 1 && kernel.shape[1] === 1;
    if (pixel) {
      for (const [name, idx] of [['conv0', 0], ['conv1', 2], ['norm1', 3], ['logits', 5]] as const) paths.set(name, `net.${idx}`);
      return { kind: 'pixel', depth: 1, paths };
    }
    paths.set('conv0', 'model.0');
    for (let k = 1; k <= n; k++) {
      paths.set(`conv${k}`, `model.${3 * k - 1}`);
      paths.set(`norm${k}`, `model.${3 * k}`);
    }
    paths.set('logits', `model.${3 * n + 2}`);
    return { kind: 'nlayer', depth: n, paths };
  }
  throw new Error(
    `model '${model.name}' was not built by unetGenerator / encoderDecoderGenerator / patchDiscriminator ` +
      "(it has no 'down1_conv' layer and no 'conv0' + 'logits' layers), so it has no PyTorch reference layout",
  );
}

/** Compares state-dict keys in the order `state_dict()` lists them (numeric path segments, params before buffers). */
export function compareTorchKeys(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    const lx = LEAF_ORDER.indexOf(x);
    const ly = LEAF_ORDER.indexOf(y);
    if (lx >= 0 && ly >= 0) return lx - ly;
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** PyTorch shape of a tfjs weight. */
export function torchShapeOf(shape: number[], layout: WeightLayout): number[] {
  return layout === 'kernel' ? [shape[3]!, shape[2]!, shape[0]!, shape[1]!] : shape.slice();
}

/**
 * Builds the complete weight <-> key mapping of a model made by our factories. Throws when the model has
 * weights the mapping does not cover (a model not made by the factories, or a changed layer contract).
 * @internal
 */
export function torchKeyMap(model: tfl.LayersModel): TorchKeyMap {
  const { kind, depth, paths } = modulePaths(model);
  const slots: WeightSlot[] = [];
  const ignorable = new Set<string>();
  const batchCounters: string[] = [];
  const unmapped: string[] = [];
  for (const layer of model.layers) {
    const path = paths.get(layer.name);
    const weights = layer.weights;
    if (path === undefined) {
      if (weights.length > 0) unmapped.push(layer.name);
      continue;
    }
    const className = layer.getClassName();
    const isNorm = /norm/i.test(className);
    if (isNorm && className === 'BatchNormalization') {
      batchCounters.push(`${path}.num_batches_tracked`);
      ignorable.add(`${path}.num_batches_tracked`);
    } else if (isNorm && weights.length === 0) {
      for (const buf of ['running_mean', 'running_var', 'num_batches_tracked']) ignorable.add(`${path}.${buf}`);
    }
    weights.forEach((w, weightIndex) => {
      const suffix = w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
      const param = PARAM_NAME[suffix];
      if (param === undefined) {
        unmapped.push(`${layer.name}/${suffix}`);
        return;
      }
      const layout: WeightLayout = suffix === 'kernel' ? 'kernel' : 'vector';
      if (layout === 'kernel' && w.shape.length !== 4) {
        unmapped.push(`${layer.name}/${suffix} (rank ${w.shape.length})`);
        return;
      }
      slots.push({
        torchKey: `${path}.${param}`,
        layerName: layer.name,
        weightIndex,
        shape: (w.shape as number[]).slice(),
        torchShape: torchShapeOf(w.shape as number[], layout),
        layout,
      });
    });
  }
  if (unmapped.length > 0) {
    throw new Error(`model '${model.name}': no PyTorch reference key for the weights of ${unmapped.join(', ')}`);
  }
  slots.sort((a, b) => compareTorchKeys(a.torchKey, b.torchKey));
  return { kind, depth, slots, ignorable, batchCounters };
}

/**
 * Reorders `[kh, kw, a, b]` (tfjs) into `[b, a, kh, kw]` (PyTorch), or back with `toTorch: false`. @internal
 */
export function permuteKernel(data: Float32Array, tfShape: number[], toTorch: boolean): Float32Array {
  const [kh, kw, a, b] = tfShape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      for (let i = 0; i < a; i++) {
        for (let o = 0; o < b; o++) {
          const tfIndex = ((h * kw + w) * a + i) * b + o;
          const torchIndex = ((o * a + i) * kh + h) * kw + w;
          if (toTorch) out[torchIndex] = data[tfIndex]!;
          else out[tfIndex] = data[torchIndex]!;
        }
      }
    }
  }
  return out;
}
