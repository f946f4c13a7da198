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

/** Edit distance (insert, delete, substitute, adjacent swap) between two short strings. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The entry of `candidates` closest to `name` (case-insensitive edit distance), or undefined when none is close. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(name.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Asserts `options` is an object (or undefined) with no keys outside `allowed`, so that typos are caught:
 * `unknown option 'fliters' of unetGenerator (did you mean 'filters'?)`. `what` names the options' owner.
 */
export function checkKeys(options: unknown, allowed: readonly string[], what: string): void {
  if (options === undefined) return;
  check(options !== null && typeof options === 'object' && !Array.isArray(options), `options of ${what}`, 'an object', options);
  for (const key of Object.keys(options as object)) {
    if (allowed.includes(key)) continue;
    const near = closestName(key, allowed);
    const hint = near ? ` (did you mean '${near}'?)` : ` (valid options: ${allowed.join(', ')})`;
    throw new RangeError(`unknown option '${key}' of ${what}${hint}`);
  }
}
