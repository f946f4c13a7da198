/**
 * The mapping between our models' weights (layer names fixed by the factories) and the state-dict keys of
 * the PyTorch reference's modules. Which layer sits at which module path is described once, in
 * `layout.ts`; this file turns that into per-weight slots (parameter names, shapes, PyTorch layouts).
 * @internal
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { modelLayout, type TorchModuleKind } from './layout.js';

export type { TorchModuleKind } from './layout.js';

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

/** Complete mapping of one model. @internal */
export interface TorchKeyMap {
  /** Which reference class the model corresponds to. */
  kind: TorchModuleKind;
  /** n: U-Net levels, ResNet blocks, or NLayerDiscriminator's n_layers (1 for the PixelGAN). */
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
  /** The reference module, for messages: `'UnetGenerator with num_downs=8'`. */
  description: string;
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
  const { layout, params, paths } = modelLayout(model);
  const { kind, depth } = params;
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
  return { kind, depth, slots, ignorable, batchCounters, description: layout.describe(params) };
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
