import * as tf from '@tensorflow/tfjs-core';
import { Rng, deriveSeed } from '../util/random.js';
import { check, checkInt, checkOneOf } from '../util/validate.js';
import { imageToTensor, type ImageChannels, type ImageLike } from './image.js';
import { defaultLoadSize, drawJitter, preprocessPair } from './preprocess.js';
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
  /** Generator inputs, `[batch, imageSize, imageSize, inputChannels]` in [-1, 1]. */
  input: tf.Tensor4D;
  /** Targets, `[batch, imageSize, imageSize, targetChannels]` in [-1, 1]. */
  target: tf.Tensor4D;
  /** Index of each example in the source, in batch order. */
  indices: number[];
  /** The epoch this batch belongs to (0-based). */
  epoch: number;
}

/** Options of {@link pairedBatches}. */
export interface PairedBatchesOptions {
  /** Side of the square images the batches hold. Default 256. */
  imageSize?: number;
  /** Resize size before the random crop (the paper's 286 for 256). Default `round(imageSize * 286 / 256)`. */
  loadSize?: number;
  /** Training jitter: resize to `loadSize`, random crop to `imageSize`. False for evaluation (resize to `imageSize`, no crop, no flip). Default true. */
  jitter?: boolean;
  /** Random horizontal flip (same for A and B); only with `jitter`. Default true. */
  flip?: boolean;
  /** `'AtoB'` (input A, target B) or `'BtoA'`. Default `'AtoB'`. */
  direction?: Direction;
  /** Channels of the input images: 1 (gray), 3 (RGB) or 4 (RGBA); sources are converted. Default 3. */
  inputChannels?: ImageChannels;
  /** Channels of the target images. Default 3. */
  targetChannels?: ImageChannels;
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
    const imageSize = options.imageSize ?? 256;
    checkInt(imageSize, 'imageSize', 1);
    const o: Required<PairedBatchesOptions> = {
      imageSize,
      loadSize: options.loadSize ?? defaultLoadSize(imageSize),
      jitter: options.jitter ?? true,
      flip: options.flip ?? true,
      direction: options.direction ?? 'AtoB',
      inputChannels: options.inputChannels ?? 3,
      targetChannels: options.targetChannels ?? 3,
      batchSize: options.batchSize ?? 1,
      shuffle: options.shuffle ?? true,
      seed: options.seed ?? 0,
      prefetch: options.prefetch ?? 2,
      dropRemainder: options.dropRemainder ?? false,
      startEpoch: options.startEpoch ?? 0,
    };
    checkInt(o.loadSize, 'loadSize', imageSize);
    checkOneOf(o.direction, 'direction', DIRECTIONS);
    checkOneOf(o.inputChannels, 'inputChannels', [1, 3, 4] as const);
    checkOneOf(o.targetChannels, 'targetChannels', [1, 3, 4] as const);
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

  private async makeBatch(indices: number[], epoch: number): Promise<PairBatch> {
    const o = this.options;
    const pairs = await Promise.all(indices.map((i) => this.source.load(i)));
    return tf.tidy(() => {
      const inputs: tf.Tensor3D[] = [];
      const targets: tf.Tensor3D[] = [];
      pairs.forEach((pair, k) => {
        const index = indices[k]!;
        const [inImg, tgImg] = DIRECTION_PICK[o.direction](pair);
        const jitter = o.jitter ? drawJitter(new Rng(deriveSeed(o.seed, 'jitter', epoch, index)), o.loadSize, o.imageSize, o.flip) : null;
        let a: tf.Tensor3D, b: tf.Tensor3D;
        try {
          a = imageToTensor(inImg, o.inputChannels);
          b = imageToTensor(tgImg, o.targetChannels);
        } catch (e) {
          throw new RangeError(`${this.source.name(index)}: ${(e as Error).message}`);
        }
        const out = preprocessPair(a, b, { imageSize: o.imageSize, loadSize: o.loadSize, jitter });
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
 * Streams batches of `{ input, target }` from a {@link PairSource} with the paper's preprocessing
 * (resize to `loadSize`, random `imageSize` crop and horizontal flip, identical for A and B, values in
 * [-1, 1]), a seeded shuffle per epoch, batching and prefetching. Each `for await` is one epoch.
 *
 * ```ts
 * const data = pairedBatches(facadePairs({ count: 400, size: 64 }), { imageSize: 64, batchSize: 1 });
 * for await (const { input, target } of data) { ...; tf.dispose([input, target]); }
 * ```
 */
export function pairedBatches(source: PairSource, options: PairedBatchesOptions = {}): PairedBatches {
  return new PairedBatches(source, options);
}
