// The .pth container formats on their own: writer/reader round trip, float16 conversion, hostile and
// broken files. Model mapping and numerics against PyTorch are in torch_import.test.ts.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { readTorchStateDict } from '../../src/io/torch/read.js';
import { writeTorchStateDict } from '../../src/io/torch/write.js';
import { floatToHalf, halfToFloat } from '../../src/io/torch/dtypes.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'torch');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

describe('float16 conversion', () => {
  it('decodes known half bit patterns', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x0400)).toBe(2 ** -14);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(halfToFloat(0x7e00)).toBeNaN();
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
  });

  it('encodes every finite half exactly back to its bits', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN payloads
      if (floatToHalf(halfToFloat(h)) !== h) throw new Error(`0x${h.toString(16)} -> ${halfToFloat(h)} -> 0x${floatToHalf(halfToFloat(h)).toString(16)}`);
    }
  });

  it('rounds to nearest even and overflows to infinity', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even (down)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(floatToHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -25 + 2 ** -30)).toBe(0x0001);
    expect(floatToHalf(2 ** -26)).toBe(0x0000);
  });
});

describe('writeTorchStateDict / readTorchStateDict', () => {
  it('round-trips float32, float16, int64 and scalars in order', () => {
    const w = Float32Array.from({ length: 24 }, (_, i) => (i - 12) / 7);
    const bytes = writeTorchStateDict([
      ['a.weight', { shape: [2, 3, 2, 2], data: w }],
      ['a.bias', { shape: [2], data: [0.5, -1.25], dtype: 'float16' }],
      ['bn.num_batches_tracked', { shape: [], data: BigInt64Array.of(123456789012n) }],
      ['empty', { shape: [0, 3], data: new Float32Array(0) }],
    ]);
    const sd = readTorchStateDict(bytes);
    expect([...sd.keys()]).toEqual(['a.weight', 'a.bias', 'bn.num_batches_tracked', 'empty']);
    expect(sd.get('a.weight')).toEqual({ shape: [2, 3, 2, 2], dtype: 'float32', data: w });
    expect(sd.get('a.bias')).toEqual({ shape: [2], dtype: 'float16', data: Float32Array.of(0.5, -1.25) });
    expect(sd.get('bn.num_batches_tracked')).toEqual({ shape: [], dtype: 'int64', data: BigInt64Array.of(123456789012n) });
    expect(sd.get('empty')!.shape).toEqual([0, 3]);
  });

  it('writes the zip layout torch.load expects: one top folder, data.pkl, data/<key>, version', () => {
    const bytes = writeTorchStateDict([['x', { shape: [3], data: [1, 2, 3] }]], { archiveName: 'latest_net_G' });
    const files = unzipSync(bytes);
    expect(Object.keys(files).sort()).toEqual(['latest_net_G/byteorder', 'latest_net_G/data.pkl', 'latest_net_G/data/0', 'latest_net_G/version']);
    expect(new TextDecoder().decode(files['latest_net_G/version'])).toBe('3\n');
    expect([...new Float32Array(files['latest_net_G/data/0']!.slice().buffer)]).toEqual([1, 2, 3]);
    // Byte for byte as ISO-8859-1 (TextDecoder's 'latin1' is windows-1252 under WHATWG: 0x80 becomes '\u20ac' on Node 24).
    const pkl = String.fromCharCode(...files['latest_net_G/data.pkl']!);
    expect(pkl.startsWith('\x80\x02ccollections\nOrderedDict\n')).toBe(true);
    expect(pkl).toContain('ctorch._utils\n_rebuild_tensor_v2\n');
    expect(pkl).toContain('ctorch\nFloatStorage\n');
  });

  it('rejects bad inputs to the writer', () => {
    expect(() => writeTorchStateDict([['x', { shape: [2, 2], data: [1, 2, 3] }]])).toThrow(/needs 4 values \(got 3\)/);
    expect(() => writeTorchStateDict([['x', { shape: [1], data: [1] }], ['x', { shape: [1], data: [1] }]])).toThrow(/duplicate/);
    expect(() => writeTorchStateDict([], { archiveName: '../x' })).toThrow(/archiveName/);
  });
});

describe('hostile and broken files', () => {
  it('refuses a pickle that calls os.system, naming the global, and runs nothing', () => {
    rmSync('/tmp/pix2pix-pwned', { force: true });
    expect(() => readTorchStateDict(fixture('malicious_os_system.pth'))).toThrow(/refusing to load global 'posix\.system'/);
    expect(() => readTorchStateDict(fixture('malicious_os_system_legacy.pth'))).toThrow(/refusing to load global 'posix\.system'/);
    expect(existsSync('/tmp/pix2pix-pwned')).toBe(false);
  });

  it('refuses builtins.eval (pickled by protocol 2 as __builtin__.eval)', () => {
    expect(() => readTorchStateDict(fixture('malicious_eval.pth'))).toThrow(/refusing to load global '__builtin__\.eval'/);
  });

  it('rejects truncated files with a clear error', () => {
    const zip = fixture('truncated_zip.pth');
    const legacy = fixture('truncated_legacy.pth');
    expect(() => readTorchStateDict(zip)).toThrow(/^torch checkpoint: not a readable zip archive \(truncated or corrupt\?\)/);
    expect(() => readTorchStateDict(legacy)).toThrow(/^torch checkpoint \(legacy format\): truncated/);
    const good = writeTorchStateDict([['x', { shape: [64], data: new Float32Array(64) }]]);
    for (const cut of [10, good.length - 30, good.length - 1]) {
      expect(() => readTorchStateDict(good.subarray(0, cut))).toThrow(/torch checkpoint/);
    }
  });

  it('fails with an Error (never a hang or a crash) on randomly corrupted files', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (const name of ['pixel_instance_legacy.pth', 'pixel_batch.pth']) {
      const good = fixture(name);
      expect(readTorchStateDict(good).size).toBeGreaterThan(0);
      for (let trial = 0; trial < 150; trial++) {
        const bad = good.slice();
        const at = Math.floor(rand() * Math.min(bad.length, 900));
        bad[at] = Math.floor(rand() * 256);
        try {
          readTorchStateDict(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }
    }
  });

  it('rejects things that are not checkpoints', () => {
    expect(() => readTorchStateDict(new TextEncoder().encode('hello world'))).toThrow(/unrecognised format/);
    expect(() => readTorchStateDict(new Uint8Array(0))).toThrow(/unrecognised format/);
    // A protocol-2 pickle of a plain int where a legacy magic number should be.
    expect(() => readTorchStateDict(Uint8Array.of(0x80, 0x02, 0x4b, 0x07, 0x2e))).toThrow(/bad magic number/);
    // Unknown opcode inside the pickle.
    expect(() => readTorchStateDict(Uint8Array.of(0x80, 0x02, 0x69, 0x2e))).toThrow(/unsupported pickle opcode 0x69/);
  });
});
