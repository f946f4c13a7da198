import type { ScheduleFn, StepScheduleOptions } from './types.js';

/**
 * Makes the `step` policy: the rate is multiplied by `gamma` every `stepSize` epochs,
 * `factor(epoch) = gamma ^ floor(epoch / stepSize)` (the PyTorch reference's StepLR).
 */
export function stepSchedule(options: StepScheduleOptions = {}): ScheduleFn {
  const stepSize = options.stepSize ?? 50;
  const gamma = options.gamma ?? 0.1;
  return (epoch) => gamma ** Math.floor(epoch / stepSize);
}
