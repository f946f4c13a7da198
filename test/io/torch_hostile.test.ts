// Hostile and poisoned .pth files (issues #15 item 4 and #17): declared sizes are checked before any
// allocation or inflation, unused zip entries are never inflated, non-finite weights are refused by name.
// Files are built here byte by byte with the package's pickle emitter and fflate.
import { describe, expect, it } from 'vitest';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { readTorchStateDict } from '../../src/io/torch/read.js';
import { TorchFormatError } from '../../src/io/torch/errors.js';
import { PickleWriter } from '../../src/io/torch/pickle_writer.js';
import { writeTorchStateDict } from '../../src/io/torch/write.js';

/** One tensor 'w' of the given shape and stride over a float32 storage of `numel` elements (all 0.5). */
function stridedPth(shape: number[], stride: number[], numel = 1, extra: Zippable = {}): Uint8Array {
  const p = new PickleWriter().proto();
  p.global('collections', 'OrderedDict').emptyTuple().reduce();
  p.mark();
  p.str('w');
  p.global('torch._utils', '_rebuild_tensor_v2');
  p.mark();
  p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(numel).tuple().persId();
  p.int(0).intTuple(shape).intTuple(stride).false();
  p.global('collections', 'OrderedDict').emptyTuple().reduce();
  p.tuple().reduce();
  p.setItems();
  const data = new Float32Array(numel).fill(0.5);
  return zipSync({
    'archive/data.pkl': [p.finish(), { level: 0 }],
    'archive/data/0': [new Uint8Array(data.buffer), { level: 0 }],
    ...extra,
  });
}

/** Offset of the central-directory record of `name` in a zip. */
function centralRecord(zip: Uint8Array, name: string): number {
  const enc = new TextEncoder().encode(name);
  for (let i = zip.length - 46; i >= 0; i--) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 0x01 && zip[i + 3] === 0x02) {
      const n = zip[i + 28]! | (zip[i + 29]! << 8);
      if (n === enc.length && enc.every((b, k) => zip[i + 46 + k] === b)) return i;
    }
  }
  throw new Error(`no central record for ${name}`);
}

describe('hostile .pth files: bounded memory', () => {
  it('a stride-0 tensor declaring 2^30 elements over a 1-element storage is refused before allocating', () => {
    const bytes = stridedPth([2 ** 30], [0]);
    expect(() => readTorchStateDict(bytes)).toThrow(TorchFormatError);
    expect(() => readTorchStateDict(bytes)).toThrow(/tensor 'w' declares 1073741824 elements \(shape \[1073741824\], stride \[0\]\) but its storage '0' holds 1/);
  });

  it('a stride-0 tensor declaring 2^40 elements gives the same named error, not "Invalid typed array length"', () => {
    const bytes = stridedPth([2 ** 20, 2 ** 20], [0, 0]);
    expect(() => readTorchStateDict(bytes)).toThrow(/tensor 'w' declares 1099511627776 elements .* holds 1/);
  });

  it('a legitimate strided (transposed) view is still read', () => {
    const sd = readTorchStateDict(stridedPth([2, 3], [1, 2], 6));
    expect(sd.get('w')!.shape).toEqual([2, 3]);
    expect([...sd.get('w')!.data]).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('an unused entry claiming 3 GiB (and not even valid deflate data) is never inflated', () => {
    const zip = stridedPth([1], [1], 1, { 'archive/unused.bin': [new Uint8Array(4096), { level: 6 }] });
    // Replace the unused entry's data with the junk and declare 3 GiB in its central record.
    const files = unzipSync(zip);
    expect(Object.keys(files)).toContain('archive/unused.bin');
    const rec = centralRecord(zip, 'archive/unused.bin');
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    view.setUint32(rec + 24, 3 * 2 ** 30, true);
    const local = view.getUint32(rec + 42, true);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    zip[dataStart] = 0xff; // invalid deflate block type: inflating this entry would fail
    const sd = readTorchStateDict(zip);
    expect([...sd.keys()]).toEqual(['w']);
    expect([...sd.get('w')!.data]).toEqual([0.5]);
  });

  it('a referenced storage entry whose declared size is not what the pickle describes is refused before inflating', () => {
    const zip = stridedPth([1], [1], 1);
    const rec = centralRecord(zip, 'archive/data/0');
    new DataView(zip.buffer, zip.byteOffset).setUint32(rec + 24, 3 * 2 ** 30, true);
    expect(() => readTorchStateDict(zip)).toThrow(/storage archive\/data\/0 has 3221225472 bytes, needs 4/);
  });
});

describe('poisoned .pth files: non-finite weights', () => {
  for (const [what, value] of [['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
    it(`a float32 tensor holding ${what} is refused, naming the tensor`, () => {
      const bytes = writeTorchStateDict([
        ['model.0.weight', { shape: [2], data: [1, 2] }],
        ['model.0.bias', { shape: [3], data: [0, value, 1] }],
      ]);
      expect(() => readTorchStateDict(bytes)).toThrow(TorchFormatError);
      expect(() => readTorchStateDict(bytes)).toThrow(new RegExp(`tensor 'model\\.0\\.bias' \\(shape \\[3\\], float32\\) holds a non-finite value \\(${what} at element 1\\)`));
    });
  }

  it('a float16 tensor that overflows to Infinity is refused too', () => {
    const bytes = writeTorchStateDict([['w', { shape: [2], dtype: 'float16', data: [1, 1e6] }]]);
    expect(() => readTorchStateDict(bytes)).toThrow(/tensor 'w' \(shape \[2\], float16\) holds a non-finite value \(Infinity at element 1\)/);
  });
});
