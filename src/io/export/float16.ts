/**
 * IEEE 754 binary16 ("half") encoding of float32 values, round to nearest even, as tfjs' weight
 * manifests store `quantization: {dtype: 'float16'}` weights (tfjs decodes them on load).
 */
import { floatToHalf } from '../torch/dtypes.js';

/** The binary16 bit pattern of `value` (rounded to nearest, ties to even; overflow to +-Infinity): the
 * package's one float16 encoder, shared with the `.pth` writer. */
export const toFloat16Bits = floatToHalf;

/** Encodes float32 values as binary16 bit patterns. */
export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
  return out;
}
