import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // 2 cores on CI: two workers keep both busy without thrashing tfjs' JS kernels.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' summary line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-results.json' }]],
  },
});
