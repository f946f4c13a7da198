import * as tf from '@tensorflow/tfjs-core';
import { Rng, deriveSeed } from '../util/random.js';
import { check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';
import { COLORIZATION_CHANNELS, DATASET_MODES, rgbTensorToLab, type DatasetMode } from './colorization.js';
import { imageToTensor, type ImageChannels, type ImageLike } from './image.js';
import { defaultLoadSize, drawJitter, preprocessPair, preprocessPlan, resolvePreprocessSizes, PREPROCESS_MODES, type PreprocessMode } from './preprocess.js';
import type { ImagePair, PairSource } from './source.js';

/** Which image of a pair is the generator's input: `'AtoB'` translates A into B, `'BtoA'` B into A. */
export type Direction = 'AtoB' | 'BtoA';

/** The supported {@link Direction}s. */
export const DIRECTIONS: readonly Direction[] = ['AtoB', 'BtoA'];

const DIRECTION_PICK: Record<Direction, (p: ImagePair) => [ImageLike, ImageLike]> = {
  AtoB: (p) => [p.a, p.b],
  BtoA: (p) => [p.b, p.a],
};

/** One batch of training pairs. The consumer owns the tensors and must dispose them. */
export interface PairBatch {
  /** Generator inputs, `[batch, h, w, inputChannels]` in [-1, 1] (`cropSize` x `cropSize` in the crop modes). */
  input: tf.Tensor4D;
  /** Targets, `[batch, h, w, targetChannels]` in [-1, 1]. */
  target: tf.Tensor4D;
  /** Index of each example in the source, in batch order. */
  indices: number[];
  /** The epoch this batch belongs to (0-based). */
  epoch: number;
}

/** Options of {@link pairedBatches}. */
export interface PairedBatchesOptions {
  /**
   * How images are brought to size, the reference's `--preprocess`; see {@link PreprocessMode}. Default
   * `'resize_and_crop'`.
   */
  preprocess?: PreprocessMode;
  /** Side of the square crop (the reference's `crop_size`). Default 256 (or `imageSize`). */
  cropSize?: number;
  /** Alias of `cropSize`, kept for earlier callers; give one of the two (or equal values). */
  imageSize?: number;
  /**
   * Resize target of `'resize_and_crop'` and target width of the `'scale_width'` modes (the reference's
   * `load_size`; the paper's 286 for 256). Default `round(cropSize * 286 / 256)`.
   */
  loadSize?: number;
  /**
   * `'none'` rounds H and W to multiples of this (with a one-time warning): give the generator's divisor
   * (`generatorDivisor(G)`), so every image fits it. Default 4 (the reference's rounding).
   */
  divisor?: number;
  /**
   * Training jitter: random crop box and flip. False for evaluation: no flip, the centre crop box, and
   * `'resize_and_crop'` resizes straight to `cropSize`. Default true.
   */
  jitter?: boolean;
  /** Random horizontal flip, probability 0.5, the same for A and B (the reference's `not no_flip`); only with `jitter`. Default true. */
  flip?: boolean;
  /** `'AtoB'` (input A, target B) or `'BtoA'`. Default `'AtoB'`. */
  direction?: Direction;
  /**
   * Channels of the input images: 1 (gray), 3 (RGB) or 4 (RGBA), converted from any of these; any other
   * count must be what the source gives (stacked images, e.g. `folderPairs` with `A2/`). Default 3.
   */
  inputChannels?: ImageChannels | number;
  /** Channels of the target images, as `inputChannels`. Default 3. */
  targetChannels?: ImageChannels | number;
  /**
   * `'aligned'`: input and target are the pair's images. `'colorization'`: the target-side image (B with
   * AtoB) is the photo: after preprocessing, the input is its L channel (`L / 50 - 1`) and the target its
   * ab channels (`/ 110`), the reference's `--dataset_mode colorization`; `inputChannels` and
   * `targetChannels` must then be 1 and 2 (their defaults in this mode). Default `'aligned'`.
   */
  datasetMode?: DatasetMode;
  /** Examples per batch. Default 1 (the paper's). */
  batchSize?: number;
  /** Shuffle the order every epoch (a new order per epoch, derived from `seed`). Default true. */
  shuffle?: boolean;
  /** Seed of the shuffles and the jitter: the same seed gives the same batches. Default 0. */
  seed?: number;
  /** Batches prepared ahead of the one being consumed. At most `(prefetch + 1) * batchSize` pairs are loaded at once. Default 2. */
  prefetch?: number;
  /** Drop the last batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
  /** Epoch number of the first iteration (set it when resuming, so shuffles continue). Default 0. */
  startEpoch?: number;
}

const PAIRED_BATCHES_KEYS: ReadonlyArray<keyof PairedBatchesOptions> = [
  'preprocess', 'cropSize', 'imageSize', 'loadSize', 'divisor', 'jitter', 'flip', 'direction', 'inputChannels', 'targetChannels', 'datasetMode',
  'batchSize', 'shuffle', 'seed', 'prefetch', 'dropRemainder', 'startEpoch',
];

/**
 * Batches of a {@link PairSource} for training or evaluation, streamed: pairs are loaded when needed
 * (with `prefetch` batches prepared ahead), so memory does not grow with the data set.
 *
 * Each `for await` over it is one epoch, with a fresh shuffle (epochs count up from `startEpoch`);
 * {@link PairedBatches.epoch} iterates a given epoch. Per pair, the jitter is drawn from
 * `(seed, epoch, index)`, so batches do not depend on timing. The consumer disposes each batch's tensors.
 */
export class PairedBatches implements AsyncIterable<PairBatch> {
  /** The resolved options. */
  readonly options: Readonly<Required<PairedBatchesOptions>>;
  /** Epoch that the next `for await` iterates. */
  nextEpoch: number;

  /**
   * @param source - the pairs.
   * @param options - see {@link PairedBatchesOptions}.
   */
  constructor(
    readonly source: PairSource,
    options: PairedBatchesOptions = {},
  ) {
    checkKeys(options, PAIRED_BATCHES_KEYS, 'pairedBatches');
    if (options.imageSize !== undefined && options.cropSize !== undefined) {
      check(options.imageSize === options.cropSize, 'imageSize', `equal to cropSize = ${options.cropSize} (it is its alias)`, options.imageSize);
    }
    const cropSize = options.cropSize ?? options.imageSize ?? 256;
    checkInt(cropSize, 'cropSize', 1);
    const datasetMode = options.datasetMode ?? 'aligned';
    checkOneOf(datasetMode, 'datasetMode', DATASET_MODES);
    const colorization = datasetMode === 'colorization';
    const o: Required<PairedBatchesOptions> = {
      preprocess: options.preprocess ?? 'resize_and_crop',
      cropSize,
      imageSize: cropSize,
      divisor: options.divisor ?? 4,
      loadSize: options.loadSize ?? defaultLoadSize(cropSize),
      jitter: options.jitter ?? true,
      flip: options.flip ?? true,
      direction: options.direction ?? 'AtoB',
      inputChannels: options.inputChannels ?? (colorization ? COLORIZATION_CHANNELS.input : 3),
      targetChannels: options.targetChannels ?? (colorization ? COLORIZATION_CHANNELS.output : 3),
      datasetMode,
      batchSize: options.batchSize ?? 1,
      shuffle: options.shuffle ?? true,
      seed: options.seed ?? 0,
      prefetch: options.prefetch ?? 2,
      dropRemainder: options.dropRemainder ?? false,
      startEpoch: options.startEpoch ?? 0,
    };
    checkOneOf(o.preprocess, 'preprocess', PREPROCESS_MODES);
    checkInt(o.loadSize, 'loadSize', 1);
    checkInt(o.divisor, 'divisor', 1);
    resolvePreprocessSizes(o); // loadSize >= cropSize where the mode resizes before cropping
    checkOneOf(o.direction, 'direction', DIRECTIONS);
    checkInt(o.inputChannels, 'inputChannels', 1);
    checkInt(o.targetChannels, 'targetChannels', 1);
    if (colorization) {
      check(o.inputChannels === COLORIZATION_CHANNELS.input, 'inputChannels', "1 with datasetMode 'colorization' (the L channel)", o.inputChannels);
      check(o.targetChannels === COLORIZATION_CHANNELS.output, 'targetChannels', "2 with datasetMode 'colorization' (the ab channels)", o.targetChannels);
    }
    checkInt(o.batchSize, 'batchSize', 1);
    checkInt(o.prefetch, 'prefetch', 0);
    checkInt(o.startEpoch, 'startEpoch', 0);
    check(Number.isInteger(o.seed), 'seed', 'an integer', o.seed);
    check(source.length > 0, 'source.length', '> 0 (the data set is empty)', source.length);
    this.options = o;
    this.nextEpoch = o.startEpoch;
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    const n = this.source.length / this.options.batchSize;
    return this.options.dropRemainder ? Math.floor(n) : Math.ceil(n);
  }

  /** The order of the source indices in epoch `epoch`. */
  order(epoch: number): number[] {
    const idx = Array.from({ length: this.source.length }, (_, i) => i);
    return this.options.shuffle ? new Rng(deriveSeed(this.options.seed, 'shuffle', epoch)).shuffle(idx) : idx;
  }

  /** Iterates the next epoch (and advances {@link PairedBatches.nextEpoch}). */
  [Symbol.asyncIterator](): AsyncIterator<PairBatch> {
    return this.epoch(this.nextEpoch++);
  }

  /** Iterates the batches of epoch `epoch`. Breaking out early disposes the batches prepared ahead. */
  async *epoch(epoch: number): AsyncGenerator<PairBatch, void, undefined> {
    const { batchSize, prefetch } = this.options;
    const order = this.order(epoch);
    const groups: number[][] = [];
    for (let i = 0; i < order.length; i += batchSize) groups.push(order.slice(i, i + batchSize));
    if (this.options.dropRemainder && groups.length > 0 && groups[groups.length - 1]!.length < batchSize) groups.pop();
    const pending: Array<Promise<PairBatch>> = [];
    let next = 0;
    const fill = (limit: number) => {
      while (pending.length < limit && next < groups.length) {
        const p = this.makeBatch(groups[next++]!, epoch);
        p.catch(() => undefined); // rejection is rethrown where it is awaited
        pending.push(p);
      }
    };
    try {
      fill(Math.max(1, prefetch));
      while (pending.length > 0) {
        const batch = await pending.shift()!;
        fill(prefetch);
        yield batch;
      }
    } finally {
      // Early exit or error: free what was prepared ahead.
      for (const p of pending.splice(0)) {
        try {
          const b = await p;
          b.input.dispose();
          b.target.dispose();
        } catch {
          // already reported, or never consumed
        }
      }
    }
  }

  private warnedRounding = false;

  private async makeBatch(indices: number[], epoch: number): Promise<PairBatch> {
    const o = this.options;
    const pairs = await Promise.all(indices.map((i) => this.source.load(i)));
    const sizes = { preprocess: o.preprocess, loadSize: o.loadSize, cropSize: o.cropSize, divisor: o.divisor };
    return tf.tidy(() => {
      const inputs: tf.Tensor3D[] = [];
      const targets: tf.Tensor3D[] = [];
      pairs.forEach((pair, k) => {
        const index = indices[k]!;
        const [inImg, tgImg] = DIRECTION_PICK[o.direction](pair);
        let out;
        try {
          // Colorization: preprocess the photo (A and B alike), then split it into L and ab below.
          const colorization = o.datasetMode === 'colorization';
          const a = colorization ? imageToTensor(tgImg, 3) : imageToTensor(inImg, o.inputChannels);
          const b = colorization ? a : imageToTensor(tgImg, o.targetChannels);
          const plan = preprocessPlan([a.shape[0], a.shape[1]], sizes, o.jitter);
          if (plan.rounded && !this.warnedRounding) {
            this.warnedRounding = true;
            console.warn(
              `pairedBatches: preprocess 'none' resized ${this.source.name(index)} from ${a.shape[1]}x${a.shape[0]} to ${plan.output[1]}x${plan.output[0]} ` +
                `(width x height, multiples of ${o.divisor}); this warning is shown once`,
            );
          }
          const jitter = o.jitter ? drawJitter(new Rng(deriveSeed(o.seed, 'jitter', epoch, index)), plan, o.flip) : null;
          out = preprocessPair(a, b, { ...sizes, jitter });
          if (colorization) {
            const { l, ab } = rgbTensorToLab(out.b);
            out = { a: l, b: ab };
          }
        } catch (e) {
          throw new RangeError(`${this.source.name(index)}: ${(e as Error).message}`);
        }
        const first = inputs[0];
        if (first !== undefined && (first.shape[0] !== out.a.shape[0] || first.shape[1] !== out.a.shape[1])) {
          throw new RangeError(
            `a batch needs one image size, but ${this.source.name(indices[0]!)} gives ${first.shape[1]}x${first.shape[0]} and ` +
              `${this.source.name(index)} gives ${out.a.shape[1]}x${out.a.shape[0]} (width x height) with preprocess '${o.preprocess}': ` +
              `use batchSize 1 or a crop mode`,
          );
        }
        inputs.push(out.a);
        targets.push(out.b);
      });
      return {
        input: tf.stack(inputs) as tf.Tensor4D,
        target: tf.stack(targets) as tf.Tensor4D,
        indices,
        epoch,
      };
    });
  }
}

/**
 * Streams batches of `{ input, target }` from a {@link PairSource} with the reference's preprocessing
 * (`preprocess`, default `'resize_and_crop'`: resize to `loadSize`, random `cropSize` crop and horizontal
 * flip, identical for A and B, values in [-1, 1]), a seeded shuffle per epoch, batching and prefetching.
 * Each `for await` is one epoch. Images may have any size and aspect; a batch needs one output size.
 *
 * ```ts
 * const data = pairedBatches(facadePairs({ count: 400, size: 64 }), { imageSize: 64, batchSize: 1 });
 * for await (const { input, target } of data) { ...; tf.dispose([input, target]); }
 * ```
 */
export function pairedBatches(source: PairSource, options: PairedBatchesOptions = {}): PairedBatches {
  return new PairedBatches(source, options);
}
