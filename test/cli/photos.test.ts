// From a folder of plain photos to a tested model, with the built CLI: make-dataset --from (edges and
// colorization), train, test, translate; the train/test split by photo, unreadable files, refusals.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rgbToLab } from '../../src/data/lab.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';
import { decodeImage, encodeJpeg, encodePng } from '../../src/node/image_io.js';
import { ctx, pix2pix, tiny, useCli } from './harness.js';

useCli('photos');

/** A smooth colourful "photo" with a few shapes, `w` x `h`, different per `k`. */
function photo(w: number, h: number, k: number) {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inDisc = (x - w * (0.3 + 0.1 * k)) ** 2 + (y - h / 2) ** 2 < (h / 4) ** 2;
      const inBox = x > w / 2 && y > h / 5 && y < h / 2;
      const p = (y * w + x) * 3;
      data[p] = inDisc ? 220 : Math.round((255 * x) / w);
      data[p + 1] = inBox ? 30 : Math.round((120 + 40 * k + y * 2) % 256);
      data[p + 2] = inDisc ? 40 : Math.round((255 * (h - y)) / h);
    }
  }
  return { width: w, height: h, channels: 3, data };
}

const png = async (p: string) => decodeImage(new Uint8Array(await readFile(join(ctx.tmp, p))));
// Folder contents without the write path's record (.pix2pix-written.json).
const list = async (p: string) => (await readdir(join(ctx.tmp, p))).filter((n) => !n.startsWith('.')).sort();
const json = async (p: string) => JSON.parse(await readFile(join(ctx.tmp, p), 'utf8'));

beforeAll(async () => {
  await mkdir(join(ctx.tmp, 'photos'), { recursive: true });
  for (let k = 0; k < 6; k++) {
    const img = photo(40 + 8 * k, 36 + 4 * (k % 2), k);
    const name = k % 2 === 0 ? `p${k}.png` : `p${k}.jpg`;
    await writeFile(join(ctx.tmp, 'photos', name), k % 2 === 0 ? encodePng(img) : encodeJpeg(img, 95));
  }
  await writeFile(join(ctx.tmp, 'photos', 'broken.jpg'), 'not an image');
}, 60_000);

const common = ['--from', 'photos', '--load-size', '36', '--crop-size', '32', '--test-count', '2', '--seed', '1'];

describe('make-dataset --from photos', () => {
  it('--task edges: A|B pairs in train/ and test/, split by photo, the unreadable file named and skipped', async () => {
    const r = await pix2pix('make-dataset', ...common, '--task', 'edges', '--crops-per-photo', '2', '--out', 'edges');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/skipped photos\/broken\.jpg: not a PNG or JPEG image/);
    expect(r.stderr).toMatch(/make-dataset: photos 7\/7/); // the progress line
    const train = await list('edges/train');
    const test = await list('edges/test');
    const photoOf = (f: string) => f.replace(/_\d\.png$/, '');
    const trainPhotos = new Set(train.map(photoOf));
    const testPhotos = new Set(test.map(photoOf));
    // 7 files: one unreadable; 2 photos held out (broken.jpg may be one of them); 2 crops each.
    expect(trainPhotos.size + testPhotos.size).toBe(6);
    expect([...testPhotos].filter((p) => trainPhotos.has(p))).toEqual([]);
    expect(train.length + test.length).toBe(12);
    for (const f of [...train.map((n) => `edges/train/${n}`), ...test.map((n) => `edges/test/${n}`)]) {
      const img = await png(f);
      expect([img.width, img.height]).toEqual([64, 32]);
      // A: black edges on white (R = G = B, only 0 or 255), with some edges but mostly white.
      let edges = 0;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const p = (y * 64 + x) * img.channels;
          expect([0, 255]).toContain(img.data[p]);
          expect(img.data[p + 1]).toBe(img.data[p]);
          if (img.data[p] === 0) edges++;
        }
      }
      expect(edges).toBeGreaterThan(0);
      expect(edges).toBeLessThan(32 * 32 * 0.4);
    }
  });

  it("never writes into a folder of the user's (nothing written; its own earlier data set is replaced whole), and facade flags with --from", async () => {
    await mkdir(join(ctx.tmp, 'mine'));
    await writeFile(join(ctx.tmp, 'mine', 'keep.txt'), 'the user\'s');
    const r = await pix2pix('make-dataset', ...common, '--task', 'edges', '--out', 'mine');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--out mine/);
    expect(await list('mine')).toEqual(['keep.txt']);
    expect(await readFile(join(ctx.tmp, 'mine', 'keep.txt'), 'utf8')).toBe("the user's");
    // The same command again over its own output: replaced as a whole, the same files.
    const before = await list('edges/train');
    const again = await pix2pix('make-dataset', ...common, '--task', 'edges', '--crops-per-photo', '2', '--out', 'edges');
    expect(again.code, again.stderr).toBe(0);
    expect(await list('edges/train')).toEqual(before);
    const f = await pix2pix('make-dataset', '--from', 'photos', '--count', '3', '--out', 'x');
    expect(f.stderr).toMatch(/--count: facades only/);
    const g = await pix2pix('make-dataset', '--task', 'edges', '--out', 'x');
    expect(g.stderr).toMatch(/--task: only with --from/);
    const s = await pix2pix('make-dataset', '--from', 'photos', '--sigma', '0', '--out', 'x');
    expect(s.stderr).toMatch(/Canny settings: canny: sigma must be a number > 0 \(got 0\)/);
  });

  it("edges -> photo in the reference's layout: train --dataroot D --name, test --dataroot D --phase test writes scored results", async () => {
    const t = await pix2pix('train', '--dataroot', 'edges', '--name', 'edges2photo', '--checkpoints-dir', 'ck', ...tiny, '--max-steps', '2');
    expect(t.code, t.stderr).toBe(0);
    const run = await json('ck/edges2photo/run.json');
    expect(run.datasetMode).toBe('aligned');
    expect(run.phase).toBe('train');
    expect(run.pairs).toBe((await list('edges/train')).length);
    const r = await pix2pix('test', '--dataroot', 'edges', '--phase', 'test', '--name', 'edges2photo', '--checkpoints-dir', 'ck', '--results-dir', 'results', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    const m = await json('results/edges2photo/test_latest/metrics.json');
    expect(m.images).toHaveLength((await list('edges/test')).length);
    expect(Number.isFinite(m.mean.psnr)).toBe(true);
    expect(m.mean.ssim).toBeGreaterThan(-1);
    expect(m.mean.ssim).toBeLessThanOrEqual(1);
    expect(await list('results/edges2photo/test_latest')).toContain('index.html');
  });
});

describe('colorization, as the reference does it', () => {
  it('make-dataset --task colorization writes gray L | photo pairs', async () => {
    const r = await pix2pix('make-dataset', ...common, '--task', 'colorization', '--out', 'color');
    expect(r.code, r.stderr).toBe(0);
    const files = await list('color/train');
    expect(files.length).toBe(4);
    const img = await png(`color/train/${files[0]}`);
    let lErr = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const a = (y * 64 + x) * img.channels;
        const b = (y * 64 + 32 + x) * img.channels;
        expect(img.data[a + 1]).toBe(img.data[a]);
        // A's lightness is B's (up to 8-bit rounding of the gray).
        const la = rgbToLab([img.data[a]! / 255, img.data[a + 1]! / 255, img.data[a + 2]! / 255])[0]!;
        const lb = rgbToLab([img.data[b]! / 255, img.data[b + 1]! / 255, img.data[b + 2]! / 255])[0]!;
        lErr = Math.max(lErr, Math.abs(la - lb));
      }
    }
    expect(lErr).toBeLessThan(0.5);
  });

  it('train --model colorization: 1 -> 2 channels, recorded in run.json; the channel flags are refused', async () => {
    const bad = await pix2pix('train', '--dataroot', 'color/train', '--out', 'run-bad', ...tiny, '--model', 'colorization', '--input-nc', '3', '--max-steps', '1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--input-nc 3: the colorization mode trains 1 channel \(L\) -> 2 \(ab\)/);
    const t = await pix2pix('train', '--dataroot', 'color/train', '--out', 'run-color', ...tiny, '--model', 'colorization', '--max-steps', '2', '--val-data', 'color/test', '--val-every', '2');
    expect(t.code, t.stderr).toBe(0);
    // Validation scores the RGB images (L with the predicted / true ab): finite, and PSNR of 8-bit-like images.
    const last = (await readFile(join(ctx.tmp, 'run-color/history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).pop();
    expect(last['val/PSNR']).toBeGreaterThan(5);
    expect(last['val/SSIM']).toBeLessThanOrEqual(1);
    const run = await json('run-color/run.json');
    expect([run.datasetMode, run.inputChannels, run.outputChannels]).toEqual(['colorization', 1, 2]);
    const samples = await list('run-color/samples');
    const grid = await png(`run-color/samples/${samples[samples.length - 1]}`);
    expect(grid.channels).toBe(3);
  });

  it('test and translate write RGB images whose lightness is the input L', async () => {
    const r = await pix2pix('test', '--model', 'run-color', '--data', 'color/test', '--results', 'res-color', '--backend', 'cpu', '--eval');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/colorization \(L -> ab, written as RGB\)/);
    const m = await json('res-color/metrics.json');
    expect(m.images.length).toBe((await list('color/test')).length);
    const name = m.images[0].name;
    const fake = await png(`res-color/images/${name}_fake_B.png`);
    const realA = await png(`res-color/images/${name}_real_A.png`);
    const realB = await png(`res-color/images/${name}_real_B.png`);
    expect(fake.channels).toBe(3);
    expect(realB.channels).toBe(3);
    let dl = 0;
    for (let p = 0; p < 32 * 32; p++) {
      const lf = rgbToLab([fake.data[3 * p]! / 255, fake.data[3 * p + 1]! / 255, fake.data[3 * p + 2]! / 255])[0]!;
      const la = rgbToLab([realA.data[3 * p]! / 255, realA.data[3 * p + 1]! / 255, realA.data[3 * p + 2]! / 255])[0]!;
      dl += Math.abs(lf - la);
    }
    expect(dl / (32 * 32)).toBeLessThan(2); // only gamut clipping and 8-bit rounding change L
    const tr = await pix2pix('translate', '--model', 'run-color/checkpoint', '--input', 'color/test', '--ab', '--output', 'tr-color', '--backend', 'cpu');
    expect(tr.code, tr.stderr).toBe(0);
    expect(tr.stderr).toMatch(/colorization/);
    const out = await png(`tr-color/${(await list('tr-color'))[0]}`);
    expect([out.width, out.height, out.channels]).toEqual([32, 32, 3]);
  });

  it('a model folder without run.json is colorization when its generator maps 1 channel to 2', async () => {
    const G = unetGenerator({ imageSize: 32, inputChannels: 1, outputChannels: 2, filters: 4, norm: 'batch', seed: 5 });
    await G.save(fileCheckpoint(join(ctx.tmp, 'plain-color')));
    G.dispose();
    const tr = await pix2pix('translate', '--model', 'plain-color', '--input', 'color/test', '--ab', '--output', 'tr-plain', '--backend', 'cpu', '--eval');
    expect(tr.code, tr.stderr).toBe(0);
    expect(tr.stderr).toMatch(/colorization \(L -> ab, written as RGB\)/);
    const out = await png(`tr-plain/${(await list('tr-plain'))[0]}`);
    expect(out.channels).toBe(3);
  });
});
