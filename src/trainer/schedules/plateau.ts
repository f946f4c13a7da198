/**
 * The `plateau` policy: the PyTorch reference's `ReduceLROnPlateau` (mode `min`, relative threshold),
 * driven by a metric the caller reports once per evaluation (e.g. a validation L1 after each epoch).
 */
import type { PlateauScheduleOptions } from './types.js';

/** The plateau policy's running state, stored in checkpoints. */
export interface PlateauState {
  /** Best metric so far (null before the first report). */
  readonly best: number | null;
  /** Reports since the last improvement. */
  readonly badReports: number;
  /** Current learning-rate factor (1, then `factor`, `factor^2`, ...). */
  readonly factor: number;
}

/** The state before any report. */
export const INITIAL_PLATEAU_STATE: PlateauState = { best: null, badReports: 0, factor: 1 };

/**
 * One report: the metric improves when it is below `best * (1 - threshold)`; after more than
 * `patience` reports without improvement the factor is multiplied by `factor` and the count restarts.
 * As in PyTorch, a reduction that would change the learning rate by less than 1e-8 is skipped.
 *
 * @param state - the state before the report.
 * @param metric - the reported value (lower is better).
 * @param options - the resolved plateau options.
 * @param baseLearningRate - the Trainer's base rate (for the 1e-8 rule).
 */
export function reportPlateau(state: PlateauState, metric: number, options: Required<PlateauScheduleOptions>, baseLearningRate: number): PlateauState {
  const improved = state.best === null || metric < state.best * (1 - options.threshold);
  if (improved) return { best: metric, badReports: 0, factor: state.factor };
  const badReports = state.badReports + 1;
  if (badReports <= options.patience) return { ...state, badReports };
  const reduced = state.factor * options.factor;
  const factor = baseLearningRate * (state.factor - reduced) > 1e-8 ? reduced : state.factor;
  return { best: state.best, badReports: 0, factor };
}
