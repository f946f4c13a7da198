// The ONNX wire-format writer and reader (src/io/onnx/proto.ts) against bytes worked out by hand from
// protobuf's encoding rules (tags = field number * 8 + wire type, varints, 64-bit two's complement for
// negative integers) and onnx.proto's field numbers. The exporter's end-to-end check is export_onnx.test.ts
// (ONNX Runtime runs the bytes).
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, encodeOnnxModel, ONNX_ATTR } from '../../src/io/onnx/proto.js';

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

describe('ONNX protobuf encoding', () => {
  const model = {
    irVersion: 7,
    opset: 13,
    producerName: 'p',
    producerVersion: '',
    docString: '',
    graphName: 'g',
    nodes: [{ input: ['x'], output: ['y'], name: 'n', opType: 'Concat', attribute: [{ name: 'axis', type: ONNX_ATTR.INT, i: -1 }] }],
    initializers: [],
    inputs: [],
    outputs: [],
  };

  it('writes a small model byte for byte', () => {
    // AttributeProto: name(1) "axis", i(3) = -1 as a 10-byte varint, type(20) = 2 (tag 160 = a0 01).
    const attr = [0x0a, 4, ...ascii('axis'), 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xa0, 0x01, 0x02];
    const node = [0x0a, 1, ...ascii('x'), 0x12, 1, ...ascii('y'), 0x1a, 1, ...ascii('n'), 0x22, 6, ...ascii('Concat'), 0x2a, attr.length, ...attr];
    const graph = [0x0a, node.length, ...node, 0x12, 1, ...ascii('g')];
    const want = [0x08, 7, 0x12, 1, ...ascii('p'), 0x1a, 0, 0x32, 0, 0x3a, graph.length, ...graph, 0x42, 4, 0x0a, 0, 0x10, 13];
    expect(attr.length).toBe(20);
    expect(Array.from(encodeOnnxModel(model))).toEqual(want);
  });

  it('reads back what it writes, negative integers included', () => {
    const m = decodeOnnxModel(encodeOnnxModel(model)) as { irVersion: number; graph: { name: string; node: Array<{ opType: string; attribute: Array<{ i: number; type: number }> }> }; opsetImport: Array<{ version: number }> };
    expect(m.irVersion).toBe(7);
    expect(m.graph.name).toBe('g');
    expect(m.graph.node[0]!.opType).toBe('Concat');
    expect(m.graph.node[0]!.attribute[0]).toMatchObject({ i: -1, type: ONNX_ATTR.INT });
    expect(m.opsetImport[0]!.version).toBe(13);
  });

  it('reads packed repeated scalars too (other writers pack them)', () => {
    // ModelProto.graph(7) { initializer(5) { dims(1) packed [3, 300] } }: 300 = ac 02.
    const bytes = Uint8Array.from([0x3a, 7, 0x2a, 5, 0x0a, 3, 3, 0xac, 0x02]);
    const m = decodeOnnxModel(bytes) as { graph: { initializer: Array<{ dims: number[] }> } };
    expect(m.graph.initializer[0]!.dims).toEqual([3, 300]);
  });

  it('refuses truncated input, naming the message', () => {
    expect(() => decodeOnnxModel(Uint8Array.from([0x3a, 9, 0x2a]))).toThrow(/ModelProto/);
  });
});
