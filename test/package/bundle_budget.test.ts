// Browser bundle budgets: an app that imports only the networks, the networks and the Trainer, or only
// `@acme/pix2pix/layers` is bundled with esbuild from the BUILT package (dist/, through the exports map), and
// esbuild's metafile says which packages the bundle carries. A budget or a forbidden package (protobufjs,
// the Node-only image and CLI libraries) fails the test. The same check runs on the packed package in
// scripts/package/consumer.mjs.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGETS, budgetProblems, measureBundles, type BundleRow } from '../../scripts/package/bundles.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('browser bundle budgets', () => {
  it('each consumer bundle stays within its budget and carries no forbidden package', async () => {
    const rows = await measureBundles(root);
    expect(rows.map((r) => r.name)).toEqual(BUNDLE_BUDGETS.map((b) => b.name));
    for (const row of rows) {
      console.log(`${row.name}: ${row.bytes} B minified, ${row.gzip} B gzip (budget ${row.budget}); packages ${JSON.stringify(row.packages)}`);
      expect(budgetProblems(row)).toEqual([]);
      // Not an empty bundle: the networks are several KB of code.
      expect(row.bytes).toBeGreaterThan(2_000);
    }
    const [networks, trainer] = rows as [BundleRow, BundleRow];
    expect(trainer.bytes).toBeGreaterThan(networks.bytes);
  }, 60_000);

  it('the checker flags an oversized bundle and a forbidden package', () => {
    const row: BundleRow = { name: 'x', bytes: 200_000, gzip: 1, budget: 30_000, packages: { protobufjs: 95_000 }, forbidden: ['protobufjs'] };
    expect(budgetProblems(row)).toEqual(['x: 200000 bytes minified, over its budget of 30000', 'x: carries protobufjs (95000 bytes)']);
  });
});
