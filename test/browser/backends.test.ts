// The backends in a real browser: for webgl and webgpu (headless Chromium, SwiftShader software
// rendering), the BUILT package (dist/) trains a tiny pix2pix, matches the cpu backend's forward output,
// generates in both modes and round-trips through IndexedDB (pages/backends.js); on wasm, with this
// package's training kernels, it trains with the cpu backend's losses (pages/wasm.js). This file
// launches the browser and asserts on the plain-JSON reports the pages return.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, chromiumPath, launchChromium, openPage, repoRoot, startServer, type HarnessServer } from './harness.mjs';

const inCi = Boolean(process.env.CI);
const skip = !chromiumAvailable() && !inCi;
if (skip) {
  console.warn(
    `\n!!! BROWSER TESTS SKIPPED: no Chromium at ${chromiumPath}. Install it (apt-get install -y chromium) or set ` +
      'CHROMIUM_PATH. With CI set, a missing Chromium fails the suite instead. !!!\n',
  );
}

interface StepStats {
  [key: string]: unknown;
}
interface Report {
  requested: string;
  backend: string;
  backendAfterCpu: string;
  cpuBackendUsed: string;
  device: string;
  stats: StepStats[];
  numTensors: number[];
  stepMs: number[];
  cpuParityMaxAbsDiff: number;
  outputRange: [number, number];
  generate: {
    paperShape: number[];
    inferenceShape: number[];
    paperFinite: boolean;
    inferenceFinite: boolean;
    paperVsInference: number;
    inferenceVsPredict: number;
    predictChangedByPaperMode: number;
  };
  indexedDb: {
    models: string[];
    generatorMaxAbsDiff: number;
    discriminatorMaxAbsDiff: number;
    loadedParams: number;
    originalParams: number;
  };
  checkpoint: {
    generateMaxAbsDiff: number;
    stepOriginal: number;
    stepResumed: number;
    gLossOriginal: number;
    gLossResumed: number;
    dLossOriginal: number;
    dLossResumed: number;
  };
  tensorsAtStart: number;
  tensorsAtEnd: number;
}

/** Every numeric leaf of a step's stats (whatever the Trainer names them). */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbersIn);
  return [];
}

describe.skipIf(skip)('backends in headless Chromium', () => {
  let browser: Browser;
  let server: HarnessServer;

  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(`Chromium is missing at ${chromiumPath} and CI is set: the browser suite must run`);
    if (!existsSync(`${repoRoot}dist/index.js`)) throw new Error('dist/index.js is missing: run `npm run build` first');
    server = await startServer();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const backend of ['webgl', 'webgpu'] as const) {
    it(`${backend}: trains, matches cpu, generates, round-trips through IndexedDB`, async () => {
      const page = await openPage(browser, server.url, '/pages/backends.html');
      await page.waitForFunction(() => (window as unknown as { backendChecksReady?: boolean }).backendChecksReady === true);
      const report = (await page.evaluate(
        (name) => (window as unknown as { runBackendChecks(n: string): Promise<unknown> }).runBackendChecks(name),
        backend,
      )) as Report;
      await page.close();
      console.info(
        `[browser ${backend}] device: ${report.device}; step ms: ${report.stepMs.map((t) => t.toFixed(0)).join(', ')}; ` +
          `cpu parity ${report.cpuParityMaxAbsDiff.toExponential(2)}; tensors ${report.numTensors.join(', ')}; ` +
          `predict changed by paper-mode generate: ${report.generate.predictChangedByPaperMode.toExponential(2)}`,
      );

      // It really ran on the backend it names, and came back to it after the cpu comparison.
      expect(report.backend).toBe(backend);
      expect(report.backendAfterCpu).toBe(backend);
    expect(report.cpuBackendUsed).toBe('cpu');

      // 3 steps, every reported number finite, losses among them.
      expect(report.stats).toHaveLength(3);
      for (const stats of report.stats) {
        const values = numbersIn(stats);
        expect(values.length).toBeGreaterThanOrEqual(2);
        for (const v of values) expect(Number.isFinite(v)).toBe(true);
      }
      // No leak: the tensor count is flat after the first step (optimizer slots are created there).
      expect(report.numTensors[2]).toBe(report.numTensors[1]);
      expect(report.numTensors[1]).toBe(report.numTensors[0]);

      // Same weights, same input: this backend's forward pass equals the cpu backend's.
      expect(report.cpuParityMaxAbsDiff).toBeLessThanOrEqual(1e-3);
      expect(report.outputRange[0]).toBeGreaterThanOrEqual(-1);
      expect(report.outputRange[1]).toBeLessThanOrEqual(1);
      expect(report.outputRange[1] - report.outputRange[0]).toBeGreaterThan(0);

      // generate(): both modes give images; paper mode (dropout, batch statistics) is not inference mode,
      // and inference mode is the plain forward pass.
      const g = report.generate;
      expect(g.paperShape).toEqual([1, 32, 32, 3]);
      expect(g.inferenceShape).toEqual([1, 32, 32, 3]);
      expect(g.paperFinite && g.inferenceFinite).toBe(true);
      expect(g.paperVsInference).toBeGreaterThan(1e-4);
      expect(g.inferenceVsPredict).toBeLessThanOrEqual(1e-6);

      // IndexedDB: both models were stored and load back with identical outputs.
      const db = report.indexedDb;
      expect(db.models).toEqual([`indexeddb://pix2pix-browser-test-${backend}-D`, `indexeddb://pix2pix-browser-test-${backend}-G`]);
      expect(db.loadedParams).toBe(db.originalParams);
      expect(db.generatorMaxAbsDiff).toBe(0);
      expect(db.discriminatorMaxAbsDiff).toBe(0);

      // The Trainer's checkpoint through IndexedDB: same images, and the resumed run takes the same step 4.
      const ck = report.checkpoint;
      expect(ck.generateMaxAbsDiff).toBe(0);
      expect(ck.stepOriginal).toBe(4);
      expect(ck.stepResumed).toBe(4);
      expect(Math.abs(ck.gLossResumed - ck.gLossOriginal)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ck.gLossOriginal)));
      expect(Math.abs(ck.dLossResumed - ck.dLossOriginal)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ck.dLossOriginal)));

      // Nothing created by the scenario outlives it.
      expect(report.tensorsAtEnd).toBe(report.tensorsAtStart);
    });
  }

  it('wasm with enableWasmTraining (initWasmBackend, 1 thread): trains with the cpu losses, no leak', async () => {
    const page = await openPage(browser, server.url, '/pages/wasm.html');
    await page.waitForFunction(() => (window as unknown as { wasmChecksReady?: boolean }).wasmChecksReady === true);
    const report = (await page.evaluate(() => (window as unknown as { runWasmChecks(): Promise<unknown> }).runWasmChecks())) as {
      info: { threads: number; simd: boolean; training: boolean };
      backendUsed: string;
      wasm: { d: number[]; g: number[]; numTensors: number[] };
      cpu: { d: number[]; g: number[] };
      outputMaxAbsDiff: number;
    };
    await page.close();
    console.info(`[browser wasm] ${JSON.stringify(report.info)}; G losses wasm ${report.wasm.g.map((v) => v.toFixed(4)).join(', ')}`);
    expect(report.backendUsed).toBe('wasm');
    expect(report.info).toEqual({ threads: 1, xnnpackThreads: 1, simd: true, training: true });
    for (let i = 0; i < report.cpu.g.length; i++) {
      const tol = (v: number) => 1e-3 * Math.max(1, Math.abs(v));
      expect(Math.abs(report.wasm.d[i]! - report.cpu.d[i]!), `D loss step ${i + 1}`).toBeLessThanOrEqual(tol(report.cpu.d[i]!));
      expect(Math.abs(report.wasm.g[i]! - report.cpu.g[i]!), `G loss step ${i + 1}`).toBeLessThanOrEqual(tol(report.cpu.g[i]!));
    }
    expect(report.cpu.g[report.cpu.g.length - 1]).not.toBe(report.cpu.g[0]); // training moved the losses
    expect(report.outputMaxAbsDiff).toBeLessThanOrEqual(1e-3);
    expect(new Set(report.wasm.numTensors.slice(1)).size).toBe(1); // flat after the first step
  });
});
