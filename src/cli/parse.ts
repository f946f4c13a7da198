// Command-line values: decimal numbers only (no hex, octal, binary, `Infinity` or blanks), sizes checked
// against the largest image the package handles before anything is allocated, and one value per flag
// (a flag given twice with different values is an error naming both).
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { MAX_IMAGE_PIXELS } from '../node/image_io.js';
import { CliError } from './backend.js';

const INTEGER = /^-?\d+$/;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Commander value parser: a decimal integer >= `min`. */
export const intArg =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!INTEGER.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}, in decimal (got '${value}')`);
    return n;
  };

/** Commander value parser: a finite decimal number >= `min` (`2e-4` is fine; `0x10`, `Infinity` are not). */
export const numArg =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!DECIMAL.test(value) || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`must be a number >= ${min}, in decimal (got '${value}')`);
    return n;
  };

/**
 * Commander value parser: the side of a square image (an integer >= `min`) whose `halves` squares fit in
 * {@link MAX_IMAGE_PIXELS} (the largest image the package reads or writes): refused before allocation.
 */
export const sideArg =
  (min: number, halves = 1) =>
  (value: string): number => {
    const n = intArg(min)(value);
    if (n * n * halves > MAX_IMAGE_PIXELS) {
      throw new InvalidArgumentError(`${halves > 1 ? `${halves} squares of ${n}x${n}` : `${n}x${n}`} pixels exceed the limit of ${MAX_IMAGE_PIXELS} pixels per image (got '${value}')`);
    }
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

/** The command line after the subcommand's name (the root's raw arguments). */
function argsOf(cmd: Command): string[] {
  let root = cmd;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
  const at = raw.indexOf(cmd.name(), 2);
  return at < 0 ? [] : raw.slice(at + 1);
}

/**
 * Refuses a flag that takes a value given more than once with different values (commander would keep
 * the last silently): `--lr 0.1 and --lr 0.2: one value per flag`. The same value twice is fine.
 * @throws CliError naming both.
 */
export function refuseRepeatedFlags(cmd: Command): void {
  const byLong = new Map<string, Option>();
  for (const o of cmd.options) if (o.long && (o.required || o.optional) && !o.variadic) byLong.set(o.long, o);
  const seen = new Map<string, string>();
  const args = argsOf(cmd);
  for (let i = 0; i < args.length; i++) {
    const tok = args[i]!;
    if (tok === '--') break;
    if (!tok.startsWith('--')) continue;
    const eq = tok.indexOf('=');
    const name = eq < 0 ? tok : tok.slice(0, eq);
    if (!byLong.has(name)) continue;
    const value = eq < 0 ? args[++i] : tok.slice(eq + 1);
    if (value === undefined) continue;
    const before = seen.get(name);
    if (before !== undefined && before !== value) throw new CliError(`${name} ${before} and ${name} ${value}: a flag takes one value; give it once`);
    seen.set(name, value);
  }
}
