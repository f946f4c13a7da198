/**
 * Generator export for tfjs apps: a generator-only tfjs-layers model (`model.json` + one weights file)
 * holding the inference graph (dropout layers removed: `predict` never drops), optionally with float16
 * or uint8 weights through tfjs' own weight-manifest quantization, which stock `tf.loadLayersModel`
 * dequantizes on load. Platform-neutral: returns the files' contents; Node code writes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { assertNever, checkKeys, checkOneOf } from '../../util/validate.js';
import { encodeFloat16 } from './float16.js';

/**
 * Weight storage of an export: `'float32'` as trained; `'float16'` half the bytes (tfjs manifest
 * `quantization: {dtype: 'float16'}`); `'uint8'` a quarter (per tensor, `value = q * scale + min`,
 * 256 evenly spaced levels between the tensor's minimum and maximum).
 */
export type WeightQuantization = 'float32' | 'float16' | 'uint8';
/** The allowed {@link WeightQuantization}s (the CLI's `--quantize` takes `float16` and `uint8`). */
export const WEIGHT_QUANTIZATIONS: readonly WeightQuantization[] = ['float32', 'float16', 'uint8'];

/** Name of the weights file an export's manifest points to. */
export const TFJS_EXPORT_WEIGHTS = 'weights.bin';
/** Name of an export's model file. */
export const TFJS_EXPORT_JSON = 'model.json';

/** Options of {@link exportTfjsGenerator}. */
export interface ExportTfjsOptions {
  /** Weight storage, see {@link WeightQuantization}. Default `'float32'`. */
  quantize?: WeightQuantization;
}

/** The files of a tfjs export. */
export interface TfjsExport {
  /** Contents of `model.json` (tfjs `ModelJSON`: topology and weights manifest). */
  modelJson: tf.io.ModelJSON;
  /** Contents of the weights file ({@link TFJS_EXPORT_WEIGHTS}). */
  weights: Uint8Array;
}

const EXPORT_TFJS_KEYS = ['quantize'] as const;
/**
 * Layer classes that are the identity at inference time and are dropped from the exported graph (the
 * generators' `SpatialSizeCheck` too, so a batch-norm U-Net export needs no layer of this package).
 */
const INFERENCE_IDENTITY = new Set(['SeededDropout', 'Dropout', 'SpatialDropout1D', 'GaussianDropout', 'AlphaDropout', 'GaussianNoise', 'SpatialSizeCheck']);

type NodeRef = [string, number, number, Record<string, unknown>?];
interface LayerJson {
  name: string;
  class_name: string;
  inbound_nodes: NodeRef[][];
}

/**
 * Removes the inference-time identity layers (dropout) from a functional model topology, reconnecting
 * their consumers to their inputs. Returns a new topology; the input is not changed. @internal
 */
export function inferenceTopology(topology: tf.io.ModelJSON['modelTopology']): tf.io.ModelJSON['modelTopology'] {
  const t = JSON.parse(JSON.stringify(topology)) as { config: { layers: LayerJson[]; output_layers: NodeRef[] } };
  const layers = t.config.layers;
  const replaced = new Map<string, NodeRef>();
  const resolve = (ref: NodeRef): NodeRef => {
    let r = ref;
    for (let seen = 0; replaced.has(r[0]) && seen < layers.length; seen++) {
      const src = replaced.get(r[0])!;
      r = [src[0], src[1], src[2], ...(r.length > 3 ? [r[3]] : [])] as NodeRef;
    }
    return r;
  };
  for (const l of layers) {
    if (INFERENCE_IDENTITY.has(l.class_name) && l.inbound_nodes.length === 1 && l.inbound_nodes[0]!.length === 1) replaced.set(l.name, l.inbound_nodes[0]![0]!);
  }
  t.config.layers = layers.filter((l) => !replaced.has(l.name));
  for (const l of t.config.layers) l.inbound_nodes = l.inbound_nodes.map((node) => node.map(resolve));
  t.config.output_layers = t.config.output_layers.map(resolve);
  return t as unknown as tf.io.ModelJSON['modelTopology'];
}

/** The generator's topology and weights, as `model.save` hands them to an IO handler. */
async function artifactsOf(generator: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | null = null;
  await generator.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return captured!;
}

/** Re-encodes float32 weights per {@link WeightQuantization}; returns the new specs and bytes. */
function quantizeWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, q: WeightQuantization): [tf.io.WeightsManifestEntry[], Uint8Array] {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32' || spec.quantization) throw new Error(`exportTfjsGenerator: weight ${spec.name} is ${spec.dtype}${spec.quantization ? ' (already quantized)' : ''}; expected float32`);
    const v = new Float32Array(data.slice(offset, offset + 4 * n));
    offset += 4 * n;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(v[i]!)) throw new Error(`exportTfjsGenerator: weight ${spec.name} holds a non-finite value (${v[i]}); refusing to export it`);
    }
    switch (q) {
      case 'float32':
        out.push({ name: spec.name, shape: spec.shape, dtype: 'float32' });
        parts.push(new Uint8Array(v.buffer));
        break;
      case 'float16':
        out.push({ name: spec.name, shape: spec.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
        parts.push(new Uint8Array(encodeFloat16(v).buffer));
        break;
      case 'uint8': {
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < n; i++) {
          min = Math.min(min, v[i]!);
          max = Math.max(max, v[i]!);
        }
        if (n === 0) min = max = 0;
        const scale = max > min ? (max - min) / 255 : 1;
        const bytes = new Uint8Array(n);
        for (let i = 0; i < n; i++) bytes[i] = Math.round((v[i]! - min) / scale);
        out.push({ name: spec.name, shape: spec.shape, dtype: 'float32', quantization: { dtype: 'uint8', min, scale } });
        parts.push(bytes);
        break;
      }
      default:
        assertNever(q, 'quantize');
    }
  }
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  return [out, bytes];
}

/**
 * Exports a generator for tfjs apps: its inference graph (dropout layers removed, so it runs as
 * `predict` does) and its weights, optionally quantized with tfjs' weight-manifest quantization.
 * Write `modelJson` as {@link TFJS_EXPORT_JSON} and `weights` as {@link TFJS_EXPORT_WEIGHTS} into one
 * folder; an app loads it with `tf.loadLayersModel(url)` and needs no part of this package unless the
 * generator uses instance norm (then import `@acme/pix2pix/layers` first, which registers this package's
 * layers and nothing else). Paper mode (dropout at test time) is not possible with an export.
 *
 * @example
 * ```ts
 * import { exportTfjsGenerator, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * const { modelJson, weights } = await exportTfjsGenerator(G, { quantize: 'float16' }); // half the bytes
 * // In Node: writeTfjsExport('model/', { modelJson, weights }) from '@acme/pix2pix/node'.
 * ```
 * @param generator - The generator (any tfjs-layers functional model).
 * @param options - See {@link ExportTfjsOptions}.
 * @throws Error when a weight is not float32 or holds a non-finite value.
 */
export async function exportTfjsGenerator(generator: tfl.LayersModel, options: ExportTfjsOptions = {}): Promise<TfjsExport> {
  checkKeys(options, EXPORT_TFJS_KEYS, 'exportTfjsGenerator');
  const quantize = options.quantize ?? 'float32';
  checkOneOf(quantize, 'quantize', WEIGHT_QUANTIZATIONS);
  const a = await artifactsOf(generator);
  if (a.modelTopology == null || a.modelTopology instanceof ArrayBuffer) throw new Error('exportTfjsGenerator: the model has no JSON topology');
  const data = a.weightData == null ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
  const [specs, weights] = quantizeWeights(a.weightSpecs ?? [], data, quantize);
  return {
    modelJson: {
      modelTopology: inferenceTopology(a.modelTopology),
      weightsManifest: [{ paths: [TFJS_EXPORT_WEIGHTS], weights: specs }],
      format: 'layers-model',
      generatedBy: a.generatedBy,
      convertedBy: `@acme/pix2pix exportTfjsGenerator (${quantize} weights)`,
    },
    weights,
  };
}
