import { InvalidArgumentError } from 'commander';

/** Commander value parser: an integer >= `min`. */
export const intArg =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
    return n;
  };

/** Commander value parser: a finite number >= `min`. */
export const numArg =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`must be a number >= ${min}`);
    return n;
  };

/** Commander value parser: one of `allowed`. */
export const oneOfArg =
  <T extends string | number>(allowed: readonly T[]) =>
  (value: string): T => {
    const hit = allowed.find((a) => String(a) === value);
    if (hit === undefined) throw new InvalidArgumentError(`must be one of ${allowed.join(', ')}`);
    return hit;
  };
