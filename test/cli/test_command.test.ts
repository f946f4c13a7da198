// `pix2pix test` end to end (the built CLI): results page, images, metrics recomputed here from the
// written PNGs, inputs alone, --eval vs paper mode, and refusing results folders with foreign files.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FACADE_CLASSES } from '../../src/data/facades/palette.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { ssim } from '../../src/metrics/ssim.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';
import { decodeImage } from '../../src/node/image_io.js';
import { ctx, pix2pix, root, useCli } from './harness.js';

/** The entries of a folder without hidden ones (the program's write record, `.pix2pix-written.json`). */
const visible = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('.'));

useCli('test-cmd');

beforeAll(async () => {
  // A tiny generator saved as a plain model folder, and 3 facade pairs (A|B, 32x32 halves).
  const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 2 });
  await G.save(fileCheckpoint(join(ctx.tmp, 'model')));
  G.dispose();
  const r = await pix2pix('make-dataset', '--out', 'data', '--count', '3', '--size', '32');
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

const png = async (p: string) => decodeImage(new Uint8Array(await readFile(p)));

describe('pix2pix test', () => {
  it('--help says which mode is the default', async () => {
    const r = await pix2pix('test', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: pix2pix test');
    expect(r.stdout).toMatch(/--eval\s+inference mode/);
    expect(r.stdout).toMatch(/Default: paper mode/);
  });

  it('writes index.html with every image and its columns, images/, metrics that match the PNGs', async () => {
    const r = await pix2pix('test', '--model', 'model', '--data', 'data', '--results', 'res', '--eval', '--backend', 'cpu');
    expect(r.stderr).toMatch(/mode inference/);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/3 image\(s\) scored/);
    const names = (await visible(join(ctx.tmp, 'data'))).map((f) => f.replace(/\.png$/, '')).sort();
    expect(names).toHaveLength(3);
    const html = await readFile(join(ctx.tmp, 'res/index.html'), 'utf8');
    expect(html).toMatch(/<th>name<\/th><th>input<\/th><th>output<\/th><th>target<\/th>/);
    expect(html).toContain('<table class="summary">');
    const json = JSON.parse(await readFile(join(ctx.tmp, 'res/metrics.json'), 'utf8'));
    expect(json.mode).toBe('inference');
    expect(json.images.map((i: { name: string }) => i.name)).toEqual(names);
    const csv = (await readFile(join(ctx.tmp, 'res/metrics.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('name,l1,l2,mae,psnr,ssim,ssimGaussian');
    expect(csv.map((l) => l.split(',')[0])).toEqual(['name', ...names, 'mean', 'std']);
    const l1s: number[] = [];
    for (const [i, name] of names.entries()) {
      for (const col of ['real_A', 'fake_B', 'real_B']) {
        expect(html).toContain(`<img src="images/${name}_${col}.png" width="32" height="32"`);
      }
      const out = await png(join(ctx.tmp, `res/images/${name}_fake_B.png`));
      const tgt = await png(join(ctx.tmp, `res/images/${name}_real_B.png`));
      // The target is the B half of the data file, unchanged.
      const ab = await png(join(ctx.tmp, 'data', `${name}.png`));
      for (const y of [0, 17, 31]) for (const x of [0, 9, 31]) for (const c of [0, 1, 2]) expect(tgt.data[(y * 32 + x) * 3 + c]).toBe(ab.data[(y * 64 + 32 + x) * 3 + c]);
      let s1 = 0;
      let s2 = 0;
      for (let k = 0; k < out.data.length; k++) {
        const d = (out.data[k]! - tgt.data[k]!) / 127.5;
        s1 += Math.abs(d);
        s2 += d * d;
      }
      const m = json.images[i].metrics;
      expect(m.l1).toBeCloseTo(s1 / out.data.length, 5);
      expect(m.l2).toBeCloseTo(s2 / out.data.length, 5);
      expect(m.psnr).toBeCloseTo(10 * Math.log10(4 / (s2 / out.data.length)), 3);
      const t = (img: typeof out) => tf.tensor4d(Array.from(img.data, (v) => v / 127.5 - 1), [1, 32, 32, 3]);
      const s = ssim(t(out), t(tgt)); // ssim() itself is checked against scikit-image in test/metrics
      expect(m.ssim).toBeCloseTo(s.dataSync()[0]!, 4);
      expect(m.mae).toBeCloseTo((127.5 * s1) / out.data.length, 6);
      expect(Number(csv[i + 1]!.split(',')[1])).toBeCloseTo(m.l1, 10);
      l1s.push(s1 / out.data.length);
    }
    const mean = l1s.reduce((a, b) => a + b) / 3;
    expect(json.mean.l1).toBeCloseTo(mean, 5);
    expect(json.std.l1).toBeCloseTo(Math.sqrt(l1s.reduce((a, b) => a + (b - mean) ** 2, 0) / 3), 5);
  });

  it('reruns into its own results folder (paper mode by default) and refuses a folder with foreign files', async () => {
    const a = await pix2pix('test', '--model', 'model', '--data', 'data', '--results', 'res', '--num-test', '2', '--backend', 'cpu');
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/mode paper/);
    const json = JSON.parse(await readFile(join(ctx.tmp, 'res/metrics.json'), 'utf8'));
    expect(json.mode).toBe('paper');
    expect(json.images).toHaveLength(2);
    expect((await visible(join(ctx.tmp, 'res/images'))).length).toBe(6); // the third image's files were removed
    await writeFile(join(ctx.tmp, 'res/notes.txt'), 'mine');
    const b = await pix2pix('test', '--model', 'model', '--data', 'data', '--results', 'res', '--backend', 'cpu');
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/holds files this program did not write \(notes\.txt\)/);
    expect(await readFile(join(ctx.tmp, 'res/notes.txt'), 'utf8')).toBe('mine');
    await mkdir(join(ctx.tmp, 'other'));
    await writeFile(join(ctx.tmp, 'other/keep.txt'), 'x');
    const c = await pix2pix('test', '--model', 'model', '--data', 'data', '--results', 'other', '--backend', 'cpu');
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/not empty and is not a results folder/);
  });

  it('takes a PyTorch .pth with --arch (a reference unet_32 fixture) and refuses --arch with a folder', async () => {
    const pth = join(root, 'test/fixtures/torch/unet5_batch.pth');
    const r = await pix2pix('test', '--model', pth, '--arch', 'unet', '--data', 'data', '--results', 'res-pth', '--eval', '--num-test', '1', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`PyTorch state dict ${pth}`);
    expect(JSON.parse(await readFile(join(ctx.tmp, 'res-pth/metrics.json'), 'utf8')).images).toHaveLength(1);
    const bad = await pix2pix('test', '--model', 'model', '--arch', 'unet', '--data', 'data', '--results', 'res-bad', '--backend', 'cpu');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--arch applies to a \.pth file only/);
  });

  it('--segmenter adds the segmentation score to the summary, metrics.json and the page', async () => {
    const k = FACADE_CLASSES.length;
    const seg = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: k, kernelSize: 1 })] });
    await seg.save(fileCheckpoint(join(ctx.tmp, 'seg')));
    seg.dispose();
    const r = await pix2pix('test', '--model', 'model', '--data', 'data', '--results', 'res-seg', '--eval', '--segmenter', 'seg', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/segmentation: per-pixel acc\. [0-9.]+, per-class acc\. [0-9.]+, class IoU [0-9.]+/);
    const json = JSON.parse(await readFile(join(ctx.tmp, 'res-seg/metrics.json'), 'utf8'));
    expect(json.segmentation.pixelAccuracy).toBeGreaterThanOrEqual(0);
    expect(json.segmentation.pixelAccuracy).toBeLessThanOrEqual(1);
    expect(await readFile(join(ctx.tmp, 'res-seg/index.html'), 'utf8')).toContain('class IoU');
  });

  it('inputs alone: outputs, no target column, no metrics', async () => {
    await mkdir(join(ctx.tmp, 'inputs'));
    const G = await png(join(ctx.tmp, 'res/images', (await readdir(join(ctx.tmp, 'res/images'))).find((f) => f.endsWith('_real_A.png'))!));
    const { encodePng } = await import('../../src/node/image_io.js');
    await writeFile(join(ctx.tmp, 'inputs/x.png'), encodePng(G));
    const r = await pix2pix('test', '--model', 'model', '--data', 'inputs', '--results', 'res-in', '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no targets: no metrics/);
    const html = await readFile(join(ctx.tmp, 'res-in/index.html'), 'utf8');
    expect(html).not.toContain('<th>target</th>');
    expect(html).toContain('images/x_fake_B.png');
    expect(JSON.parse(await readFile(join(ctx.tmp, 'res-in/metrics.json'), 'utf8')).mean).toBeNull();
  });
});

describe('pix2pix export', () => {
  it('writes tfjs folders (float32, float16, uint8) that plain tfjs loads, refuses to overwrite', async () => {
    const sizes: Record<string, number> = {};
    for (const q of ['', 'float16', 'uint8']) {
      const out = `exp-${q || 'float32'}`;
      const r = await pix2pix('export', '--model', 'model', '--out', out, '--format', 'tfjs', ...(q ? ['--quantize', q] : []), '--backend', 'cpu');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`${q || 'float32'} weights`);
      expect((await readdir(join(ctx.tmp, out))).sort()).toEqual(['model.json', 'weights.bin']);
      sizes[q || 'float32'] = (await readFile(join(ctx.tmp, out, 'weights.bin'))).byteLength;
      const json = JSON.parse(await readFile(join(ctx.tmp, out, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(JSON.stringify(json.modelTopology)).not.toContain('SeededDropout');
    }
    expect(sizes.float16).toBe(sizes.float32! / 2);
    expect(sizes.uint8).toBe(sizes.float32! / 4);
    const again = await pix2pix('export', '--model', 'model', '--out', 'exp-float32', '--backend', 'cpu');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists and is not empty/);
    const onnx = await pix2pix('export', '--model', 'model', '--out', 'g.onnx', '--format', 'onnx', '--backend', 'cpu');
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(onnx.stderr).toMatch(/NHWC float32 input 'input'/);
    const bytes = await readFile(join(ctx.tmp, 'g.onnx'));
    expect(bytes.byteLength).toBeGreaterThan(sizes.float32!); // float32 weights plus the graph
    const onnxAgain = await pix2pix('export', '--model', 'model', '--out', 'g.onnx', '--format', 'onnx', '--backend', 'cpu');
    expect(onnxAgain.code).toBe(1);
    expect(onnxAgain.stderr).toMatch(/g\.onnx: exists; refusing to overwrite/);
    const bad = await pix2pix('export', '--model', 'model', '--out', 'x', '--quantize', 'int4');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/must be one of float16, uint8/);
  });
});
