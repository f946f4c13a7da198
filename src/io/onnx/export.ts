/**
 * Generator export to ONNX: walks a tfjs-layers generator (U-Net, encoder-decoder, ResNet; batch, instance
 * or no norm) and writes the equivalent ONNX graph (opset {@link ONNX_OPSET}). The graph takes and returns
 * NHWC float32 images like the tfjs model (a Transpose at each end; NCHW inside), with symbolic batch,
 * height and width. Inference graph: dropout is the identity, batch norm uses the moving statistics.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkKeys } from '../../util/validate.js';
import { encodeOnnxModel, ONNX_ATTR, ONNX_DTYPE, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './proto.js';

/** The ONNX opset the exporter targets (ONNX 1.8+, every ONNX Runtime since 1.6). */
export const ONNX_OPSET = 13;
/** ONNX IR version written (IR 7 goes with opset 13). */
export const ONNX_IR_VERSION = 7;
/** Names of the exported graph's input and output (NHWC float32 in [-1, 1]). */
export const ONNX_IO_NAMES: {
  /** Name of the graph's image input. */
  readonly input: 'input';
  /** Name of the graph's image output. */
  readonly output: 'output';
} = { input: 'input', output: 'output' };

/** Options of {@link exportOnnxGenerator}. */
export interface ExportOnnxOptions {
  /** Graph name. Default: the model's name. */
  graphName?: string;
}

const EXPORT_ONNX_KEYS = ['graphName'] as const;

interface Ctx {
  nodes: OnnxNode[];
  inits: OnnxTensor[];
  /** Output name of a layer (dropout layers alias their input). */
  names: Map<string, string>;
}

const f32Bytes = (v: Float32Array) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
const ints = (name: string, v: number[]): OnnxAttribute => ({ name, type: ONNX_ATTR.INTS, ints: v });
const float = (name: string, f: number): OnnxAttribute => ({ name, type: ONNX_ATTR.FLOAT, f });
const str = (name: string, s: string): OnnxAttribute => ({ name, type: ONNX_ATTR.STRING, s: new TextEncoder().encode(s) });

function init(ctx: Ctx, name: string, dims: number[], values: Float32Array): string {
  ctx.inits.push({ name, dims, dataType: ONNX_DTYPE.FLOAT, rawData: f32Bytes(values) });
  return name;
}

/** An int64 vector initializer (the shape-like inputs of Pad and Slice). */
function initInts(ctx: Ctx, name: string, values: number[]): string {
  const v = BigInt64Array.from(values, (x) => BigInt(x));
  ctx.inits.push({ name, dims: [values.length], dataType: ONNX_DTYPE.INT64, rawData: new Uint8Array(v.buffer) });
  return name;
}

/** An ONNX `Pad` of the NCHW tensor's height and width by `[top, bottom, left, right]` in `mode`. */
function pad(ctx: Ctx, layer: tfl.layers.Layer, input: string, [t, b, l, r]: number[], mode: 'constant' | 'reflect' | 'edge'): string {
  const pads = initInts(ctx, `${layer.name}/pads`, [0, 0, t!, l!, 0, 0, b!, r!]);
  ctx.nodes.push({ name: layer.name, opType: 'Pad', input: [input, pads], output: [layer.name], attribute: [str('mode', mode)] });
  return layer.name;
}

/** tfjs' `zeroPadding2d` config (a number, `[h, w]` or `[[top, bottom], [left, right]]`) as `[top, bottom, left, right]`. */
function zeroPads(padding: unknown): number[] {
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  const [h, w] = padding as Array<number | number[]>;
  const pair = (v: number | number[] | undefined) => (Array.isArray(v) ? v : [v!, v!]);
  return [...pair(h), ...pair(w)];
}

/** A layer weight's values by its short name (`kernel`, `bias`, `gamma`, `moving_mean`, ...). */
function weight(layer: tfl.layers.Layer, short: string): { values: Float32Array; shape: number[] } | null {
  const w = layer.weights.find((v) => v.originalName.split('/').pop() === short || v.name.split('/').pop()?.replace(/_\d+$/, '') === short);
  if (!w) return null;
  return { values: w.read().dataSync() as Float32Array, shape: w.shape as number[] };
}

/** Permutes a `[kh, kw, a, b]` kernel to `[b, a, kh, kw]` (tfjs HWIO -> ONNX OIHW; HWOI -> IOHW for transposed). */
function permuteKernel(k: { values: Float32Array; shape: number[] }): { values: Float32Array; dims: number[] } {
  const [kh, kw, a, b] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.values.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < a; i++) for (let o = 0; o < b; o++) {
    out[((o * a + i) * kh + y) * kw + x] = k.values[((y * kw + x) * a + i) * b + o]!;
  }
  return { values: out, dims: [b, a, kh, kw] };
}

const ACTIVATIONS: Record<string, string | null> = { linear: null, tanh: 'Tanh', relu: 'Relu', sigmoid: 'Sigmoid' };

function activation(ctx: Ctx, layer: tfl.layers.Layer, input: string, kind: string): string {
  if (!(kind in ACTIVATIONS)) throw new Error(`exportOnnxGenerator: layer ${layer.name}: activation '${kind}' is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  const op = ACTIVATIONS[kind];
  if (op === null || op === undefined) return input;
  const out = `${layer.name}/${kind}`;
  ctx.nodes.push({ name: out, opType: op, input: [input], output: [out] });
  return out;
}

type Handler = (ctx: Ctx, layer: tfl.layers.Layer, inputs: string[]) => string;
type Cfg = Record<string, unknown>;

function conv(ctx: Ctx, layer: tfl.layers.Layer, inputs: string[], transposed: boolean): string {
  const c = layer.getConfig() as Cfg;
  const [kh, kw] = c.kernelSize as number[];
  const [sh, sw] = c.strides as number[];
  const dil = (c.dilationRate as number[] | undefined) ?? [1, 1];
  if (dil.some((d) => d !== 1)) throw new Error(`exportOnnxGenerator: layer ${layer.name}: dilated convolutions are not supported`);
  const k = permuteKernel(weight(layer, 'kernel')!);
  const ins = [inputs[0]!, init(ctx, `${layer.name}/W`, k.dims, k.values)];
  const bias = c.useBias ? weight(layer, 'bias') : null;
  if (bias) ins.push(init(ctx, `${layer.name}/B`, [bias.values.length], bias.values));
  const attrs = [ints('kernel_shape', [kh!, kw!]), ints('strides', [sh!, sw!])];
  if (!transposed) {
    attrs.push(str('auto_pad', c.padding === 'same' ? 'SAME_UPPER' : 'VALID'));
  } else if (c.padding === 'same') {
    // tfjs 'same' transposed conv: output = input * stride, crop total max(k - s, 0), the smaller half first.
    const th = Math.max(kh! - sh!, 0);
    const tw = Math.max(kw! - sw!, 0);
    attrs.push(ints('pads', [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)]));
  } else {
    // tfjs 'valid' transposed conv: output = (input - 1) * stride + max(k, stride).
    attrs.push(ints('output_padding', [Math.max(sh! - kh!, 0), Math.max(sw! - kw!, 0)]));
  }
  ctx.nodes.push({ name: layer.name, opType: transposed ? 'ConvTranspose' : 'Conv', input: ins, output: [layer.name], attribute: attrs });
  return activation(ctx, layer, layer.name, String(c.activation ?? 'linear'));
}

const HANDLERS: Record<string, Handler> = {
  Conv2D: (ctx, l, i) => conv(ctx, l, i, false),
  Conv2DTranspose: (ctx, l, i) => conv(ctx, l, i, true),
  BatchNormalization: (ctx, l, i) => {
    const c = l.getConfig() as Cfg;
    const mean = weight(l, 'moving_mean')!.values;
    const n = mean.length;
    const gamma = weight(l, 'gamma')?.values ?? new Float32Array(n).fill(1);
    const beta = weight(l, 'beta')?.values ?? new Float32Array(n);
    const ins = [
      i[0]!,
      init(ctx, `${l.name}/scale`, [n], gamma),
      init(ctx, `${l.name}/B`, [n], beta),
      init(ctx, `${l.name}/mean`, [n], mean),
      init(ctx, `${l.name}/var`, [n], weight(l, 'moving_variance')!.values),
    ];
    ctx.nodes.push({ name: l.name, opType: 'BatchNormalization', input: ins, output: [l.name], attribute: [float('epsilon', c.epsilon as number)] });
    return l.name;
  },
  InstanceNormalization: (ctx, l, i) => {
    const c = l.getConfig() as Cfg;
    const shapes = l.inboundNodes[0]!.inputShapes as unknown as Array<number | null> | Array<Array<number | null>>;
    const shape = (Array.isArray(shapes[0]) ? shapes[0] : shapes) as Array<number | null>;
    const n = shape[shape.length - 1];
    if (typeof n !== 'number') throw new Error(`exportOnnxGenerator: layer ${l.name}: unknown channel count`);
    const ins = [i[0]!, init(ctx, `${l.name}/scale`, [n], new Float32Array(n).fill(1)), init(ctx, `${l.name}/B`, [n], new Float32Array(n))];
    ctx.nodes.push({ name: l.name, opType: 'InstanceNormalization', input: ins, output: [l.name], attribute: [float('epsilon', c.epsilon as number)] });
    return l.name;
  },
  LeakyReLU: (ctx, l, i) => {
    ctx.nodes.push({ name: l.name, opType: 'LeakyRelu', input: [i[0]!], output: [l.name], attribute: [float('alpha', (l.getConfig() as Cfg).alpha as number)] });
    return l.name;
  },
  ReLU: (ctx, l, i) => {
    if ((l.getConfig() as Cfg).maxValue != null) throw new Error(`exportOnnxGenerator: layer ${l.name}: ReLU with maxValue is not supported`);
    ctx.nodes.push({ name: l.name, opType: 'Relu', input: [i[0]!], output: [l.name] });
    return l.name;
  },
  Activation: (ctx, l, i) => activation(ctx, l, i[0]!, String((l.getConfig() as Cfg).activation)),
  Concatenate: (ctx, l, i) => {
    const axis = (l.getConfig() as Cfg).axis as number;
    if (axis !== -1 && axis !== 3) throw new Error(`exportOnnxGenerator: layer ${l.name}: only channel concatenation is supported (axis ${axis})`);
    ctx.nodes.push({ name: l.name, opType: 'Concat', input: i, output: [l.name], attribute: [{ name: 'axis', type: ONNX_ATTR.INT, i: 1 }] });
    return l.name;
  },
  Add: (ctx, l, i) => {
    // tfjs' add layer sums any number of inputs: a chain of binary Adds.
    let acc = i[0]!;
    for (const [k, next] of i.slice(1).entries()) {
      const out = k === i.length - 2 ? l.name : `${l.name}/${k}`;
      ctx.nodes.push({ name: out, opType: 'Add', input: [acc, next], output: [out] });
      acc = out;
    }
    return acc;
  },
  // The ResNet generator's spatial layers (NCHW inside the graph: height is axis 2, width axis 3).
  ZeroPadding2D: (ctx, l, i) => {
    const c = l.getConfig() as Cfg;
    if (c.dataFormat === 'channelsFirst') throw new Error(`exportOnnxGenerator: layer ${l.name}: channelsFirst padding is not supported`);
    return pad(ctx, l, i[0]!, zeroPads(c.padding), 'constant');
  },
  ReflectionPadding2D: (ctx, l, i) => {
    const p = (l as unknown as { padding: number }).padding;
    return pad(ctx, l, i[0]!, [p, p, p, p], 'reflect');
  },
  ReplicationPadding2D: (ctx, l, i) => {
    const p = (l as unknown as { padding: number }).padding;
    return pad(ctx, l, i[0]!, [p, p, p, p], 'edge');
  },
  LeadingCrop2D: (ctx, l, i) => {
    const crop = (l as unknown as { crop: number }).crop;
    const ins = [i[0]!, initInts(ctx, `${l.name}/starts`, [crop, crop]), initInts(ctx, `${l.name}/ends`, [2 ** 31 - 1, 2 ** 31 - 1]), initInts(ctx, `${l.name}/axes`, [2, 3])];
    ctx.nodes.push({ name: l.name, opType: 'Slice', input: ins, output: [l.name] });
    return l.name;
  },
  // Identity at inference time (the size check too: the graph keeps symbolic sizes, and the callers pad).
  SeededDropout: (_ctx, _l, i) => i[0]!,
  Dropout: (_ctx, _l, i) => i[0]!,
  SpatialSizeCheck: (_ctx, _l, i) => i[0]!,
};

/** Layer classes {@link exportOnnxGenerator} can translate. */
export const ONNX_SUPPORTED_LAYERS: readonly string[] = ['InputLayer', ...Object.keys(HANDLERS)];

/**
 * Exports a generator as an ONNX model (opset {@link ONNX_OPSET}): input `'input'` and output
 * `'output'`, both NHWC float32 `[N, H, W, C]` in [-1, 1] with symbolic `N`, `H`, `W` (the same layout as
 * the tfjs model; the graph transposes to NCHW inside). Inference mode: dropout (and the generators' size check) is dropped,
 * batch norm uses the moving statistics. Runs in ONNX Runtime (web, Node, Python, C++, mobile) and engines that
 * take ONNX.
 *
 * @example
 * ```ts
 * import { exportOnnxGenerator, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * const onnx: Uint8Array = exportOnnxGenerator(G); // a .onnx file: NHWC float32 'input' -> 'output'
 * ```
 * @param generator - A generator built from this package's layers (see {@link ONNX_SUPPORTED_LAYERS}).
 * @param options - See {@link ExportOnnxOptions}.
 * @returns The `.onnx` file's bytes.
 * @throws Error naming the first layer the exporter cannot translate, or a non-finite weight.
 */
export function exportOnnxGenerator(generator: tfl.LayersModel, options: ExportOnnxOptions = {}): Uint8Array {
  checkKeys(options, EXPORT_ONNX_KEYS, 'exportOnnxGenerator');
  if (generator.inputs.length !== 1 || generator.outputs.length !== 1) throw new Error('exportOnnxGenerator: expected one input and one output');
  const ctx: Ctx = { nodes: [], inits: [], names: new Map() };
  const inC = generator.inputs[0]!.shape[3];
  const outC = generator.outputs[0]!.shape[3];
  for (const layer of generator.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') {
      const nchw = `${layer.name}/nchw`;
      ctx.nodes.push({ name: 'input_to_nchw', opType: 'Transpose', input: [ONNX_IO_NAMES.input], output: [nchw], attribute: [ints('perm', [0, 3, 1, 2])] });
      ctx.names.set(layer.name, nchw);
      continue;
    }
    const handler = HANDLERS[cls];
    if (!handler) throw new Error(`exportOnnxGenerator: layer ${layer.name} of class ${cls} is not supported (supported: ${ONNX_SUPPORTED_LAYERS.join(', ')})`);
    if (layer.inboundNodes.length !== 1) throw new Error(`exportOnnxGenerator: layer ${layer.name} is used ${layer.inboundNodes.length} times; shared layers are not supported`);
    const inputs = layer.inboundNodes[0]!.inboundLayers.map((l) => ctx.names.get(l.name) ?? l.name);
    ctx.names.set(layer.name, handler(ctx, layer, inputs));
  }
  for (const t of ctx.inits) {
    if (t.dataType !== ONNX_DTYPE.FLOAT) continue;
    const v = new Float32Array(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength / 4);
    for (const x of v) if (!Number.isFinite(x)) throw new Error(`exportOnnxGenerator: ${t.name} holds a non-finite value (${x}); refusing to export it`);
  }
  const last = generator.outputs[0]!.sourceLayer.name;
  ctx.nodes.push({ name: 'output_to_nhwc', opType: 'Transpose', input: [ctx.names.get(last)!], output: [ONNX_IO_NAMES.output], attribute: [ints('perm', [0, 2, 3, 1])] });
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: '@acme/pix2pix',
    producerVersion: '0.1.0',
    docString: 'pix2pix generator: NHWC float32 images in [-1, 1] in and out',
    graphName: options.graphName ?? generator.name,
    nodes: ctx.nodes,
    initializers: ctx.inits,
    inputs: [{ name: ONNX_IO_NAMES.input, dims: ['N', 'H', 'W', inC ?? 'C'] }],
    outputs: [{ name: ONNX_IO_NAMES.output, dims: ['N', 'H', 'W', outC ?? 'C_out'] }],
  });
}
