import type { ScheduleFn } from './types.js';

/** The `constant` policy: the base learning rate for every epoch. */
export const constantSchedule: ScheduleFn = () => 1;
