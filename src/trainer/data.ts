/**
 * The data sources `Trainer.fit` accepts, behind one small pull interface.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';

/** One training batch: NHWC images in [-1, 1]. `fit` disposes both tensors after their step. */
export interface TrainingBatch {
  /** Generator inputs `[batch, h, w, inputChannels]`. */
  input: tf.Tensor4D;
  /** Targets `[batch, h, w, targetChannels]`. */
  target: tf.Tensor4D;
}

/** One pass over a {@link DatasetLike} (tfjs' `LazyIterator`). */
export interface DatasetIterator<T = TrainingBatch> {
  /** The next element, or `{ done: true }` at the end of the pass. */
  next(): Promise<IteratorResult<T>>;
}

/** A `tf.data.Dataset` of batches, or anything with the same `iterator()` method. */
export interface DatasetLike<T = TrainingBatch> {
  /** Starts a pass over the data. */
  iterator(): Promise<DatasetIterator<T>>;
}

/** A source that can iterate a given epoch, such as `pairedBatches(...)` (preferred by `fit` when present). */
export interface EpochSource<T = TrainingBatch> {
  /** The batches of 0-based epoch `epoch`. */
  epoch(epoch: number): AsyncIterable<T>;
}

/**
 * Data `Trainer.fit` accepts: an async or sync iterable of batches (iterated afresh each epoch), a
 * {@link DatasetLike} (`tf.data.Dataset`), or an {@link EpochSource}.
 */
export type TrainingData = AsyncIterable<TrainingBatch> | Iterable<TrainingBatch> | DatasetLike | EpochSource;

/** A pass over the data being consumed. */
export interface BatchStream {
  /** The next batch (now owned by the caller), or null at the end of the pass. */
  next(): Promise<TrainingBatch | null>;
  /** Stops the pass early (lets generators clean up). */
  close(): Promise<void>;
}

function asBatch(value: unknown): TrainingBatch {
  const b = value as Partial<TrainingBatch> | null;
  if (!b || !(b.input instanceof tf.Tensor) || !(b.target instanceof tf.Tensor)) {
    const keys = value && typeof value === 'object' ? Object.keys(value).join(', ') : typeof value;
    throw new TypeError(`each training batch must be an object { input, target } of tensors (got ${keys})`);
  }
  return b as TrainingBatch;
}

const has = (x: unknown, key: PropertyKey) =>
  x != null && (typeof x === 'object' || typeof x === 'function') && typeof (x as Record<PropertyKey, unknown>)[key] === 'function';

/**
 * Opens one pass over `data` for a 0-based `epoch`, skipping (and disposing) its first `skip` batches.
 */
export async function openBatches(data: TrainingData, epoch: number, skip: number): Promise<BatchStream> {
  let pull: () => Promise<IteratorResult<unknown>>;
  let close: () => Promise<void> = async () => {};
  if (has(data, 'epoch')) {
    const it = (data as EpochSource).epoch(epoch)[Symbol.asyncIterator]();
    pull = () => it.next();
    close = async () => void (await it.return?.());
  } else if (has(data, 'iterator')) {
    const it = await (data as DatasetLike).iterator();
    pull = () => it.next();
  } else if (has(data, Symbol.asyncIterator)) {
    const it = (data as AsyncIterable<TrainingBatch>)[Symbol.asyncIterator]();
    pull = () => it.next();
    close = async () => void (await it.return?.());
  } else if (has(data, Symbol.iterator)) {
    const it = (data as Iterable<TrainingBatch>)[Symbol.iterator]();
    pull = async () => it.next();
    close = async () => void it.return?.();
  } else {
    throw new TypeError(
      'training data must be an async or sync iterable of { input, target } batches, a tf.data.Dataset, or an object with epoch(n)',
    );
  }
  let done = false;
  const stream: BatchStream = {
    async next() {
      if (done) return null;
      const r = await pull();
      if (r.done) {
        done = true;
        return null;
      }
      return asBatch(r.value);
    },
    async close() {
      if (done) return;
      done = true;
      await close();
    },
  };
  for (let i = 0; i < skip; i++) {
    const b = await stream.next();
    if (b === null) break;
    tf.dispose([b.input, b.target]);
  }
  return stream;
}
