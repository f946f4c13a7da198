// Size budgets of three browser bundles an app builds from this package, measured with esbuild's metafile:
// only the networks, the networks with the Trainer, and the small `/layers` entry. tfjs (a peer) is left
// external, so the bytes are this package's code and the dependencies it pulls in. Used by
// test/package/bundle_budget.test.ts (against dist/) and scripts/package/consumer.mjs (against the packed
// package installed in a fresh project). Plain JS so the consumer check runs without a TypeScript step.
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/**
 * The consumer bundles and their budgets (minified bytes of this package's share; tfjs external).
 * `forbidden` names packages that must not appear in the bundle at all.
 */
export const BUNDLE_BUDGETS = [
  {
    name: 'networks only',
    code: "import { unetGenerator, patchDiscriminator } from '@acme/pix2pix';\nconsole.log(unetGenerator, patchDiscriminator);\n",
    budget: 30_000, // measured 23.4 KB (8.5 KB gzip), 2026-12-07
    forbidden: ['protobufjs', 'long', 'fflate', 'pngjs', 'jpeg-js', 'commander', 'cli-progress'],
  },
  {
    name: 'networks + Trainer',
    code: "import { unetGenerator, patchDiscriminator, compositeLoss, Trainer } from '@acme/pix2pix';\nconsole.log(unetGenerator, patchDiscriminator, compositeLoss, Trainer);\n",
    budget: 80_000, // measured 63.4 KB (21.8 KB gzip)
    forbidden: ['protobufjs', 'long', 'pngjs', 'jpeg-js', 'commander', 'cli-progress'],
  },
  {
    name: '@acme/pix2pix/layers',
    code: "import '@acme/pix2pix/layers';\n",
    budget: 8_000, // measured 6.8 KB (2.5 KB gzip)
    forbidden: ['protobufjs', 'long', 'fflate', 'pngjs', 'jpeg-js', 'commander', 'cli-progress'],
  },
];

/** The npm package an esbuild input path belongs to, or undefined for files outside node_modules. */
function packageOf(input) {
  const i = input.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  const parts = input.slice(i + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/**
 * Bundles each consumer of {@link BUNDLE_BUDGETS} for the browser (ESM, minified, tfjs external), resolving
 * `@acme/pix2pix` from `resolveDir` (a project that has it installed, or this repository: a package resolves
 * its own name through its exports map). Returns one row per bundle: minified and gzip bytes, the bytes per
 * dependency package, and the budget.
 */
export async function measureBundles(resolveDir) {
  const rows = [];
  for (const b of BUNDLE_BUDGETS) {
    const result = await esbuild.build({
      stdin: { contents: b.code, resolveDir, sourcefile: 'consumer.mjs', loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      external: ['@tensorflow/*'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const text = result.outputFiles[0].contents;
    const output = Object.values(result.metafile.outputs)[0];
    const packages = {};
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      if (name !== undefined && bytesInOutput > 0) packages[name] = (packages[name] ?? 0) + bytesInOutput;
    }
    rows.push({ name: b.name, bytes: text.length, gzip: gzipSync(text).length, budget: b.budget, packages, forbidden: b.forbidden });
  }
  return rows;
}

/** The ways a measured row breaks its budget (empty when it holds). */
export function budgetProblems(row) {
  const problems = [];
  if (row.bytes > row.budget) problems.push(`${row.name}: ${row.bytes} bytes minified, over its budget of ${row.budget}`);
  for (const p of row.forbidden) if (row.packages[p] !== undefined) problems.push(`${row.name}: carries ${p} (${row.packages[p]} bytes)`);
  return problems;
}
