// The browser example (examples/browser/) end to end: build it with Vite into a temporary folder, open it
// in headless Chromium, train a few steps on webgl in its Web Worker, draw a label map with the mouse,
// translate it, and check the output canvas. Saves a screenshot to tmp/browser/example.png. Then loads
// float16 and uint8 generator exports (exportTfjsGenerator, what `pix2pix export` writes) through the
// page's file input and checks their translations against the same export run by tfjs in Node, and
// that a training checkpoint is refused with a pointer to `pix2pix export`. Last, opens the page as a
// visitor does: the shipped pretrained model translates a facade and a drawing before any training, and
// Train fine-tunes it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { exportTfjsGenerator, type TfjsExport } from '../../src/io/export/tfjs.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { chromiumAvailable, chromiumPath, launchChromium, openPage, repoRoot, startServer, type HarnessServer } from './harness.mjs';

const skip = !chromiumAvailable() && !process.env.CI;
// A few steps: enough to run the worker's training loop, progress and samples end to end. A barely trained
// generator outputs near-uniform grey (weights start at N(0, 0.02)), so "non-blank" below means opaque,
// many distinct colours and some spatial variation, not a plausible photo.
const STEPS = 5;
/** The pretrained model the example ships (examples/browser/public/pretrained/, MODEL.md there). */
const PRETRAINED_DIR = join(repoRoot, 'examples/browser/public/pretrained');
const PRETRAINED_SIZE = 128;
const PRETRAINED_FILTERS = 16;

/** The shipped export, loaded as an app would: plain tfjs-layers (the package's layer classes registered). */
async function loadPretrained(): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(PRETRAINED_DIR, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const weights = readFileSync(join(PRETRAINED_DIR, 'weights.bin'));
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: new Uint8Array(weights).buffer }));
}

/** RGBA pixels of a canvas, read in the page. */
async function pixels(page: Page, id: string): Promise<{ width: number; height: number; data: number[] }> {
  return page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    return { width: d.width, height: d.height, data: Array.from(d.data) };
  }, id);
}

/** Drags the mouse across the input canvas between two points given as fractions of its size. */
async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = (await page.locator('#input').boundingBox())!;
  await page.mouse.move(box.x + from[0] * box.width, box.y + from[1] * box.height);
  await page.mouse.down();
  await page.mouse.move(box.x + ((from[0] + to[0]) / 2) * box.width, box.y + ((from[1] + to[1]) / 2) * box.height, { steps: 3 });
  await page.mouse.move(box.x + to[0] * box.width, box.y + to[1] * box.height, { steps: 3 });
  await page.mouse.up();
}

describe.skipIf(skip)('browser example (Vite build, Web Worker, webgl)', () => {
  let browser: Browser;
  let server: HarnessServer;
  let outDir: string;

  beforeAll(async () => {
    if (!chromiumAvailable()) throw new Error(`Chromium is missing at ${chromiumPath} and CI is set: the browser suite must run`);
    outDir = mkdtempSync(join(tmpdir(), 'pix2pix-example-'));
    const args = [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(repoRoot, 'examples/browser/vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'];
    try {
      execFileSync(process.execPath, args, { cwd: repoRoot, stdio: 'pipe', encoding: 'utf8' });
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      throw new Error(`vite build of examples/browser failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
    }
    server = await startServer({ extraRoots: { '/app/': outDir } });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it(`trains ${STEPS} steps on webgl, translates a drawn label map (non-blank, differs from it), saves and reloads the model`, async () => {
    const page = await openPage(browser, server.url, '/app/index.html');
    // The page opens by loading the shipped model and translating once; it then sets the size select to
    // the model's size, so change the settings only after that first translation.
    await page.waitForSelector('#output[data-translations="1"]', { timeout: 120_000 });
    await page.setViewportSize({ width: 1280, height: 900 });

    // A tiny model on webgl; the page shows the backend the worker really runs.
    await page.selectOption('#size', '32');
    await page.selectOption('#filters', '4');
    await page.selectOption('#backend', 'webgl'); // already selected: no change event
    await page.click('#apply');
    // The new worker's model, not the pretrained one the page opened with (its messages may still arrive).
    await page.waitForFunction(() => document.getElementById('model-info')?.textContent?.includes('32x32') === true, undefined, { timeout: 60_000 });
    await page.waitForSelector('#backend-in-use[data-backend="webgl"]', { timeout: 60_000 });
    expect(await page.textContent('#backend-in-use')).toBe('webgl');
    expect(await page.textContent('#model-info')).toContain('32x32');

    // Train in the worker, with progress and live samples.
    await page.fill('#steps', String(STEPS));
    await page.click('#train');
    await page.waitForSelector(`#train-status[data-trained-steps="${STEPS}"]`, { timeout: 120_000 });
    expect(await page.getAttribute('#progress', 'value')).toBe(String(STEPS));
    expect(await page.textContent('#train-status')).toMatch(/Done after \d+ steps/);
    const sample = await pixels(page, 'sample-output');
    expect(sample.width).toBe(32);

    // Draw: a wall, a window (rectangle) and a door (rectangle), a balcony stroke with the brush.
    await page.click('#clear');
    await page.click('#palette button[data-class="window"]');
    await drag(page, [0.15, 0.15], [0.45, 0.4]);
    await page.click('#palette button[data-class="door"]');
    await drag(page, [0.6, 0.55], [0.85, 0.95]);
    await page.check('input[name="tool"][value="brush"]');
    await page.click('#palette button[data-class="balcony"]');
    await drag(page, [0.1, 0.5], [0.5, 0.5]);
    const input = await pixels(page, 'input');
    const at = (img: typeof input, fx: number, fy: number) => {
      const i = 4 * (Math.floor(fy * img.height) * img.width + Math.floor(fx * img.width));
      return img.data.slice(i, i + 3);
    };
    expect(at(input, 0.3, 0.28)).toEqual([0, 170, 255]); // window
    expect(at(input, 0.72, 0.75)).toEqual([170, 255, 85]); // door
    expect(at(input, 0.95, 0.05)).toEqual([0, 0, 255]); // wall

    // Translate the drawing.
    await page.click('#translate');
    await page.waitForSelector('#output[data-translations="1"]', { timeout: 60_000 });
    const output = await pixels(page, 'output');
    mkdirSync(join(repoRoot, 'tmp/browser'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'tmp/browser/example.png'), fullPage: true });
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();

    // Non-blank: opaque, and not one flat colour.
    expect([output.width, output.height]).toEqual([32, 32]);
    const n = output.width * output.height;
    let mean = 0;
    let alphaMin = 255;
    const colours = new Set<string>();
    for (let p = 0; p < n; p++) {
      const [r, g, b, a] = output.data.slice(4 * p, 4 * p + 4) as [number, number, number, number];
      mean += (r + g + b) / (3 * n);
      alphaMin = Math.min(alphaMin, a);
      colours.add(`${r},${g},${b}`);
    }
    let variance = 0;
    for (let p = 0; p < n; p++) {
      const v = (output.data[4 * p]! + output.data[4 * p + 1]! + output.data[4 * p + 2]!) / 3;
      variance += (v - mean) ** 2 / n;
    }
    let diff = 0;
    for (let i = 0; i < output.data.length; i++) if (i % 4 !== 3) diff += Math.abs(output.data[i]! - input.data[i]!) / (3 * n);
    console.info(`[browser example] output: ${colours.size} colours, mean ${mean.toFixed(1)}, std ${Math.sqrt(variance).toFixed(2)}; mean |output - input| ${diff.toFixed(1)}`);
    expect(alphaMin).toBe(255);
    expect(colours.size).toBeGreaterThanOrEqual(8);
    expect(Math.sqrt(variance)).toBeGreaterThan(0.2);
    expect(diff).toBeGreaterThan(20);


    // Save the generator to IndexedDB, load it back (a new session in the worker) and translate again:
    // the same drawing gives the same image.
    await page.click('#save');
    await page.waitForFunction(() => document.getElementById('store-status')?.textContent?.startsWith('Saved to indexeddb://'));
    await page.click('#load');
    await page.waitForFunction(() => document.getElementById('store-status')?.textContent?.startsWith('Loaded a 32x32 generator'));
    await page.click('#translate');
    await page.waitForSelector('#output[data-translations="2"]', { timeout: 60_000 });
    expect((await pixels(page, 'output')).data).toEqual(output.data);
    await page.close();
  });
  it('loads float16 and uint8 exports through the file input and translates as tfjs does in Node; refuses a training checkpoint', async () => {
    const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 21 });
    // Non-trivial moving statistics, so the export's inference graph is really exercised, and kernels
    // scaled up 10x (N(0, 0.2)), so the tiny untrained network's output is not flat grey.
    for (const [i, w] of G.nonTrainableWeights.entries()) w.write(tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', i));
    for (const w of G.trainableWeights) if (w.name.includes('kernel')) w.write(tf.mul(w.read(), 10));
    const page = await openPage(browser, server.url, '/app/index.html');
    // The page opens by loading the shipped model and translating once; it then sets the size select to
    // the model's size, so change the settings only after that first translation.
    await page.waitForSelector('#output[data-translations="1"]', { timeout: 120_000 });
    await page.selectOption('#size', '32');
    await page.selectOption('#filters', '4');
    await page.click('#apply');
    // The new worker's model, not the pretrained one the page opened with (its messages may still arrive).
    await page.waitForFunction(() => document.getElementById('model-info')?.textContent?.includes('32x32') === true, undefined, { timeout: 60_000 });
    await page.waitForSelector('#backend-in-use[data-backend="webgl"]', { timeout: 60_000 });
    let translations = 0;
    for (const q of ['float16', 'uint8'] as const) {
      const exp: TfjsExport = await exportTfjsGenerator(G, { quantize: q });
      const dir = join(outDir, `export-${q}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(exp.modelJson));
      writeFileSync(join(dir, 'weights.bin'), exp.weights);
      await page.setInputFiles('#files', [join(dir, 'model.json'), join(dir, 'weights.bin')]);
      await page.waitForFunction(() => document.getElementById('store-status')?.textContent?.startsWith('Loaded a 32x32 generator from model.json'), undefined, { timeout: 60_000 });
      await page.selectOption('#mode', 'inference');
      await page.click('#translate');
      translations++;
      await page.waitForSelector(`#output[data-translations="${translations}"]`, { timeout: 60_000 });
      const input = await pixels(page, 'input');
      const output = await pixels(page, 'output');
      // The same export, loaded by tfjs-layers in Node (cpu backend), on the same input.
      const M = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: exp.modelJson.modelTopology, weightSpecs: exp.modelJson.weightsManifest[0]!.weights, weightData: exp.weights.slice().buffer }));
      const rgb = new Float32Array(32 * 32 * 3);
      for (let p = 0; p < 32 * 32; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = input.data[4 * p + c]! / 127.5 - 1;
      const want = (M.predict(tf.tensor4d(rgb, [1, 32, 32, 3])) as tf.Tensor).dataSync();
      M.dispose();
      let max = 0;
      let spread = 0;
      for (let p = 0; p < 32 * 32; p++) {
        for (let c = 0; c < 3; c++) {
          const v = Math.min(255, Math.max(0, Math.round((want[3 * p + c]! + 1) * 127.5)));
          max = Math.max(max, Math.abs(v - output.data[4 * p + c]!));
          spread = Math.max(spread, Math.abs(v - 127.5));
        }
      }
      console.info(`[browser example] ${q} export: max |chromium webgl - node cpu| = ${max} levels`);
      expect(spread).toBeGreaterThan(20); // the output is not flat grey
      expect(max).toBeLessThanOrEqual(3);
    }
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();

    // A `pix2pix train` checkpoint is a Trainer, not a generator: the page says what to load instead.
    const trainer = new Trainer({ generator: unetGenerator({ imageSize: 32, filters: 4, seed: 1 }), discriminator: patchDiscriminator({ filters: 4, seed: 1 }), loss: compositeLoss(), seed: 1 });
    const ckpt = join(outDir, 'checkpoint');
    await trainer.save(fileCheckpoint(ckpt));
    trainer.dispose();
    await page.setInputFiles('#files', [join(ckpt, 'model.json'), join(ckpt, 'weights.bin')]);
    await page.waitForFunction(() => document.body.dataset.error !== undefined, undefined, { timeout: 60_000 });
    expect(await page.evaluate(() => document.body.dataset.error)).toMatch(/is a pix2pix train checkpoint, not a generator: export it first with 'pix2pix export/);
    G.dispose();
    await page.close();
  });

  it('opens with the shipped pretrained model: the first translation, before any training, is that model\'s and not an untrained network\'s', async () => {
    const page = await openPage(browser, server.url, '/app/index.html');
    await page.setViewportSize({ width: 1280, height: 900 });
    // No clicks: the page loads public/pretrained/ on first open and translates a random held-out facade.
    await page.waitForSelector('#output[data-translations="1"]', { timeout: 120_000 });
    expect(await page.getAttribute('#model-info', 'data-pretrained')).toBe('true');
    expect(await page.textContent('#model-info')).toContain(`${PRETRAINED_SIZE}x${PRETRAINED_SIZE}`);
    expect(await page.textContent('#train-status')).toMatch(/Pretrained model loaded/);

    // The shipped files in Node (plain tfjs-layers + the package's layer classes, cpu backend), and an
    // untrained generator of the same architecture and seed (what the recipe's training started from).
    const shipped = await loadPretrained();
    const untrained = unetGenerator({ imageSize: PRETRAINED_SIZE, filters: PRETRAINED_FILTERS, norm: 'batch', seed: 0 });
    const compare = async (label: string) => {
      const input = await pixels(page, 'input');
      const output = await pixels(page, 'output');
      expect([output.width, output.height]).toEqual([PRETRAINED_SIZE, PRETRAINED_SIZE]);
      const x = tf.tidy(() => tf.sub(tf.div(tf.tensor4d(Float32Array.from(input.data.filter((_, i) => i % 4 !== 3)), [1, input.height, input.width, 3]), 127.5), 1));
      const levels = (m: tfl.LayersModel) => tf.tidy(() => tf.clipByValue(tf.round(tf.mul(tf.add(m.predict(x) as tf.Tensor, 1), 127.5)), 0, 255).dataSync());
      const [want, fresh] = [levels(shipped), levels(untrained)];
      x.dispose();
      const page3 = output.data.filter((_, i) => i % 4 !== 3);
      const meanDiff = (a: ArrayLike<number>) => Array.from(page3).reduce((s, v, i) => s + Math.abs(v - a[i]!), 0) / page3.length;
      const [toShipped, toUntrained] = [meanDiff(want), meanDiff(fresh)];
      const std = (a: ArrayLike<number>) => {
        const m = Array.from(a).reduce((s, v) => s + v, 0) / a.length;
        return Math.sqrt(Array.from(a).reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
      };
      const [stdPage, stdUntrained] = [std(page3), std(fresh)];
      console.info(
        `[browser example] pretrained, ${label}: mean |page - shipped model in Node| ${toShipped.toFixed(2)} levels, ` +
          `|page - untrained| ${toUntrained.toFixed(1)} levels; std of the output ${stdPage.toFixed(1)}, of the untrained one ${stdUntrained.toFixed(1)}`,
      );
      expect(toShipped).toBeLessThan(1.5); // webgl in Chromium vs the cpu backend: rounding only
      // Not the untrained network: far from its output, and an image with contrast where it gives near-uniform grey.
      expect(toUntrained).toBeGreaterThan(10);
      expect(stdPage).toBeGreaterThan(3 * stdUntrained);
    };
    await compare('random held-out facade');

    // Draw a facade (wall, a row of windows, a door, a balcony) and translate it: still no training.
    await page.click('#clear');
    await page.click('#palette button[data-class="window"]');
    for (const x0 of [0.1, 0.4, 0.7]) await drag(page, [x0, 0.12], [x0 + 0.18, 0.35]);
    await page.click('#palette button[data-class="door"]');
    await drag(page, [0.4, 0.65], [0.6, 0.98]);
    await page.click('#palette button[data-class="balcony"]');
    await drag(page, [0.05, 0.42], [0.95, 0.5]);
    await page.click('#translate');
    await page.waitForSelector('#output[data-translations="2"]', { timeout: 60_000 });
    await compare('drawn label map');
    mkdirSync(join(repoRoot, 'tmp/browser'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'tmp/browser/pretrained.png'), fullPage: true });
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();

    // The second act: Train fine-tunes the loaded model (one step here: the loop runs on it).
    await page.fill('#steps', '1');
    await page.click('#train');
    await page.waitForSelector('#train-status[data-trained-steps="1"]', { timeout: 120_000 });
    expect((await pixels(page, 'sample-output')).width).toBe(PRETRAINED_SIZE);
    expect(await page.evaluate(() => document.body.dataset.error ?? null)).toBeNull();
    shipped.dispose();
    untrained.dispose();
    await page.close();
  });
});
