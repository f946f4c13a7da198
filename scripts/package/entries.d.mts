// Types for entries.mjs.
/** Entry (as in package.json `exports`) -> names that must be functions or classes there. */
export const ENTRY_NAMES: Record<string, string[]>;
/** The import specifier of an entry. */
export function specifierOf(packageName: string, entry: string): string;
/** Node arguments that load `spec` as ESM or CommonJS and print JSON of its export names and types. */
export function probeArgs(spec: string, mode: 'esm' | 'cjs'): string[];
