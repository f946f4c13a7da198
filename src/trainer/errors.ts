/**
 * The errors a refused training step throws. A refused step changed nothing: weights, moving
 * statistics, optimizer state and counters are as they were before it, so the caller may skip the batch.
 */

/** Thrown when a step's loss is NaN or infinite; the step was refused and no weight changed. */
export class NonFiniteLossError extends Error {
  /** 1-based number of the refused step. */
  readonly step: number;
  /** Which objective went non-finite. */
  readonly network: 'generator' | 'discriminator';
  /** The first non-finite part (e.g. `'total'`, `'reconstruction'`). */
  readonly part: string;
  /** Its value (NaN or +-Infinity). */
  readonly value: number;

  /**
   * @param step - 1-based number of the refused step.
   * @param network - which objective went non-finite.
   * @param part - the first non-finite part.
   * @param value - its value.
   */
  constructor(step: number, network: 'generator' | 'discriminator', part: string, value: number) {
    super(
      `step ${step}: the ${network} loss part '${part}' is ${value}; the step was refused and no weights or optimizer state changed`,
    );
    this.name = 'NonFiniteLossError';
    this.step = step;
    this.network = network;
    this.part = part;
    this.value = value;
  }
}

/**
 * Thrown when a step's losses were finite but the weights or moving statistics it produced were not
 * (e.g. a learning rate far too large makes a batch-norm moving variance overflow); the step was
 * refused and nothing changed.
 */
export class NonFiniteWeightError extends Error {
  /** 1-based number of the refused step (for `Trainer.save`: the Trainer's step count). */
  readonly step: number;
  /** The first variable with a NaN or infinite value, named as in checkpoints (`generator/up4_norm/moving_variance`; a generator gradient ends in ` (gradient)`). */
  readonly variable: string;

  /**
   * @param step - 1-based number of the refused step.
   * @param variable - the first non-finite variable's checkpoint name.
   * @param message - replaces the default message (used by `Trainer.save`).
   */
  constructor(step: number, variable: string, message?: string) {
    super(
      message ??
        `step ${step}: the step made '${variable}' non-finite (NaN or Infinity; learning rate too large?); the step was refused and no weights or optimizer state changed`,
    );
    this.name = 'NonFiniteWeightError';
    this.step = step;
    this.variable = variable;
  }
}
