/**
 * Validation of saved tfjs models and Trainer checkpoints before anything is built from them: the weights
 * manifest (names, shapes, dtypes, byte ranges against the weight data), the values (no NaN / Infinity,
 * no negative variances or second moments), and the tfjs-layers topology (unique layer names, every
 * `inbound_nodes` entry naming an existing layer and node, no cycles). tfjs-layers itself loops forever
 * on a dangling `inbound_nodes` entry and throws raw `TypeError`s on a malformed manifest; every problem
 * here is a {@link CheckpointError} that names the first tensor, layer or field at fault.
 * @internal
 */
import type * as tf from '@tensorflow/tfjs-core';
import { CHECKPOINT_FORMAT, CheckpointError } from './checkpoint.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const quote = (x: unknown): string => {
  try {
    const s = JSON.stringify(x);
    return s === undefined ? String(x) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(x);
  }
};

/** Bytes per element of the weight dtypes tfjs can decode. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** What {@link validateWeightSpecs} accepts. */
export interface WeightSpecRules {
  /** What is being read, for messages (e.g. `'checkpoint'`, `'model runs/x/model.json'`). */
  what: string;
  /** Allowed (unquantized) dtypes. */
  dtypes: readonly string[];
  /** Whether quantized weights (`quantization: { dtype: 'uint8' | 'uint16' | 'float16', ... }`) are allowed. */
  quantization: boolean;
}

/** Byte size of a spec already checked by {@link validateWeightSpecs}. */
function bytesOf(spec: tf.io.WeightsManifestEntry): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  return n * DTYPE_BYTES[spec.quantization ? spec.quantization.dtype : spec.dtype]!;
}

/**
 * Checks every weight spec (an object with a unique string `name`, a `shape` of non-negative integers, a
 * known `dtype`, a well-formed `quantization` if allowed) and that the specs, laid end to end, cover
 * exactly `byteLength` bytes. Throws {@link CheckpointError} naming the first bad tensor.
 */
export function validateWeightSpecs(specs: unknown, byteLength: number, rules: WeightSpecRules): tf.io.WeightsManifestEntry[] {
  const w = rules.what;
  if (!Array.isArray(specs)) throw new CheckpointError(`${w}: the weight specs are ${quote(specs)}, not a list`);
  const names = new Set<string>();
  let offset = 0;
  let firstOutside: string | undefined;
  specs.forEach((spec: unknown, i) => {
    if (!isObject(spec)) throw new CheckpointError(`${w}: weight spec ${i} is ${quote(spec)}, not an object`);
    const name = spec.name;
    if (typeof name !== 'string' || name.length === 0) throw new CheckpointError(`${w}: weight spec ${i} has no name (got ${quote(name)})`);
    const t = `${w}: tensor '${name}'`;
    if (names.has(name)) throw new CheckpointError(`${t} is listed twice in the weights manifest`);
    names.add(name);
    const shape = spec.shape;
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw new CheckpointError(`${t} has shape ${quote(shape)}, not a list of non-negative integers`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count)) throw new CheckpointError(`${t} has shape ${quote(shape)}: too many elements`);
    if (spec.quantization !== undefined) {
      const q = spec.quantization;
      if (!rules.quantization) throw new CheckpointError(`${t} is quantized (${quote(q)}); this format stores unquantized weights`);
      if (!isObject(q) || !['uint8', 'uint16', 'float16'].includes(q.dtype as string)) {
        throw new CheckpointError(`${t} has an invalid quantization ${quote(q)} (dtype must be 'uint8', 'uint16' or 'float16')`);
      }
      if (q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
        throw new CheckpointError(`${t} has quantization scale/min ${quote(q.scale)}/${quote(q.min)}, not finite numbers`);
      }
      if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new CheckpointError(`${t}: a quantized weight must have dtype float32 or int32 (got ${quote(spec.dtype)})`);
    } else if (typeof spec.dtype !== 'string' || !rules.dtypes.includes(spec.dtype)) {
      throw new CheckpointError(`${t} has dtype ${quote(spec.dtype)}; expected ${rules.dtypes.map((d) => `'${d}'`).join(' or ')}`);
    }
    const size = bytesOf(spec as unknown as tf.io.WeightsManifestEntry);
    if (offset + size > byteLength && firstOutside === undefined) firstOutside = `'${name}' needs bytes ${offset}..${offset + size}`;
    offset += size;
  });
  if (offset !== byteLength) {
    throw new CheckpointError(
      `${w} weight data is ${byteLength} bytes but its manifest describes ${offset} bytes (truncated or mismatched weights file)` +
        (firstOutside ? `; the first tensor past the end: ${firstOutside}` : ''),
    );
  }
  return specs as tf.io.WeightsManifestEntry[];
}

/** A value rule for {@link checkWeightValues}: tensors whose name matches must hold values >= 0. */
export type NonNegativeRule = (name: string) => boolean;

/** Tensors that must be >= 0 in any model: BatchNorm moving variances (a negative one gives NaN outputs). */
export const nonNegativeModelWeights: NonNegativeRule = (name) => /(^|\/)moving_variance(_\d+)?$/.test(name);

/**
 * Scans the float32 / float16 weights of validated specs for NaN and Infinity (and negative values where
 * `nonNegative` says so) without making tensors. Throws {@link CheckpointError} naming the first tensor.
 */
export function checkWeightValues(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer, what: string, nonNegative: NonNegativeRule): void {
  let offset = 0;
  for (const spec of specs) {
    const size = bytesOf(spec);
    const dtype = spec.quantization ? spec.quantization.dtype : spec.dtype;
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bad = (i: number, value: string, why: string): never => {
      throw new CheckpointError(`${what}: tensor '${spec.name}' (shape [${spec.shape.join(', ')}]) holds ${value} at element ${i}: ${why}; refusing to load it`);
    };
    if (dtype === 'float32') {
      const v = offset % 4 === 0 ? new Float32Array(data, offset, count) : new Float32Array(data.slice(offset, offset + size));
      const positive = nonNegative(spec.name);
      for (let i = 0; i < count; i++) {
        const x = v[i]!;
        if (x - x !== 0) bad(i, String(x), 'weights must be finite');
        if (positive && x < 0) bad(i, String(x), 'this tensor cannot be negative (a variance or second moment; swapped weights?)');
      }
    } else if (dtype === 'float16') {
      const v = new DataView(data, offset, size);
      for (let i = 0; i < count; i++) if ((v.getUint16(2 * i, true) & 0x7c00) === 0x7c00) bad(i, 'NaN or Infinity (float16)', 'weights must be finite');
    }
    offset += size;
  }
}

/** Layer classes that hold a nested model topology in their `config`. */
const NESTED = new Set(['Model', 'Functional', 'Sequential']);

/**
 * Checks a tfjs-layers model topology (`model.toJSON()` / `model.json`'s `modelTopology`) so that
 * tfjs-layers can rebuild it without hanging: every layer has a class name, a config and a unique name
 * (the same in `name` and `config.name`), every `inbound_nodes` entry is `[layerName, nodeIndex,
 * tensorIndex, kwargs?]` naming an existing layer and node, the input and output layers exist, and the
 * layer graph has no cycle. Nested models are checked the same way.
 *
 * @param topology - The topology JSON.
 * @param what - What it is, for messages (e.g. `"checkpoint's generator topology"`).
 * @param strictOutputs - When true, a layer that is not a nested model must be used through its only
 *   output (tensor index 0), as in every model this package builds.
 */
export function validateLayersTopology(topology: unknown, what: string, strictOutputs = false): void {
  const fail = (msg: string): never => {
    throw new CheckpointError(`${what}: ${msg}`);
  };
  if (!isObject(topology)) fail(`not an object (got ${quote(topology)})`);
  const t = topology as Record<string, unknown>;
  if (typeof t.class_name !== 'string') fail(`has no class_name (got ${quote(t.class_name)})`);
  const config = t.config;
  if (t.class_name === 'Sequential') {
    const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(layers)) return fail(`Sequential config has no layers list (got ${quote(config)})`);
    layers.forEach((l: unknown, i) => {
      if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) fail(`layer ${i} is ${quote(l)}, not {class_name, config}`);
      if (NESTED.has((l as Record<string, unknown>).class_name as string)) validateLayersTopology(l, `${what} > layer ${i}`, strictOutputs);
    });
    return;
  }
  if (!isObject(config) || !Array.isArray(config.layers)) return fail(`config has no layers list (got ${quote(config)})`);
  const layers = config.layers as unknown[];
  const byName = new Map<string, Record<string, unknown>>();
  layers.forEach((l, i) => {
    if (!isObject(l)) return fail(`layer ${i} is ${quote(l)}, not an object`);
    const name = l.name;
    if (typeof name !== 'string' || name.length === 0) return fail(`layer ${i} has no name (got ${quote(name)})`);
    if (typeof l.class_name !== 'string') fail(`layer '${name}' has no class_name (got ${quote(l.class_name)})`);
    if (!isObject(l.config)) fail(`layer '${name}' has no config object (got ${quote(l.config)})`);
    const cfgName = (l.config as Record<string, unknown>).name;
    if (cfgName !== undefined && cfgName !== name) fail(`layer ${i} is named '${name}' but its config names it ${quote(cfgName)} (a renamed layer)`);
    if (byName.has(name)) fail(`layer name '${name}' is used by two layers`);
    if (!Array.isArray(l.inbound_nodes)) fail(`layer '${name}' has inbound_nodes ${quote(l.inbound_nodes)}, not a list`);
    const shape = l.class_name === 'InputLayer' ? (l.config as Record<string, unknown>).batch_input_shape : undefined;
    if (shape !== undefined && (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 1)))) {
      fail(`input layer '${name}' has batch_input_shape ${quote(shape)}: every size must be null (any) or an integer >= 1`);
    }
    byName.set(name, l);
  });
  const nodeCount = (l: Record<string, unknown>) => (l.class_name === 'InputLayer' ? 1 : (l.inbound_nodes as unknown[]).length);
  const outputCount = (l: Record<string, unknown>) => {
    if (!NESTED.has(l.class_name as string)) return strictOutputs ? 1 : Infinity;
    const out = isObject(l.config) ? (l.config as Record<string, unknown>).output_layers : undefined;
    return Array.isArray(out) ? out.length : 1;
  };
  /** Checks one `[layerName, nodeIndex, tensorIndex, ...]` reference; returns its graph key. */
  const ref = (r: unknown, where: string): string => {
    if (!Array.isArray(r) || r.length < 3 || r.length > 4) return fail(`${where} is ${quote(r)}, not [layerName, nodeIndex, tensorIndex]`);
    const [name, node, tensor, kwargs] = r as unknown[];
    const target = typeof name === 'string' ? byName.get(name) : undefined;
    if (!target) return fail(`${where} names layer ${quote(name)}, which does not exist`);
    if (!isIndex(node) || node >= nodeCount(target)) return fail(`${where} uses node ${quote(node)} of layer '${name}', which has ${nodeCount(target)}`);
    if (!isIndex(tensor) || tensor >= outputCount(target)) return fail(`${where} uses output ${quote(tensor)} of layer '${name}', which does not exist`);
    if (kwargs !== undefined && kwargs !== null && !isObject(kwargs)) fail(`${where} has call arguments ${quote(kwargs)}, not an object`);
    return `${name as string}#${node}`;
  };
  // Graph of (layer, node) -> the (layer, node)s it consumes.
  const edges = new Map<string, string[]>();
  for (const [name, l] of byName) {
    if (l.class_name === 'InputLayer') edges.set(`${name}#0`, []);
    (l.inbound_nodes as unknown[]).forEach((node, k) => {
      const where = `layer '${name}' inbound node ${k}`;
      if (!Array.isArray(node) || node.length === 0) fail(`${where} is ${quote(node)}, not a non-empty list of inputs`);
      edges.set(`${name}#${k}`, (node as unknown[]).map((r, j) => ref(r, `${where} input ${j}`)));
    });
    if (NESTED.has(l.class_name as string)) validateLayersTopology(l, `${what} > layer '${name}'`, strictOutputs);
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const list = config[key];
    if (!Array.isArray(list) || list.length === 0) fail(`config.${key} is ${quote(list)}, not a non-empty list`);
    (list as unknown[]).forEach((r, i) => ref(r, `${key}[${i}]`));
  }
  // Cycle check (iterative depth-first search): tfjs-layers would wait forever for such a node's inputs.
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const stack: Array<[string, number]> = [[start, 0]];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const next = edges.get(top[0])![top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        stack.pop();
      } else if (state.get(next) === 1) {
        fail(`layer '${next.split('#')[0]}' depends on its own output (a cycle in inbound_nodes)`);
      } else if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
}

/** The parts of a Trainer checkpoint {@link validateCheckpointContents} checks. */
export interface CheckpointContentsToValidate {
  /** `modelTopology.generator`. */
  generator: unknown;
  /** `modelTopology.discriminator` (null when the run has none). */
  discriminator: unknown;
  /** `weightSpecs`. */
  specs: unknown;
  /** The joined weight data. */
  data: ArrayBuffer;
}

/** Checkpoint tensors that must be >= 0: moving variances and Adam's second moments and beta powers. */
const nonNegativeCheckpointTensor: NonNegativeRule = (name) =>
  nonNegativeModelWeights(name) || /^optimizer\/[^/]+\/(v\/\d+|acc_beta[12])$/.test(name);

/**
 * Everything {@link decodeCheckpoint} must know before tfjs sees a Trainer checkpoint: both topologies,
 * the float32 weights manifest against the data, and the values. Throws {@link CheckpointError}.
 */
export function validateCheckpointContents(c: CheckpointContentsToValidate): void {
  validateLayersTopology(c.generator, "checkpoint's generator topology", true);
  if (c.discriminator !== null) validateLayersTopology(c.discriminator, "checkpoint's discriminator topology", true);
  const specs = validateWeightSpecs(c.specs, c.data.byteLength, { what: 'checkpoint', dtypes: ['float32'], quantization: false });
  checkWeightValues(specs, c.data, 'checkpoint', nonNegativeCheckpointTensor);
}

/**
 * Checks the parsed `model.json` of a model folder before tfjs reads it: `weightsManifest` is a list of
 * `{ paths: [file names inside the folder], weights: [...] }` groups, and a tfjs-layers topology (or
 * each topology of a Trainer checkpoint, `format: CHECKPOINT_FORMAT`) passes {@link validateLayersTopology}.
 *
 * @param json - The parsed `model.json`.
 * @param file - Its path, for messages.
 */
export function validateModelJSON(json: unknown, file: string): void {
  if (!isObject(json)) throw new CheckpointError(`${file}: not a JSON object`);
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw new CheckpointError(`${file}: weightsManifest is ${quote(manifest)}, not a list of weight groups`);
  manifest.forEach((g: unknown, i) => {
    if (!isObject(g)) throw new CheckpointError(`${file}: weightsManifest[${i}] is ${quote(g)}, not {paths, weights}`);
    if (!Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw new CheckpointError(`${file}: weightsManifest[${i}].paths is ${quote(g.paths)}, not a list of file names`);
    }
    for (const p of g.paths as string[]) {
      if (/^([/\\]|[a-z]:)/i.test(p) || p.split(/[/\\]/).includes('..')) {
        throw new CheckpointError(`${file}: weightsManifest[${i}] names the weights file ${quote(p)}, outside the model folder`);
      }
    }
    if (!Array.isArray(g.weights)) throw new CheckpointError(`${file}: weightsManifest[${i}].weights is ${quote(g.weights)}, not a list`);
  });
  const topo = json.modelTopology;
  if (isObject(topo) && topo.format === CHECKPOINT_FORMAT) {
    validateLayersTopology(topo.generator, `${file}: generator topology`, true);
    if (topo.discriminator !== null && topo.discriminator !== undefined) validateLayersTopology(topo.discriminator, `${file}: discriminator topology`, true);
  } else if (isObject(topo) && 'class_name' in topo) {
    validateLayersTopology(topo, `${file}: modelTopology`);
  }
}

/**
 * The weight data of a plain model folder, after {@link validateWeightSpecs} and {@link checkWeightValues}
 * (a Trainer checkpoint's are left to `decodeCheckpoint`, which checks them for every IO handler).
 *
 * @param json - The parsed `model.json` (already through {@link validateModelJSON}).
 * @param specs - The manifest's weight specs, all groups in order.
 * @param data - The weight files, joined.
 * @param dir - The folder, for messages.
 * @returns `data`.
 */
export function checkedWeights(json: { modelTopology?: unknown }, specs: unknown, data: ArrayBuffer, dir: string): ArrayBuffer {
  const topo = json.modelTopology;
  if (isObject(topo) && topo.format === CHECKPOINT_FORMAT) return data; // decodeCheckpoint checks these
  const what = `model folder ${dir}`;
  const checked = validateWeightSpecs(specs, data.byteLength, { what, dtypes: Object.keys(DTYPE_BYTES), quantization: true });
  checkWeightValues(checked, data, what, nonNegativeModelWeights);
  return data;
}
