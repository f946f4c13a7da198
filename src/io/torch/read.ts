import { unzipSync } from 'fflate';
import { DTYPE_OF_STORAGE, TORCH_DTYPES, decodeElements, type TorchDType, type TorchTensorData } from './dtypes.js';
import { TorchFormatError } from './errors.js';
import { PyDict, PyTuple, describeValue, unpickle, type PyCallable, type PyValue } from './pickle.js';

/** One tensor of a PyTorch state dict, as plain JS data (row-major, contiguous). */
export interface TorchTensor {
  /** Dimensions, outermost first (PyTorch order, e.g. `[out, in, kh, kw]` for a conv weight). */
  shape: number[];
  /** Element type stored in the file (float16 / bfloat16 / float64 values arrive converted to float32). */
  dtype: TorchDType;
  /** Values in row-major order; see {@link TorchTensorData} for the array type per dtype. */
  data: TorchTensorData;
}

/** A storage named by a persistent id; its bytes may arrive after the pickle (legacy format). */
class StorageRef {
  bytes: Uint8Array | undefined;
  constructor(
    readonly key: string,
    readonly dtype: TorchDType,
    readonly numel: number,
    /** Element offset into the root storage (legacy views), usually 0. */
    readonly viewOffset = 0,
    readonly root?: StorageRef,
  ) {}
}

/** What `_rebuild_tensor_v2` returns: resolved into a {@link TorchTensor} once the storages are known. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
/** `torch.serialization.MAGIC_NUMBER`, the first pickle of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

const intList = (v: PyValue, what: string): number[] => {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
  if (!items || !items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw new TorchFormatError(`${what} must be a tuple of non-negative ints (got ${describeValue(v)})`);
  }
  return items as number[];
};

const callable = (qualifiedName: string, call: (args: PyValue[]) => PyValue, build?: PyCallable['build']): PyCallable =>
  build ? { qualifiedName, call, build } : { qualifiedName, call };

const rebuildTensor = callable('torch._utils._rebuild_tensor_v2', (args) => {
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (args.length < 4 || args.length > 7) throw new TorchFormatError(`expects 6 or 7 arguments (got ${args.length})`);
  const [storage, offset] = args;
  if (!(storage instanceof StorageRef)) throw new TorchFormatError(`storage argument is ${describeValue(storage)}`);
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new TorchFormatError(`storage offset must be a non-negative int (got ${describeValue(offset)})`);
  }
  const shape = intList(args[2]!, 'size');
  const stride = intList(args[3]!, 'stride');
  if (shape.length !== stride.length) throw new TorchFormatError(`size ${shape.length}-d but stride ${stride.length}-d`);
  return new TensorRef(storage, offset, shape, stride);
});

const rebuildParameter = callable('torch._utils._rebuild_parameter', (args) => {
  // (data, requires_grad, backward_hooks[, state])
  if (!(args[0] instanceof TensorRef)) throw new TorchFormatError(`data argument is ${describeValue(args[0])}`);
  return args[0];
});

const orderedDict = callable(
  'collections.OrderedDict',
  (args) => {
    const d = new PyDict();
    if (args.length === 0) return d;
    const items = args[0];
    if (args.length !== 1 || !Array.isArray(items)) throw new TorchFormatError('expects no arguments or one list of pairs');
    for (const pair of items) {
      const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : [];
      if (kv.length !== 2 || typeof kv[0] !== 'string') throw new TorchFormatError('expects (str, value) pairs');
      d.entries.set(kv[0], kv[1]!);
    }
    return d;
  },
  (target, state) => {
    // `state_dict()` carries a `_metadata` attribute (module versions), pickled as BUILD state.
    const dict = state instanceof PyTuple ? state.items[0] : state;
    if (!(target instanceof PyDict) || !(dict instanceof PyDict)) throw new TorchFormatError('unexpected state');
    for (const [k, v] of dict.entries) target.attrs.set(String(k), v);
  },
);

const storageClass = (name: string): PyCallable =>
  callable(`torch.${name}`, () => {
    throw new TorchFormatError('storages are only allowed as persistent ids');
  });

/**
 * The complete allowlist of Python globals a state dict may name. Anything else (`os.system`,
 * `builtins.eval`, a model class from a full-model pickle, ...) makes reading fail with its name.
 */
function resolveGlobal(module: string, name: string): PyCallable | undefined {
  if (module === 'collections' && name === 'OrderedDict') return orderedDict;
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return rebuildTensor;
  if (module === 'torch._utils' && name === '_rebuild_parameter') return rebuildParameter;
  if (module === 'torch' && DTYPE_OF_STORAGE.has(name)) return storageClass(name);
  return undefined;
}

/** Storage type argument of a persistent id -> dtype. */
const storageDType = (v: PyValue): TorchDType => {
  const name = typeof v === 'object' && v !== null && 'qualifiedName' in v ? (v as PyCallable).qualifiedName : '';
  const dtype = DTYPE_OF_STORAGE.get(name.replace(/^torch\./, ''));
  if (!dtype) throw new TorchFormatError(`unknown storage type ${describeValue(v)}`);
  return dtype;
};

/** Persistent-id resolver shared by both formats; records every storage it hands out. */
function storageTable(format: 'zip' | 'legacy') {
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PyValue): PyValue => {
    // zip: ('storage', storage_type, key, location, numel)
    // legacy: ('storage', storage_type, root_key, location, numel, view_metadata)
    const t = pid instanceof PyTuple ? pid.items : [];
    if (t[0] !== 'storage' || t.length < 5) throw new TorchFormatError(`unsupported persistent id ${describeValue(pid)}`);
    const dtype = storageDType(t[1]!);
    const key = t[2];
    const numel = t[4];
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) {
      throw new TorchFormatError('malformed storage persistent id');
    }
    let root = storages.get(key);
    if (!root) {
      root = new StorageRef(key, dtype, numel);
      storages.set(key, root);
    } else if (root.dtype !== dtype) {
      throw new TorchFormatError(`storage '${key}' is used as both ${root.dtype} and ${dtype}`);
    }
    const view = format === 'legacy' ? t[5] : null;
    if (view === null || view === undefined) return root;
    // Legacy storage view: (view_key, offset, view_size).
    const v = view instanceof PyTuple ? view.items : [];
    const isIndex = (x: PyValue | undefined): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    if (!isIndex(v[1]) || !isIndex(v[2])) throw new TorchFormatError(`malformed storage view of storage '${key}'`);
    return new StorageRef(String(v[0]), dtype, v[2], v[1], root);
  };
  return { storages, persistentLoad };
}

/**
 * A tensor's element count, refused when it exceeds what its storage holds: only overlapping strides
 * (e.g. 0) can do that, a state dict never needs them, and honouring them would let a small file allocate
 * without bound.
 */
function checkElementCount(name: string, ref: TensorRef): number {
  const root = ref.storage.root ?? ref.storage;
  const count = ref.shape.reduce((a, b) => a * b, 1);
  const available = Math.min(root.numel, ref.storage.viewOffset + ref.storage.numel);
  if (count > available) {
    throw new TorchFormatError(
      `tensor '${name}' declares ${count} elements (shape [${ref.shape.join(', ')}], stride [${ref.stride.join(', ')}]) ` +
        `but its storage '${root.key}' holds ${available}: overlapping or broadcast strides are not supported`,
    );
  }
  return count;
}

/** Resolves a tensor reference into contiguous row-major values. */
function materialize(name: string, ref: TensorRef): TorchTensor {
  const root = ref.storage.root ?? ref.storage;
  const bytes = root.bytes;
  if (!bytes) throw new TorchFormatError(`tensor '${name}': the data of storage '${root.key}' is missing from the file`);
  const base = ref.storage.viewOffset + ref.offset;
  const count = checkElementCount(name, ref);
  const available = Math.min(root.numel, ref.storage.viewOffset + ref.storage.numel);
  let maxIndex = base;
  for (let d = 0; d < ref.shape.length; d++) maxIndex += (ref.shape[d]! - 1) * ref.stride[d]!;
  const limit = available;
  if (count > 0 && maxIndex >= limit) {
    throw new TorchFormatError(
      `tensor '${name}' (shape [${ref.shape.join(', ')}]) reads element ${maxIndex} of a storage of ${limit} element(s): the file is corrupt`,
    );
  }
  const contiguous = ref.stride.every((s, d) => s === ref.shape.slice(d + 1).reduce((a, b) => a * b, 1) || ref.shape[d] === 1);
  const elBytes = TORCH_DTYPES[root.dtype].bytes;
  if (contiguous || count <= 1) {
    const data = decodeElements(bytes.subarray(base * elBytes), root.dtype, count);
    return { shape: ref.shape.slice(), dtype: root.dtype, data };
  }
  // Strided: decode the span the tensor touches, then gather in row-major order.
  const span = decodeElements(bytes.subarray(base * elBytes), root.dtype, maxIndex - base + 1);
  const out = new (span.constructor as new (n: number) => TorchTensorData)(count);
  const rank = ref.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < count; i++) {
    out[i] = span[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += ref.stride[d]!;
      if (idx[d]! < ref.shape[d]!) break;
      src -= idx[d]! * ref.stride[d]!;
      idx[d] = 0;
    }
  }
  return { shape: ref.shape.slice(), dtype: root.dtype, data: out };
}

/** Refuses NaN / Infinity in a floating-point tensor, naming it: such weights can only produce garbage. */
function checkFinite(name: string, t: TorchTensor): void {
  if (!(t.data instanceof Float32Array)) return;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const x = d[i]!;
    if (x - x !== 0) {
      throw new TorchFormatError(
        `tensor '${name}' (shape [${t.shape.join(', ')}], ${t.dtype}) holds a non-finite value (${x} at element ${i}): refusing to load it`,
      );
    }
  }
}

/** Checks that the unpickled root is a dict of tensors and resolves every tensor. */
function toStateDict(root: PyValue): Map<string, TorchTensor> {
  if (!(root instanceof PyDict)) {
    throw new TorchFormatError(`expected a state dict (a dict of tensors) but the file holds ${describeValue(root)}`);
  }
  const bad: string[] = [];
  for (const [k, v] of root.entries) {
    if (typeof k !== 'string' || !(v instanceof TensorRef)) bad.push(`'${String(k)}' (${describeValue(v)})`);
  }
  if (bad.length > 0) {
    const nested = [...root.entries.values()].some((v) => v instanceof PyDict);
    throw new TorchFormatError(
      `expected a state dict (a dict of tensors) but these entries are not tensors: ${bad.slice(0, 10).join(', ')}` +
        (bad.length > 10 ? ` and ${bad.length - 10} more` : '') +
        (nested ? '; if the state dict is nested inside a checkpoint, save that state dict on its own' : ''),
    );
  }
  // Bound the total: tensors may share storages (views), but not so often that a small file unpacks huge.
  const storageElements = new Map<StorageRef, number>();
  for (const v of root.entries.values()) {
    const s = (v as TensorRef).storage;
    storageElements.set(s.root ?? s, (s.root ?? s).numel);
  }
  const budget = 4 * [...storageElements.values()].reduce((a, b) => a + b, 0) + 1024;
  let total = 0;
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of root.entries) {
    const ref = v as TensorRef;
    total += checkElementCount(k as string, ref);
    if (total > budget) {
      throw new TorchFormatError(
        `tensor '${String(k)}': the state dict's tensors add up to ${total} elements, more than 4x the ${budget - 1024} elements its storages hold`,
      );
    }
    const t = materialize(k as string, ref);
    checkFinite(k as string, t);
    out.set(k as string, t);
  }
  return out;
}

/** Largest `data.pkl` read from a zip checkpoint: a state dict's pickle is a few hundred KB. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** Deflate cannot expand data more than ~1032:1; an entry that claims more is corrupt or hostile. */
const MAX_DEFLATE_RATIO = 1032;

/** Zip entry facts fflate reports before inflating an entry. */
interface ZipEntryInfo {
  name: string;
  size: number;
  originalSize: number;
  compression: number;
}

/**
 * Inflates only the entries `want` accepts; `want` sees each entry's declared sizes first and may throw,
 * so nothing is allocated for an entry whose size is wrong. Unused entries are never inflated.
 */
function unzipEntries(bytes: Uint8Array, want: (e: ZipEntryInfo) => boolean): Record<string, Uint8Array> {
  const filter = (e: ZipEntryInfo): boolean => {
    if (!want(e)) return false;
    if (e.compression !== 0 && e.originalSize > MAX_DEFLATE_RATIO * e.size + 1024) {
      throw new TorchFormatError(
        `torch checkpoint: zip entry ${e.name} claims to inflate ${e.size} bytes to ${e.originalSize}, beyond what deflate can do (corrupt archive)`,
      );
    }
    return true;
  };
  try {
    return unzipSync(bytes, { filter });
  } catch (e) {
    if (e instanceof TorchFormatError) throw e;
    throw new TorchFormatError(`torch checkpoint: not a readable zip archive (truncated or corrupt?): ${(e as Error).message}`);
  }
}

function readZip(bytes: Uint8Array): Map<string, TorchTensor> {
  const isPickle = (n: string) => /^[^/]+\/data\.pkl$/.test(n);
  const pickles = unzipEntries(bytes, (e) => {
    if (!isPickle(e.name)) return false;
    if (e.originalSize > MAX_PICKLE_BYTES) {
      throw new TorchFormatError(`torch checkpoint: ${e.name} declares ${e.originalSize} bytes (limit ${MAX_PICKLE_BYTES}); not a state dict`);
    }
    return true;
  });
  const pkl = Object.keys(pickles).find(isPickle);
  if (!pkl) throw new TorchFormatError('torch checkpoint: the zip archive has no <name>/data.pkl (not a torch.save file?)');
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const { storages, persistentLoad } = storageTable('zip');
  const { value } = unpickle(pickles[pkl]!, 0, { resolveGlobal, persistentLoad, source: `torch checkpoint ${pkl}` });
  // Only the storages the pickle references are inflated, each after its declared size is checked.
  const needed = new Map<string, number>();
  for (const s of storages.values()) needed.set(`${prefix}data/${s.key}`, s.numel * TORCH_DTYPES[s.dtype].bytes);
  const files = unzipEntries(bytes, (e) => {
    const n = needed.get(e.name);
    if (n === undefined) return false;
    if (e.originalSize !== n) {
      throw new TorchFormatError(`torch checkpoint: storage ${e.name} has ${e.originalSize} bytes, needs ${n}`);
    }
    return true;
  });
  for (const s of storages.values()) {
    const entry = `${prefix}data/${s.key}`;
    const data = files[entry];
    if (!data) throw new TorchFormatError(`torch checkpoint: storage file ${entry} is missing from the archive`);
    const n = needed.get(entry)!;
    if (data.length < n) throw new TorchFormatError(`torch checkpoint: storage ${entry} has ${data.length} bytes, needs ${n}`);
    s.bytes = data;
  }
  return toStateDict(value);
}

function readLegacy(bytes: Uint8Array): Map<string, TorchTensor> {
  const source = 'torch checkpoint (legacy format)';
  const noGlobals = { resolveGlobal: () => undefined, source };
  let r = unpickle(bytes, 0, noGlobals);
  if (r.value !== LEGACY_MAGIC) throw new TorchFormatError(`${source}: bad magic number`);
  r = unpickle(bytes, r.end, noGlobals);
  if (r.value !== LEGACY_PROTOCOL) throw new TorchFormatError(`${source}: unsupported protocol version ${describeValue(r.value)}`);
  r = unpickle(bytes, r.end, noGlobals);
  const sysInfo = r.value;
  if (sysInfo instanceof PyDict && sysInfo.entries.get('little_endian') === false) {
    throw new TorchFormatError(`${source}: big-endian checkpoints are not supported`);
  }
  const { storages, persistentLoad } = storageTable('legacy');
  r = unpickle(bytes, r.end, { resolveGlobal, persistentLoad, source });
  const root = r.value;
  r = unpickle(bytes, r.end, noGlobals);
  const keys = r.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new TorchFormatError(`${source}: bad storage key list`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = r.end;
  for (const key of keys as string[]) {
    const s = storages.get(key);
    if (!s) throw new TorchFormatError(`${source}: storage '${key}' is listed but never used`);
    if (pos + 8 > bytes.length) throw new TorchFormatError(`${source}: truncated before the data of storage '${key}'`);
    const numel = Number(view.getBigInt64(pos, true));
    pos += 8;
    const n = numel * TORCH_DTYPES[s.dtype].bytes;
    if (numel !== s.numel) throw new TorchFormatError(`${source}: storage '${key}' has ${numel} elements, expected ${s.numel}`);
    if (pos + n > bytes.length) {
      throw new TorchFormatError(`${source}: truncated in the data of storage '${key}' (needs ${n} bytes, ${bytes.length - pos} left)`);
    }
    s.bytes = bytes.subarray(pos, pos + n);
    pos += n;
  }
  return toStateDict(root);
}

/**
 * Reads a PyTorch state dict (the bytes of a `.pth` / `.pt` file written by `torch.save(model.state_dict())`)
 * into a `Map` of parameter name -> {@link TorchTensor}, in the file's order.
 *
 * Both formats are read: the zip format of PyTorch >= 1.6 and the older legacy format (the one the
 * published pix2pix checkpoints use). float16, bfloat16 and float64 values are converted to float32;
 * strided (non-contiguous) tensors and storage offsets are resolved.
 *
 * Safe on untrusted files: the pickle is read by a minimal unpickler that knows only the opcodes and the
 * handful of `torch` / `collections` names a state dict needs; anything else (`os.system`, a full pickled
 * model class, ...) is an `Error` naming it and nothing is executed. Truncated or corrupt files are errors.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { readTorchStateDict } from '@acme/pix2pix';
 *
 * // A safe reader: only tensors and plain containers, never arbitrary pickled objects.
 * for (const [name, t] of readTorchStateDict(await readFile('latest_net_G.pth'))) console.log(name, t.dtype, t.shape);
 * ```
 * @param bytes - The file's contents.
 * @returns Parameter name -> tensor (no tfjs tensors are created).
 */
export function readTorchStateDict(bytes: Uint8Array): Map<string, TorchTensor> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readTorchStateDict: bytes must be a Uint8Array');
  if (bytes.length >= 4 && ZIP_MAGIC.every((b, i) => bytes[i] === b)) return readZip(bytes);
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5) return readLegacy(bytes);
  if (bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw new TorchFormatError('torch checkpoint: the tar format of PyTorch < 0.4 is not supported; re-save it with a newer PyTorch');
  }
  throw new TorchFormatError(
    `torch checkpoint: unrecognised format (${bytes.length} bytes; neither a torch.save zip archive nor a legacy pickle stream)`,
  );
}
