// What the fuzz worker (worker.ts) and the test (fuzz.test.ts) share: the formats and one case's result line.

/** File formats the fuzz test mutates. */
export const FUZZ_FORMATS = ['torch-zip', 'torch-legacy', 'png', 'jpeg', 'checkpoint'] as const;
/** One of {@link FUZZ_FORMATS}. */
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

/** One case, as the worker reports it (one JSON line). */
export interface FuzzResult {
  /** Case index (the mutation is derived from the seed and this). */
  i: number;
  /** The mutation, in words. */
  how: string;
  /** Input size in bytes. */
  size: number;
  /**
   * `ok`: loaded; `own-error`: an error of this package's classes; `import-error`: an Error (not a TypeError) from
   * the torch importer's architecture matching, after the file was read (its message is still checked); `foreign-error`: anything else.
   * The parent adds `hang` and `crash`.
   */
  outcome: 'ok' | 'own-error' | 'import-error' | 'foreign-error' | 'hang' | 'crash';
  /** Error class name. */
  name?: string;
  /** Error message. */
  message?: string;
  /** Peak RSS the case added, KiB. */
  addedKiB: number;
}
