/**
 * Weight initialisation of the pix2pix reference (its `init_weights(net, init_type, init_gain)`):
 * convolution kernels by `initType` with `initGain` (default `'normal'`, 0.02), biases 0, normalization scale
 * N(1, initGain) and shift 0. Every layer derives its own seed from the model seed and its layer name, so one
 * seed gives identical weights while different layers differ. Owns {@link InitType}, its defaults, and the
 * serializable {@link ReferenceInitializer} behind the non-default types.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../util/random.js';
import { assertNever, check, checkOneOf } from '../util/validate.js';

/** A tfjs-layers initializer instance. */
export type Initializer = ReturnType<typeof tfl.initializers.zeros>;

/**
 * How convolution kernels are initialised (the reference's `--init_type`), PyTorch's definitions with
 * fan_in / fan_out as PyTorch counts them (a transposed conv's fan_in is its output channels x kh x kw):
 * - `'normal'`: N(0, gain^2) (the reference's default, gain 0.02).
 * - `'xavier'`: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (`xavier_normal_`).
 * - `'kaiming'`: N(0, 2 / fan_in) (`kaiming_normal_(a=0, mode='fan_in')`; the reference ignores the gain).
 * - `'orthogonal'`: the kernel flattened to `[out, in * kh * kw]` is (semi-)orthogonal, times gain.
 */
export type InitType = 'normal' | 'xavier' | 'kaiming' | 'orthogonal';

/** Every {@link InitType}. */
export const INIT_TYPES: readonly InitType[] = ['normal', 'xavier', 'kaiming', 'orthogonal'];

/** Default `initType` (the reference's). */
export const DEFAULT_INIT_TYPE: InitType = 'normal';

/** Default `initGain`: the reference's 0.02 (standard deviation of `'normal'` and of the norm scales). */
export const INIT_STDDEV = 0.02;

/** An initialisation scheme: type and gain. */
export interface WeightInit {
  /** Kernel initialisation; see {@link InitType}. */
  type: InitType;
  /** Gain (a finite number >= 0). */
  gain: number;
}

/** The reference's default scheme: `'normal'`, 0.02. */
export const DEFAULT_INIT: WeightInit = { type: DEFAULT_INIT_TYPE, gain: INIT_STDDEV };

/**
 * Validates a factory's `initType` / `initGain` options (defaults `'normal'`, 0.02).
 * @internal
 */
export function resolveInit(initType: unknown, initGain: unknown): WeightInit {
  const type = initType ?? DEFAULT_INIT_TYPE;
  checkOneOf(type, 'initType', INIT_TYPES);
  const gain = initGain ?? INIT_STDDEV;
  check(typeof gain === 'number' && Number.isFinite(gain) && gain >= 0, 'initGain', 'a finite number >= 0', gain);
  return { type, gain: gain as number };
}

/** The per-layer seed: `deriveSeed(seed, layerName)`, or `undefined` (random) when no model seed was given. */
export function layerSeed(seed: number | undefined, layerName: string): number | undefined {
  return seed === undefined ? undefined : deriveSeed(seed, layerName);
}

/** PyTorch's fans of a tfjs kernel `[kh, kw, a, b]`: fan_in = a * kh * kw, fan_out = b * kh * kw. */
function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new RangeError(`cannot compute the fans of a weight of shape [${shape.join(', ')}]`);
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Config of {@link ReferenceInitializer}. */
export interface ReferenceInitializerArgs {
  /** `'xavier'`, `'kaiming'` or `'orthogonal'` (`'normal'` uses tfjs' own `randomNormal`). */
  initType: Exclude<InitType, 'normal'>;
  /** Gain; see {@link InitType}. */
  gain: number;
  /** Seed, or undefined for random. */
  seed?: number;
}

/** The shape of tfjs-layers' abstract `Initializer` class, which the package does not export by name. */
type InitializerClass = abstract new () => Initializer & tf.serialization.Serializable;

/**
 * tfjs-layers' `Initializer` base class, reached through one of its subclasses: a layer accepts an
 * initializer object only when it is an `instanceof` this class.
 */
const InitializerBase = Object.getPrototypeOf(tfl.initializers.zeros().constructor) as InitializerClass;

/**
 * The reference's xavier / kaiming / orthogonal kernel initialisation (untruncated normals, PyTorch's fans;
 * tfjs' own variance-scaling initializers draw truncated normals). Serializable, so saved models keep loading.
 */
export class ReferenceInitializer extends InitializerBase {
  /** Serialization name. */
  static className = 'Pix2pixReferenceInitializer';
  /** See {@link ReferenceInitializerArgs}. */
  readonly initType: Exclude<InitType, 'normal'>;
  /** See {@link ReferenceInitializerArgs}. */
  readonly gain: number;
  /** See {@link ReferenceInitializerArgs}. */
  readonly seed: number | undefined;

  /** Creates the initializer. */
  constructor(args: ReferenceInitializerArgs) {
    super();
    this.initType = args.initType;
    this.gain = args.gain;
    this.seed = args.seed ?? undefined;
  }

  /** Draws a tensor of `shape`. */
  override apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    if (dtype !== undefined && dtype !== 'float32') throw new RangeError(`${this.initType} initialisation needs float32 (got ${dtype})`);
    const { fanIn, fanOut } = fans(shape);
    switch (this.initType) {
      case 'xavier':
        return tf.randomNormal(shape, 0, this.gain * Math.sqrt(2 / (fanIn + fanOut)), 'float32', this.seed);
      case 'kaiming':
        return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', this.seed);
      case 'orthogonal':
        return orthogonal(shape, this.gain, this.seed);
      default:
        return assertNever(this.initType, 'initType');
    }
  }

  /** Serializable configuration. */
  override getConfig(): tf.serialization.ConfigDict {
    return { initType: this.initType, gain: this.gain, seed: this.seed ?? null };
  }
}
tf.serialization.registerClass(ReferenceInitializer as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/**
 * PyTorch's `orthogonal_` on a tfjs kernel `[..., a, b]`: the `b` columns of the `[prod(...) * a, b]` matrix
 * (PyTorch's rows, flattened the other way round) are orthonormal when there are fewer of them than rows,
 * else the rows are; times `gain`. QR of a seeded normal matrix by modified Gram-Schmidt in float64 (R's
 * diagonal positive, which is PyTorch's sign correction); tfjs' own `linalg.qr` takes minutes on big kernels.
 */
function orthogonal(shape: number[], gain: number, seed: number | undefined): tf.Tensor {
  const cols = shape[shape.length - 1]!;
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const n = Math.max(rows, cols);
  const k = Math.min(rows, cols);
  const draw = tf.randomNormal([k, n], 0, 1, 'float32', seed);
  const q = Float64Array.from(draw.dataSync()); // k vectors of length n, one per row
  draw.dispose();
  for (let j = 0; j < k; j++) {
    const v = q.subarray(j * n, (j + 1) * n);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const u = q.subarray(i * n, (i + 1) * n);
        let dot = 0;
        for (let t = 0; t < n; t++) dot += u[t]! * v[t]!;
        for (let t = 0; t < n; t++) v[t]! -= dot * u[t]!;
      }
    }
    let norm = 0;
    for (let t = 0; t < n; t++) norm += v[t]! * v[t]!;
    norm = Math.sqrt(norm) || 1;
    for (let t = 0; t < n; t++) v[t]! /= norm;
  }
  // q holds k orthonormal vectors of length n. Tall (rows >= cols): they are the columns of the
  // [rows, cols] matrix; wide: its rows.
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? q[c * n + r]! : q[r * n + c]!);
  }
  return tf.tensor(out, shape, 'float32');
}

/** Kernel initializer of the convolution called `layerName` (default scheme: N(0, 0.02)). */
export function kernelInitializer(seed: number | undefined, layerName: string, init: WeightInit = DEFAULT_INIT): Initializer {
  const s = layerSeed(seed, layerName);
  switch (init.type) {
    case 'normal':
      return tfl.initializers.randomNormal({ mean: 0, stddev: init.gain, seed: s });
    case 'xavier':
    case 'kaiming':
    case 'orthogonal':
      return new ReferenceInitializer({ initType: init.type, gain: init.gain, ...(s === undefined ? {} : { seed: s }) }) as unknown as Initializer;
    default:
      return assertNever(init.type, 'initType');
  }
}

/** Scale (gamma) initializer N(1, gain) for the normalization layer called `layerName` (default gain 0.02). */
export function gammaInitializer(seed: number | undefined, layerName: string, gain: number = INIT_STDDEV): Initializer {
  return tfl.initializers.randomNormal({ mean: 1, stddev: gain, seed: layerSeed(seed, layerName) });
}
