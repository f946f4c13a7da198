/**
 * The epoch loop of `Trainer.fit`: pulls batches, runs steps, disposes what it pulled, advances the
 * epoch counter, averages the losses per epoch, calls the callbacks and honours the AbortSignal.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import { openBatches, type BatchStream, type TrainingBatch, type TrainingData } from './data.js';
import type { EpochStats, FitOptions, FitResult, StepStats } from './options.js';

/** What the loop needs from a Trainer. */
export interface FitHost {
  /** Completed steps. */
  step(): number;
  /** Current 0-based epoch. */
  epoch(): number;
  /** Steps completed in the current epoch. */
  stepInEpoch(): number;
  /** The learning rate the next step uses. */
  learningRate(): number;
  /** Runs one step (the batch stays the caller's). */
  trainStep(batch: TrainingBatch): Promise<StepStats>;
  /** Ends the current epoch: epoch + 1, stepInEpoch = 0. */
  endEpoch(): void;
  /** Reports a metric to the schedule. */
  reportMetric(value: number): void;
}

/**
 * Trains until the epoch counter reaches `total`; see `Trainer.fit` for the data contract.
 *
 * @param host - the Trainer's view for the loop.
 * @param data - the training batches.
 * @param total - the epoch count at which training ends.
 * @param options - callbacks, signal, stepsPerEpoch (already validated).
 */
export async function fitLoop(host: FitHost, data: TrainingData, total: number, options: FitOptions): Promise<FitResult> {
  const { signal, onStep, onEpoch, stepsPerEpoch, metric } = options;
  const aborted = () => signal?.aborted === true;
  const result = (wasAborted: boolean): FitResult => ({ aborted: wasAborted, step: host.step(), epoch: host.epoch() });
  let stream: BatchStream | null = null;
  try {
    while (host.epoch() < total) {
      if (aborted()) return result(true);
      const epoch = host.epoch();
      const started = Date.now();
      const sums = { generator: {} as Record<string, number>, discriminator: {} as Record<string, number> };
      let steps = 0;
      let lastLearningRate: number | null = null;
      if (stream === null || stepsPerEpoch === undefined) {
        await stream?.close();
        stream = await openBatches(data, epoch, stepsPerEpoch === undefined ? host.stepInEpoch() : 0);
      }
      let reopened = false;
      while (stepsPerEpoch === undefined || host.stepInEpoch() < stepsPerEpoch) {
        if (aborted()) return result(true);
        let next = await stream.next();
        if (next === null && stepsPerEpoch !== undefined && !reopened) {
          await stream.close();
          stream = await openBatches(data, epoch, 0);
          reopened = true;
          next = await stream.next();
        }
        if (next === null) {
          if (stepsPerEpoch === undefined && (steps > 0 || host.stepInEpoch() > 0)) break;
          throw new Error(
            `the training data yielded no batches in epoch ${epoch} (a one-shot generator can be iterated only once: pass an object whose [Symbol.asyncIterator]() starts over, a tf.data.Dataset, or pairedBatches(...))`,
          );
        }
        reopened = false;
        let stats: StepStats;
        try {
          stats = await host.trainStep(next);
        } finally {
          tf.dispose([next.input, next.target]);
        }
        steps++;
        lastLearningRate = stats.learningRate;
        for (const [k, v] of Object.entries(stats.generator)) sums.generator[k] = (sums.generator[k] ?? 0) + v;
        for (const [k, v] of Object.entries(stats.discriminator)) sums.discriminator[k] = (sums.discriminator[k] ?? 0) + v;
        if (onStep) await onStep(stats);
      }
      const learningRate = lastLearningRate ?? host.learningRate();
      host.endEpoch();
      const mean = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, steps > 0 ? v / steps : NaN]));
      const stats: EpochStats = {
        epoch,
        steps,
        learningRate,
        generator: mean(sums.generator),
        discriminator: mean(sums.discriminator),
        seconds: (Date.now() - started) / 1000,
      };
      if (metric) host.reportMetric(await metric(stats));
      if (onEpoch) await onEpoch(stats);
    }
    return result(false);
  } finally {
    await stream?.close();
  }
}
