// Types for bundles.mjs (plain JS so the consumer check runs without a TypeScript step).

/** One consumer bundle and its budget. */
export interface BundleBudget {
  /** What the consumer imports, in words. */
  name: string;
  /** The consumer module's source. */
  code: string;
  /** Most minified bytes allowed (this package's share; tfjs external). */
  budget: number;
  /** Packages that must not appear in the bundle. */
  forbidden: string[];
}
/** A measured bundle. */
export interface BundleRow {
  name: string;
  /** Minified bytes. */
  bytes: number;
  /** Gzip bytes of the minified bundle. */
  gzip: number;
  budget: number;
  /** Bytes in the output per dependency package (files under node_modules). */
  packages: Record<string, number>;
  forbidden: string[];
}
/** The consumer bundles and their budgets. */
export const BUNDLE_BUDGETS: BundleBudget[];
/** Bundles each consumer, resolving `@acme/pix2pix` from `resolveDir`. */
export function measureBundles(resolveDir: string): Promise<BundleRow[]>;
/** The ways a measured row breaks its budget (empty when it holds). */
export function budgetProblems(row: BundleRow): string[];
