/**
 * PyTorch element types: the storage classes pickles name (`torch.FloatStorage`, ...), their sizes, and
 * decoding of raw little-endian storage bytes into JS typed arrays (float16 / bfloat16 / float64 are
 * converted to float32).
 */

/** Element type of a tensor in a PyTorch checkpoint. */
export type TorchDType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

/**
 * Values of a tensor read from a checkpoint: floating types (whatever their width on disk) as
 * `Float32Array`, int64 as `BigInt64Array`, int32/int16/int8 as `Int32Array`, uint8 and bool as `Uint8Array`.
 */
export type TorchTensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** Facts about one {@link TorchDType}. */
export interface TorchDTypeInfo {
  /** Bytes per element on disk. */
  bytes: number;
  /** Name of the `torch.<Name>` storage class that pickles use for this type, e.g. `'FloatStorage'`. */
  storage: string;
}

/** Bytes per element, and the `torch.*Storage` class name that pickles use for each type. */
export const TORCH_DTYPES: Readonly<Record<TorchDType, TorchDTypeInfo>> = {
  float32: { bytes: 4, storage: 'FloatStorage' },
  float16: { bytes: 2, storage: 'HalfStorage' },
  bfloat16: { bytes: 2, storage: 'BFloat16Storage' },
  float64: { bytes: 8, storage: 'DoubleStorage' },
  int64: { bytes: 8, storage: 'LongStorage' },
  int32: { bytes: 4, storage: 'IntStorage' },
  int16: { bytes: 2, storage: 'ShortStorage' },
  int8: { bytes: 1, storage: 'CharStorage' },
  uint8: { bytes: 1, storage: 'ByteStorage' },
  bool: { bytes: 1, storage: 'BoolStorage' },
};

/** `torch.<X>Storage` class name -> dtype. @internal */
export const DTYPE_OF_STORAGE: ReadonlyMap<string, TorchDType> = new Map(
  (Object.keys(TORCH_DTYPES) as TorchDType[]).map((d) => [TORCH_DTYPES[d].storage, d] as const),
);

/** IEEE half (binary16) bits -> number. @internal */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** number -> IEEE half bits, rounding to nearest even (overflow to infinity, NaN kept). @internal */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : half);
}

/**
 * Decodes `count` little-endian elements of `dtype` from `bytes` into the JS array type of
 * {@link TorchTensorData}. @internal
 */
export function decodeElements(bytes: Uint8Array, dtype: TorchDType, count: number): TorchTensorData {
  const raw = bytes.slice(0, count * TORCH_DTYPES[dtype].bytes); // aligned copy
  const buf = raw.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float16': {
      const src = new Uint16Array(buf);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(src[i]!);
      return out;
    }
    case 'bfloat16': {
      const src = new Uint16Array(buf);
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = src[i]! << 16;
      return out;
    }
    case 'float64':
      return Float32Array.from(new Float64Array(buf));
    case 'int64':
      return new BigInt64Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'int16':
      return Int32Array.from(new Int16Array(buf));
    case 'int8':
      return Int32Array.from(new Int8Array(buf));
    case 'uint8':
    case 'bool':
      return new Uint8Array(buf);
    default: {
      const never: never = dtype;
      throw new RangeError(`unknown dtype (got ${String(never)})`);
    }
  }
}
