import { zipSync, type Zippable } from 'fflate';
import { TORCH_DTYPES, floatToHalf } from './dtypes.js';
import { PickleWriter } from './pickle_writer.js';

/** Element types {@link writeTorchStateDict} can write. */
export type TorchWriteDType = 'float32' | 'float16' | 'int64';

/** One tensor to write with {@link writeTorchStateDict}. */
export interface TorchTensorInput {
  /** Dimensions in PyTorch order (e.g. `[out, in, kh, kw]` for a conv weight); `[]` for a scalar. */
  shape: number[];
  /** Row-major values; their count must equal the product of `shape`. */
  data: Float32Array | BigInt64Array | ArrayLike<number>;
  /** Element type on disk. Default: `'int64'` for a `BigInt64Array`, else `'float32'`. */
  dtype?: TorchWriteDType;
}

/** Options of {@link writeTorchStateDict}. */
export interface WriteTorchStateDictOptions {
  /**
   * Name of the archive's top folder. Default `'archive'` (what `torch.save` uses for buffers; it uses the
   * file's base name for files, and `torch.load` accepts any).
   */
  archiveName?: string;
  /**
   * File format: `'zip'` (default; `torch.save` since PyTorch 1.6) or `'legacy'` (`torch.save(...,
   * _use_new_zipfile_serialization=False)`, what older PyTorch versions read).
   */
  format?: 'zip' | 'legacy';
}

/** `torch.serialization.MAGIC_NUMBER` and `PROTOCOL_VERSION`: the first two pickles of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/**
 * Writes a PyTorch state dict: the bytes of a `torch.save` zip-format file (PyTorch >= 1.6; or, with
 * `format: 'legacy'`, the older format every PyTorch version reads) holding a
 * `collections.OrderedDict` of name -> tensor, in the given order, that `torch.load(f)` and
 * `torch.load(f, weights_only=True)` read.
 *
 * The pickle inside is protocol 2 and names only `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`
 * and `torch.<Type>Storage`; each tensor has its own contiguous little-endian storage.
 *
 * @example
 * ```ts
 * import { writeTorchStateDict } from '@acme/pix2pix';
 *
 * const bytes = writeTorchStateDict([
 *   ['conv.weight', { shape: [8, 3, 4, 4], data: new Float32Array(8 * 3 * 4 * 4) }],
 *   ['bn.num_batches_tracked', { shape: [], data: new BigInt64Array([0n]) }],
 * ]); // torch.load() reads it as an OrderedDict of tensors
 * ```
 * @param entries - Name -> tensor, e.g. a `Map` or an array of pairs.
 * @param options - See {@link WriteTorchStateDictOptions}.
 * @returns The file's bytes.
 */
export function writeTorchStateDict(
  entries: Iterable<readonly [string, TorchTensorInput]>,
  options: WriteTorchStateDictOptions = {},
): Uint8Array {
  const format = options.format ?? 'zip';
  if (format !== 'zip' && format !== 'legacy') throw new RangeError(`format must be one of 'zip' | 'legacy' (got ${JSON.stringify(format)})`);
  const archive = options.archiveName ?? 'archive';
  if (!/^[A-Za-z0-9_.-]+$/.test(archive)) {
    throw new RangeError(`archiveName must be a plain folder name (got '${archive}')`);
  }
  const files: Zippable = {};
  const p = new PickleWriter().proto();
  p.global('collections', 'OrderedDict').emptyTuple().reduce();
  p.mark();
  let index = 0;
  const seen = new Set<string>();
  const storages: LegacyStorage[] = [];
  for (const [name, t] of entries) {
    if (seen.has(name)) throw new RangeError(`duplicate state dict key '${name}'`);
    seen.add(name);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new RangeError(`'${name}': shape must be non-negative integers (got [${t.shape.join(', ')}])`);
    }
    if (t.data.length !== numel) {
      throw new RangeError(`'${name}': shape [${t.shape.join(', ')}] needs ${numel} values (got ${t.data.length})`);
    }
    const dtype: TorchWriteDType = t.dtype ?? (t.data instanceof BigInt64Array ? 'int64' : 'float32');
    const key = String(index++);
    const data = encode(t.data, dtype, numel, name);
    storages.push({ key, numel, data });
    files[`${archive}/data/${key}`] = [data, { level: 0 }];
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.mark();
    // persistent id ('storage', storage_type, key, location, numel)
    // legacy: ('storage', storage_type, key, location, numel, view_metadata=None)
    p.mark().str('storage').global('torch', TORCH_DTYPES[dtype].storage).str(key).str('cpu').int(numel);
    if (format === 'legacy') p.none();
    p.tuple().persId();
    p.int(0).intTuple(t.shape).intTuple(stride).false();
    p.global('collections', 'OrderedDict').emptyTuple().reduce(); // backward_hooks
    p.tuple().reduce();
  }
  p.setItems();
  const pkl = p.finish();
  if (format === 'legacy') return legacyFile(pkl, storages);
  const out: Zippable = {
    [`${archive}/data.pkl`]: [pkl, { level: 0 }],
    [`${archive}/byteorder`]: [new TextEncoder().encode('little'), { level: 0 }],
    ...files,
    [`${archive}/version`]: [new TextEncoder().encode('3\n'), { level: 0 }],
  };
  return zipSync(out, { mtime: new Date('2020-01-01T00:00:00Z') });
}

/** One storage of a legacy file. */
interface LegacyStorage {
  key: string;
  numel: number;
  data: Uint8Array;
}

/** The legacy layout: magic, protocol, sys_info, the state dict, the storage keys, then each storage (int64 numel + bytes). */
function legacyFile(pkl: Uint8Array, storages: readonly LegacyStorage[]): Uint8Array {
  const parts = [
    new PickleWriter().proto().long(LEGACY_MAGIC).finish(),
    new PickleWriter().proto().int(LEGACY_PROTOCOL).finish(),
    new PickleWriter()
      .proto()
      .emptyDict()
      .mark()
      .str('protocol_version').int(LEGACY_PROTOCOL)
      .str('little_endian').true()
      .str('type_sizes').emptyDict().mark().str('short').int(2).str('int').int(4).str('long').int(4).setItems()
      .setItems()
      .finish(),
    pkl,
  ];
  const list = new PickleWriter().proto().emptyList();
  if (storages.length > 0) {
    list.mark();
    for (const s of storages) list.str(s.key);
    list.appends();
  }
  parts.push(list.finish());
  for (const s of storages) {
    const size = new Uint8Array(8);
    new DataView(size.buffer).setBigInt64(0, BigInt(s.numel), true);
    parts.push(size, s.data);
  }
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let pos = 0;
  for (const b of parts) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

function encode(data: TorchTensorInput['data'], dtype: TorchWriteDType, n: number, name: string): Uint8Array {
  switch (dtype) {
    case 'float32': {
      if (data instanceof BigInt64Array) throw new RangeError(`'${name}': BigInt64Array data cannot be written as float32`);
      const f = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
      return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    }
    case 'float16': {
      if (data instanceof BigInt64Array) throw new RangeError(`'${name}': BigInt64Array data cannot be written as float16`);
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) out[i] = floatToHalf((data as ArrayLike<number>)[i]!);
      return new Uint8Array(out.buffer);
    }
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = (data as ArrayLike<number | bigint>)[i]!;
        if (typeof v === 'number' && !Number.isInteger(v)) throw new RangeError(`'${name}': int64 values must be integers (got ${v})`);
        out[i] = BigInt(v);
      }
      return new Uint8Array(out.buffer);
    }
    default: {
      const never: never = dtype;
      throw new RangeError(`dtype must be one of 'float32' | 'float16' | 'int64' (got '${String(never)}')`);
    }
  }
}
