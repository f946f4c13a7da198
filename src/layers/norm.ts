/**
 * The normalization variants (`'batch' | 'instance' | 'none'`), resolved through one lookup table, and the
 * reference's bias rule for the convolutions around them.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { assertNever } from '../util/validate.js';
import { gammaInitializer, INIT_STDDEV } from './init.js';
import { InstanceNormalization } from './instance_norm.js';

/**
 * Normalization layer kind used by the generators and discriminators.
 * - `'batch'`: BatchNormalization with epsilon 1e-5 and moving-average momentum 0.9 (PyTorch's 0.1), scale
 *   initialised N(1, 0.02). The paper's and the reference's default.
 * - `'instance'`: {@link InstanceNormalization} (no affine parameters, no running statistics).
 * - `'none'`: no normalization layer at all.
 */
export type NormKind = 'batch' | 'instance' | 'none';

/** Every accepted {@link NormKind}, for validation and UIs. */
export const NORM_KINDS: readonly NormKind[] = ['batch', 'instance', 'none'];

/** BatchNormalization epsilon of the reference (PyTorch default). */
export const BATCH_NORM_EPSILON = 1e-5;
/** BatchNormalization moving-average momentum in tfjs terms (PyTorch momentum 0.1). */
export const BATCH_NORM_MOMENTUM = 0.9;

/** What the builders need to know about one norm kind. */
interface NormSpec {
  /** Creates the layer, or `null` when the kind inserts no layer. */
  create(name: string, seed: number | undefined, gain: number): tfl.layers.Layer | null;
  /**
   * Whether a convolution feeding this norm (or sitting where such a convolution would) carries a bias.
   * The reference decides this only by `norm_layer == InstanceNorm2d`, so `'none'` has no bias there either.
   */
  convBias: boolean;
}

const NORMS: { readonly [K in NormKind]: NormSpec } = {
  batch: {
    create: (name, seed, gain) =>
      tfl.layers.batchNormalization({
        name,
        axis: -1,
        epsilon: BATCH_NORM_EPSILON,
        momentum: BATCH_NORM_MOMENTUM,
        gammaInitializer: gammaInitializer(seed, name, gain),
      }),
    convBias: false,
  },
  instance: {
    create: (name) => new InstanceNormalization({ name }),
    convBias: true,
  },
  none: {
    create: () => null,
    convBias: false,
  },
};

function spec(kind: NormKind): NormSpec {
  switch (kind) {
    case 'batch':
    case 'instance':
    case 'none':
      return NORMS[kind];
    default:
      return assertNever(kind, 'norm');
  }
}

/**
 * Creates the normalization layer `name` of kind `kind` (seeded by `deriveSeed(seed, name)`; batch-norm scale
 * N(1, `gain`), default 0.02), or returns `null` for `'none'`.
 * @internal
 */
export function createNorm(kind: NormKind, name: string, seed: number | undefined, gain: number = INIT_STDDEV): tfl.layers.Layer | null {
  return spec(kind).create(name, seed, gain);
}

/**
 * The reference's bias rule: convolutions that are (or would be) followed by a norm carry a bias only under
 * instance norm. Convolutions the rule does not cover (a network's last layer) decide for themselves.
 * @internal
 */
export function convBias(kind: NormKind): boolean {
  return spec(kind).convBias;
}
