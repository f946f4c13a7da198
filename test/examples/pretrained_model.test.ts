// The pretrained facade model shipped with the browser example (examples/browser/public/pretrained/):
// its files load in a plain Node process with stock tfjs and `@acme/pix2pix/layers` (the BUILT entry, as
// an app would), its weights stay under the size budget, and its held-out metrics on the first pairs
// match the model card's, whose numbers scikit-image computed (test/fixtures/pretrained/metrics.json,
// written by scripts/fixtures/make_pretrained_metrics.py from scripts/pretrain/evaluate.mjs's PNGs).
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { facadeSample } from '../../src/data/facades/sample.js';
import { psnr } from '../../src/metrics/psnr.js';
import { ssim } from '../../src/metrics/ssim.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = join(root, 'examples/browser/public/pretrained');
/** The budget for the shipped weights. */
const MAX_WEIGHT_BYTES = 8 * 1024 * 1024;
/** Held-out pairs translated here (the card's numbers are over all of the fixture's). */
const PAIRS = 8;

interface Metrics {
  l1: number;
  psnr: number;
  ssim: number;
  ssimGaussian: number;
}
interface Fixture {
  heldOut: { count: number; offset: number; seed: number; size: number };
  models: Record<string, { count: number; size: number; mean: Metrics; perImage: Metrics[] }>;
}
const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/pretrained/metrics.json'), 'utf8')) as Fixture;
const { size, offset, seed } = fixture.heldOut;

const tmp = mkdtempSync(join(tmpdir(), 'pix2pix-pretrained-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Translates `inputs` (uint8 label maps, [n, size, size, 3]) with the shipped files in a fresh Node
 * process that imports only stock tfjs and `@acme/pix2pix/layers`; returns the 8-bit outputs.
 */
function translateInPlainNode(inputs: Uint8Array, n: number): Uint8Array {
  const inFile = join(tmp, 'inputs.bin');
  const outFile = join(tmp, 'outputs.bin');
  writeFileSync(inFile, inputs);
  const code = `
    import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    import * as tfl from '@tensorflow/tfjs-layers';
    import '@acme/pix2pix/layers';
    import { readFileSync, writeFileSync } from 'node:fs';
    await tf.setBackend('cpu');
    const dir = ${JSON.stringify(dir)};
    const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));
    const w = readFileSync(dir + '/weights.bin');
    const model = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(w).buffer }));
    const x = tf.sub(tf.div(tf.tensor4d(new Uint8Array(readFileSync(${JSON.stringify(inFile)})), [${n}, ${size}, ${size}, 3], 'float32'), 127.5), 1);
    const y = tf.clipByValue(tf.round(tf.mul(tf.add(model.predict(x), 1), 127.5)), 0, 255);
    writeFileSync(${JSON.stringify(outFile)}, Uint8Array.from(y.dataSync()));
    console.log(JSON.stringify({ params: model.countParams(), input: model.inputs[0].shape }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  const info = JSON.parse(out.trim().split('\n').pop()!) as { params: number; input: Array<number | null> };
  expect(info.input).toEqual([null, null, null, 3]);
  expect(info.params).toBeGreaterThan(1e6);
  return new Uint8Array(readFileSync(outFile));
}

describe('pretrained facade model (examples/browser/public/pretrained)', () => {
  it(`ships uint8 weights under 8 MiB with a model card`, () => {
    const bytes = statSync(join(dir, 'weights.bin')).size;
    expect(bytes).toBeLessThan(MAX_WEIGHT_BYTES);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    const specs = json.weightsManifest[0]!.weights;
    expect(specs.length).toBeGreaterThan(0);
    for (const s of specs) expect(s.quantization?.dtype, s.name).toBe('uint8');
    expect(readFileSync(join(dir, 'MODEL.md'), 'utf8')).toMatch(/synthetic/i);
  });

  it(`loads with plain tfjs + @acme/pix2pix/layers and reproduces the card's held-out metrics on the first ${PAIRS} pairs`, () => {
    const px = size * size * 3;
    const inputs = new Uint8Array(PAIRS * px);
    const targets = new Uint8Array(PAIRS * px);
    for (let i = 0; i < PAIRS; i++) {
      const s = facadeSample(offset + i, { size, seed });
      inputs.set(s.labelRgb, i * px);
      targets.set(s.photo, i * px);
    }
    const outputs = translateInPlainNode(inputs, PAIRS);
    expect(outputs.length).toBe(PAIRS * px);

    const want = fixture.models['shipped-uint8']!;
    expect(want.size).toBe(size);
    const shape: [number, number, number, number] = [PAIRS, size, size, 3];
    // The package's metrics on the 8-bit images: PSNR on them mapped to [-1, 1] (range 2) equals PSNR on
    // 0..255; SSIM on 0..255 in both of scikit-image's windows (7x7 uniform default, 11x11 Gaussian).
    const [got, y, t] = tf.tidy(() => {
      const y8 = tf.tensor4d(outputs, shape, 'float32');
      const t8 = tf.tensor4d(targets, shape, 'float32');
      const toPm1 = (v: tf.Tensor4D) => tf.sub(tf.div(v, 127.5), 1) as tf.Tensor4D;
      const l1 = tf.div(tf.mean(tf.abs(tf.sub(y8, t8)), [1, 2, 3]), 127.5);
      return [
        { l1: l1.arraySync() as number[], psnr: psnr(toPm1(y8), toPm1(t8)).arraySync(), ssim: ssim(y8, t8, { range: '[0,255]' }).arraySync(), ssimGaussian: ssim(y8, t8, { range: '[0,255]', variant: 'gaussian11' }).arraySync() },
        y8,
        t8,
      ];
    });
    tf.dispose([y, t]);
    for (let i = 0; i < PAIRS; i++) {
      const w = want.perImage[i]!;
      expect(got.l1[i]!, `L1 of pair ${i}`).toBeCloseTo(w.l1, 4);
      expect(got.psnr[i]!, `PSNR of pair ${i}`).toBeCloseTo(w.psnr, 2);
      expect(got.ssim[i]!, `SSIM (7x7 uniform) of pair ${i}`).toBeCloseTo(w.ssim, 3);
      expect(got.ssimGaussian[i]!, `SSIM (Gaussian) of pair ${i}`).toBeCloseTo(w.ssimGaussian, 3);
    }
    // And better than the untrained network on the same pairs (what training bought).
    const untrained = fixture.models['untrained']!;
    const mean = (k: 'l1' | 'psnr', m: Metrics[]) => m.slice(0, PAIRS).reduce((s, v) => s + v[k], 0) / PAIRS;
    expect(mean('l1', want.perImage)).toBeLessThan(mean('l1', untrained.perImage));
    expect(mean('psnr', want.perImage)).toBeGreaterThan(mean('psnr', untrained.perImage));
  });

  it("the model card states the fixture's held-out means", () => {
    const card = readFileSync(join(dir, 'MODEL.md'), 'utf8');
    const m = fixture.models['shipped-uint8']!.mean;
    for (const v of [m.l1.toFixed(4), m.psnr.toFixed(2), m.ssim.toFixed(4)]) expect(card).toContain(v);
  });
});
