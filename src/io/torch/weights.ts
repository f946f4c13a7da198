import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compareTorchKeys, permuteKernel, torchKeyMap, type WeightSlot } from './keymap.js';
import { stripModulePrefix } from './layout.js';
import { readTorchStateDict, type TorchTensor } from './read.js';
import { writeTorchStateDict, type TorchTensorInput, type TorchWriteDType } from './write.js';

const shapeText = (s: number[]) => `[${s.join(', ')}]`;
const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Loads a PyTorch state dict of the reference implementation (junyanz/pytorch-CycleGAN-and-pix2pix) into a
 * model made by {@link unetGenerator} (the reference's `UnetGenerator`, any `num_downs`), {@link resnetGenerator}
 * (`ResnetGenerator`, any `n_blocks`, with or without `use_dropout`, any `padding_type`),
 * {@link patchDiscriminator} (`NLayerDiscriminator` with `n_layers` 1-5 for receptive fields 16-286, and
 * `PixelDiscriminator` for receptive field 1), with batch, instance or no norm.
 *
 * - Formats: the bytes of a `.pth` file from `torch.save` in the zip format (PyTorch >= 1.6) or the legacy
 *   format (the published pretrained pix2pix models, e.g. `latest_net_G.pth`); or a state dict already read
 *   by {@link readTorchStateDict}. float16 / bfloat16 / float64 values are converted.
 * - Layouts: Conv2d `[out, in, kh, kw]` -> HWIO; ConvTranspose2d `[in, out, kh, kw]` -> tfjs' `[kh, kw, out, in]`;
 *   BatchNorm2d `weight`/`bias`/`running_mean`/`running_var` -> `gamma`/`beta`/`moving_mean`/`moving_variance`;
 *   `num_batches_tracked` is ignored, as are the running statistics older reference versions saved for
 *   instance norms (the reference drops them too). A `module.` prefix (from `DataParallel`) is stripped.
 * - Strict: every missing, unexpected or mis-shaped key is listed in one `Error`; atomic: on any error the
 *   model's weights are unchanged.
 * - Safe: see {@link readTorchStateDict}; a malicious pickle is rejected, never executed.
 *
 * Dropout: the reference (`use_dropout`) puts dropout on the decoder blocks one level further out than the
 * paper. Dropout has no weights, so this loads into any generator, but to reproduce the reference's
 * training-mode / `mode: 'paper'` outputs build the generator with `dropoutPlacement: 'reference'`
 * ({@link importTorchCheckpoint} does). In inference mode (`predict`) dropout is off and both agree.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { importTorchWeights, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, filters: 64, norm: 'batch' }); // the reference's unet_256
 * importTorchWeights(G, await readFile('latest_net_G.pth'));           // its weights, checked name by name
 * ```
 * @param model - The model to fill (its architecture must match the checkpoint's).
 * @param source - File bytes, or a state dict from {@link readTorchStateDict}.
 */
export function importTorchWeights(model: tfl.LayersModel, source: Uint8Array | Map<string, TorchTensor>): void {
  const stateDict = source instanceof Uint8Array ? readTorchStateDict(source) : source;
  if (!(stateDict instanceof Map)) throw new TypeError('importTorchWeights: source must be a Uint8Array or a Map');
  const values = matchStateDict(model, stateDict);
  // Everything is converted and checked: now write, layer by layer (shapes already verified).
  const byLayer = new Map<string, tf.Tensor[]>();
  for (const [slot, data] of values) {
    const layer = model.getLayer(slot.layerName);
    const list = byLayer.get(slot.layerName) ?? new Array<tf.Tensor>(layer.weights.length);
    list[slot.weightIndex] = tf.tensor(data, slot.shape, 'float32');
    byLayer.set(slot.layerName, list);
  }
  try {
    for (const [name, list] of byLayer) model.getLayer(name).setWeights(list);
  } finally {
    for (const list of byLayer.values()) tf.dispose(list);
  }
}

/**
 * Checks a state dict against the model and returns each weight's converted values (tfjs layout).
 * Throws one error listing every problem.
 */
function matchStateDict(model: tfl.LayersModel, input: Map<string, TorchTensor>): Array<[WeightSlot, Float32Array]> {
  const map = torchKeyMap(model);
  const sd = stripModulePrefix(input);

  const missing: string[] = [];
  const misShaped: string[] = [];
  const out: Array<[WeightSlot, Float32Array]> = [];
  const expected = new Set<string>();
  for (const slot of map.slots) {
    expected.add(slot.torchKey);
    const t = sd.get(slot.torchKey);
    if (!t) {
      missing.push(`${slot.torchKey} ${shapeText(slot.torchShape)} (${slot.layerName})`);
      continue;
    }
    if (!(t.data instanceof Float32Array)) {
      misShaped.push(`${slot.torchKey}: dtype ${t.dtype}, expected a floating type (${slot.layerName})`);
      continue;
    }
    if (!sameShape(t.shape, slot.torchShape)) {
      misShaped.push(`${slot.torchKey}: checkpoint ${shapeText(t.shape)}, model ${shapeText(slot.torchShape)} (${slot.layerName})`);
      continue;
    }
    out.push([slot, slot.layout === 'kernel' ? permuteKernel(t.data, slot.shape, false) : t.data]);
  }
  const unexpected = [...sd.keys()].filter((k) => !expected.has(k) && !map.ignorable.has(k));
  const problems = [
    missing.length ? `missing from the checkpoint (${missing.length}): ${missing.join(', ')}` : '',
    unexpected.length ? `unexpected in the checkpoint (${unexpected.length}): ${unexpected.join(', ')}` : '',
    misShaped.length ? `mismatched (${misShaped.length}): ${misShaped.join('; ')}` : '',
  ].filter(Boolean);
  if (problems.length > 0) {
    throw new Error(
      `importTorchWeights: the checkpoint does not match model '${model.name}' (a reference ${map.description}); ` +
        `nothing was loaded.\n  ${problems.join('\n  ')}`,
    );
  }
  return out;
}

/** Options of {@link exportTorchWeights}. */
export interface ExportTorchWeightsOptions {
  /** Element type of the floating-point tensors: `'float32'` (default) or `'float16'` (half the size). */
  dtype?: Extract<TorchWriteDType, 'float32' | 'float16'>;
  /** Name of the zip archive's top folder; see {@link WriteTorchStateDictOptions.archiveName}. Default `'archive'`. */
  archiveName?: string;
  /** `'zip'` (default, PyTorch >= 1.6) or `'legacy'` (readable by older PyTorch too); see {@link WriteTorchStateDictOptions.format}. */
  format?: 'zip' | 'legacy';
}

/**
 * Writes a model made by our factories as a PyTorch state dict in the reference's key layout: the bytes of a
 * zip-format `.pth` file that `torch.load` (also with `weights_only=True`) reads and the reference's
 * `UnetGenerator` / `ResnetGenerator` / `NLayerDiscriminator` / `PixelDiscriminator` accept with
 * `load_state_dict(strict=True)`
 * (built with the same `ngf`/`ndf`, depth and norm). Inverse of {@link importTorchWeights}: kernels are
 * transposed back to PyTorch layout, moving statistics become `running_mean` / `running_var`, and each batch
 * norm gets `num_batches_tracked = 0`. No file system: write the bytes where you like.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * import { exportTorchWeights, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * // A .pth the reference loads with netG.load_state_dict(torch.load(path)).
 * await writeFile('latest_net_G.pth', exportTorchWeights(G));
 * ```
 * @param model - A model made by {@link unetGenerator}, {@link resnetGenerator} or {@link patchDiscriminator}.
 * @param options - See {@link ExportTorchWeightsOptions}.
 * @returns The `.pth` file's bytes.
 */
export function exportTorchWeights(model: tfl.LayersModel, options: ExportTorchWeightsOptions = {}): Uint8Array {
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float16') {
    throw new RangeError(`dtype must be one of 'float32' | 'float16' (got ${JSON.stringify(dtype)})`);
  }
  const map = torchKeyMap(model);
  const entries: Array<[string, TorchTensorInput]> = [];
  for (const slot of map.slots) {
    const w = model.getLayer(slot.layerName).weights[slot.weightIndex]!;
    const data = w.read().dataSync() as Float32Array;
    entries.push([
      slot.torchKey,
      { shape: slot.torchShape, dtype, data: slot.layout === 'kernel' ? permuteKernel(data, slot.shape, true) : data },
    ]);
  }
  for (const key of map.batchCounters) entries.push([key, { shape: [], dtype: 'int64', data: new BigInt64Array(1) }]);
  entries.sort(([a], [b]) => compareTorchKeys(a, b));
  return writeTorchStateDict(entries, {
    ...(options.archiveName === undefined ? {} : { archiveName: options.archiveName }),
    ...(options.format === undefined ? {} : { format: options.format }),
  });
}
