import type { ScheduleFn } from './types.js';

/**
 * The pix2pix reference's `linear` policy: the base rate for `plan.epochs` epochs, then a linear decay
 * towards zero over `plan.epochsDecay` epochs:
 * `factor(epoch) = 1 - max(0, epoch + 1 - epochs) / (epochsDecay + 1)` (0-based `epoch`), so the last
 * epoch of a 100 + 100 run trains at 1/101 of the base rate. Never negative.
 */
export const linearSchedule: ScheduleFn = (epoch, plan) =>
  Math.max(0, 1 - Math.max(0, epoch + 1 - plan.epochs) / (plan.epochsDecay + 1));
