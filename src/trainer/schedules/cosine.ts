import type { ScheduleFn } from './types.js';

/**
 * The `cosine` policy: cosine annealing from the base rate to zero over the whole run
 * (`T = epochs + epochsDecay` epochs): `factor(epoch) = 0.5 * (1 + cos(pi * epoch / T))`, clamped at 0
 * after the run. (The PyTorch reference anneals over `n_epochs` only and then rises again; annealing
 * over the whole run is the usual intent.)
 */
export const cosineSchedule: ScheduleFn = (epoch, plan) => {
  const total = plan.epochs + plan.epochsDecay;
  if (total <= 0 || epoch >= total) return 0;
  return 0.5 * (1 + Math.cos((Math.PI * epoch) / total));
};
