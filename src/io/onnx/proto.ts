/**
 * The few ONNX protobuf messages the exporter writes (ModelProto, GraphProto, NodeProto, TensorProto,
 * ...), declared as one table from the public `onnx.proto` field numbers, and a small protobuf wire-format
 * writer and reader driven by that table. Only what a feed-forward float32 graph needs.
 *
 * No protobuf library: a runtime such as protobufjs is CommonJS with import-time work, so no bundler can
 * drop it from an app that never exports ONNX (it was ~106 KB of every browser bundle of this package).
 * The wire format needed here is four encodings (varint, 32-bit, length-delimited, tags; protobuf's
 * "Encoding" guide), and the ONNX tests check the bytes by running them in ONNX Runtime.
 */

/** ONNX `TensorProto.DataType` values used here. */
export const ONNX_DTYPE = { FLOAT: 1, INT64: 7 } as const;
/** ONNX `AttributeProto.AttributeType` values used here. */
export const ONNX_ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

type Scalar = 'string' | 'bytes' | 'float' | 'int64' | 'int32';
type MessageName =
  | 'AttributeProto'
  | 'TensorProto'
  | 'NodeProto'
  | 'Dimension'
  | 'TensorShapeProto'
  | 'TensorTypeProto'
  | 'TypeProto'
  | 'ValueInfoProto'
  | 'GraphProto'
  | 'OperatorSetIdProto'
  | 'ModelProto';
/** A field: its number in onnx.proto, its type (a scalar or another message here) and whether it repeats. */
interface FieldSpec {
  id: number;
  type: Scalar | MessageName;
  repeated?: true;
}

/** The messages and fields written, by onnx.proto's field numbers (proto2: repeated scalars unpacked). */
const SCHEMA: Record<MessageName, Record<string, FieldSpec>> = {
  AttributeProto: {
    name: { id: 1, type: 'string' },
    f: { id: 2, type: 'float' },
    i: { id: 3, type: 'int64' },
    s: { id: 4, type: 'bytes' },
    floats: { id: 7, type: 'float', repeated: true },
    ints: { id: 8, type: 'int64', repeated: true },
    type: { id: 20, type: 'int32' },
  },
  TensorProto: {
    dims: { id: 1, type: 'int64', repeated: true },
    dataType: { id: 2, type: 'int32' },
    name: { id: 8, type: 'string' },
    rawData: { id: 9, type: 'bytes' },
  },
  NodeProto: {
    input: { id: 1, type: 'string', repeated: true },
    output: { id: 2, type: 'string', repeated: true },
    name: { id: 3, type: 'string' },
    opType: { id: 4, type: 'string' },
    attribute: { id: 5, type: 'AttributeProto', repeated: true },
    domain: { id: 7, type: 'string' },
  },
  /** `TensorShapeProto.Dimension`: a oneof of `dimValue` and `dimParam` (set one). */
  Dimension: { dimValue: { id: 1, type: 'int64' }, dimParam: { id: 2, type: 'string' } },
  TensorShapeProto: { dim: { id: 1, type: 'Dimension', repeated: true } },
  TensorTypeProto: { elemType: { id: 1, type: 'int32' }, shape: { id: 2, type: 'TensorShapeProto' } },
  TypeProto: { tensorType: { id: 1, type: 'TensorTypeProto' } },
  ValueInfoProto: { name: { id: 1, type: 'string' }, type: { id: 2, type: 'TypeProto' } },
  GraphProto: {
    node: { id: 1, type: 'NodeProto', repeated: true },
    name: { id: 2, type: 'string' },
    initializer: { id: 5, type: 'TensorProto', repeated: true },
    docString: { id: 10, type: 'string' },
    input: { id: 11, type: 'ValueInfoProto', repeated: true },
    output: { id: 12, type: 'ValueInfoProto', repeated: true },
  },
  OperatorSetIdProto: { domain: { id: 1, type: 'string' }, version: { id: 2, type: 'int64' } },
  ModelProto: {
    irVersion: { id: 1, type: 'int64' },
    producerName: { id: 2, type: 'string' },
    producerVersion: { id: 3, type: 'string' },
    docString: { id: 6, type: 'string' },
    graph: { id: 7, type: 'GraphProto' },
    opsetImport: { id: 8, type: 'OperatorSetIdProto', repeated: true },
  },
};

/** Protobuf wire types. */
const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
const wireOf = (type: FieldSpec['type']): number =>
  type === 'int64' || type === 'int32' ? WIRE.VARINT : type === 'float' ? WIRE.I32 : WIRE.LEN;

/** Varint bytes of a non-negative integer below 2^53 (lengths, tags). */
function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** Varint bytes of an int32/int64 value: negative values as 64-bit two's complement (10 bytes), as protobuf does. */
function signedVarint(v: number): Uint8Array {
  if (!Number.isSafeInteger(v)) throw new Error(`ONNX encoder: integer field value must be a safe integer (got ${v})`);
  if (v >= 0) return varint(v);
  let u = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return Uint8Array.from(out);
}

const utf8 = new TextEncoder();

/** Appends one message's encoding to `parts` (no copy of large byte fields); returns its length in bytes. */
function encodeInto(name: MessageName, message: Record<string, unknown>, parts: Uint8Array[]): number {
  const fields = Object.entries(SCHEMA[name]).sort((a, b) => a[1].id - b[1].id);
  let length = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    length += b.length;
  };
  for (const [key, spec] of fields) {
    const value = message[key];
    if (value === undefined || value === null) continue;
    for (const v of spec.repeated ? (value as unknown[]) : [value]) {
      push(varint(spec.id * 8 + wireOf(spec.type)));
      if (spec.type === 'int64' || spec.type === 'int32') push(signedVarint(v as number));
      else if (spec.type === 'float') {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setFloat32(0, v as number, true);
        push(b);
      } else if (spec.type === 'string' || spec.type === 'bytes') {
        const b = spec.type === 'string' ? utf8.encode(v as string) : (v as Uint8Array);
        push(varint(b.length));
        push(b);
      } else {
        // A nested message: its length prefix goes before its parts, known only once they are encoded.
        const at = parts.length;
        parts.push(new Uint8Array(0));
        const sub = encodeInto(spec.type, v as Record<string, unknown>, parts);
        parts[at] = varint(sub);
        length += parts[at]!.length + sub;
      }
    }
  }
  return length;
}

/** Reads one message of type `name` from `bytes[start, end)` into a plain object (repeated fields as arrays). */
function decodeFrom(name: MessageName, bytes: Uint8Array, start: number, end: number): Record<string, unknown> {
  const byId = new Map(Object.entries(SCHEMA[name]).map(([k, s]) => [s.id, [k, s] as const]));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, unknown> = {};
  let pos = start;
  const readVarint = (): bigint => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= end) throw new Error(`ONNX decoder: truncated varint in ${name}`);
      const b = bytes[pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (pos < end) {
    const tag = Number(readVarint());
    const wire = tag & 7;
    const field = byId.get(tag >>> 3);
    const len = wire === WIRE.LEN ? Number(readVarint()) : wire === WIRE.I32 ? 4 : wire === WIRE.I64 ? 8 : 0;
    if (wire === WIRE.VARINT && !field) readVarint();
    const from = pos;
    if (wire !== WIRE.VARINT) pos += len;
    if (pos > end) throw new Error(`ONNX decoder: field ${tag >>> 3} of ${name} runs past the end`);
    if (!field) continue;
    const [key, spec] = field;
    const values: unknown[] = [];
    if (spec.type === 'int64' || spec.type === 'int32' || spec.type === 'float') {
      // A scalar, or (packed) a run of them inside one length-delimited field.
      const stop = wire === WIRE.LEN ? pos : -1;
      if (wire === WIRE.LEN) pos = from;
      do {
        if (spec.type === 'float') values.push(view.getFloat32((pos += 4) - 4, true));
        else values.push(Number(BigInt.asIntN(64, readVarint())));
      } while (pos < stop);
      if (wire === WIRE.LEN) pos = stop;
    } else if (spec.type === 'string') values.push(new TextDecoder().decode(bytes.subarray(from, pos)));
    else if (spec.type === 'bytes') values.push(Array.from(bytes.subarray(from, pos)));
    else values.push(decodeFrom(spec.type, bytes, from, pos));
    if (spec.repeated) out[key] = [...((out[key] as unknown[] | undefined) ?? []), ...values];
    else out[key] = values[values.length - 1];
  }
  return out;
}

/** An ONNX attribute, as the encoder takes it. */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}
/** An ONNX node. */
export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute?: OnnxAttribute[];
}
/** An ONNX initializer (float32 or int64 data as little-endian bytes). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}
/** A graph input or output: float32 with fixed (number) or symbolic (string) dimensions. */
export interface OnnxValueInfo {
  name: string;
  dims: Array<number | string>;
}
/** What {@link encodeOnnxModel} writes. */
export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  graphName: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

const valueInfo = (v: OnnxValueInfo) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: ONNX_DTYPE.FLOAT,
      shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** Encodes a model as ONNX protobuf bytes (a `.onnx` file). */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const parts: Uint8Array[] = [];
  const length = encodeInto('ModelProto', {
    irVersion: m.irVersion,
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    docString: m.docString,
    opsetImport: [{ domain: '', version: m.opset }],
    graph: {
      name: m.graphName,
      node: m.nodes,
      initializer: m.initializers,
      input: m.inputs.map(valueInfo),
      output: m.outputs.map(valueInfo),
    },
  }, parts);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes `.onnx` bytes into a plain object: the fields above, int64 as numbers, bytes as arrays (for tests). @internal */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  return decodeFrom('ModelProto', bytes, 0, bytes.length);
}
