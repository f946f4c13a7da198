/**
 * Boundary validation helpers. Every public factory validates its options here so that errors read the
 * same everywhere and always quote the value that was received.
 * @internal
 */

/** Formats a received value for an error message: strings quoted, everything else via JSON. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Throws `RangeError("<what> must be <rule> (got <value>)")` unless `ok`. */
export function check(ok: boolean, what: string, rule: string, value: unknown): void {
  if (!ok) throw new RangeError(`${what} must be ${rule} (got ${describe(value)})`);
}

/** Asserts `value` is an integer >= `min`. */
export function checkInt(value: unknown, what: string, min = 1): asserts value is number {
  check(typeof value === 'number' && Number.isInteger(value) && value >= min, what, `an integer >= ${min}`, value);
}

/** Asserts `value` is a finite number in `[lo, hi]` (or `[lo, hi)` when `hiOpen`). */
export function checkRange(value: unknown, what: string, lo: number, hi: number, hiOpen = false): asserts value is number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= lo && (hiOpen ? value < hi : value <= hi);
  check(ok, what, `a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}`, value);
}

/** Asserts `value` is one of `allowed` and narrows it. */
export function checkOneOf<T extends string | number>(value: unknown, what: string, allowed: readonly T[]): asserts value is T {
  check((allowed as readonly unknown[]).includes(value), what, `one of ${allowed.map(describe).join(' | ')}`, value);
}

/** For exhaustive `switch` statements over string unions. */
export function assertNever(value: never, what: string): never {
  throw new RangeError(`unknown ${what} (got ${describe(value)})`);
}
