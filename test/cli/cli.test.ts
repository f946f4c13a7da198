// End-to-end tests of the `pix2pix` bin: the CLI is bundled from src with tsup into node_modules/.cache/
// (the same bundler and settings as dist/cli.js, independent of whether dist/ is stale; out of eslint's
// and git's way) and run with node.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTorchStateDict, type TorchTensor } from '../../src/io/torch/read.js';
import { decodeImage, encodeJpeg, encodePng } from '../../src/node/index.js';

/** The entries of a folder without hidden ones (the program's write record, `.pix2pix-written.json`). */
const visible = async (dir: string) => (await readdir(dir)).filter((n) => !n.startsWith('.'));

const root = resolve(__dirname, '../..');
const cacheDir = join(root, 'node_modules', '.cache', 'pix2pix-cli-test');
const run = promisify(execFile);
let cli: string;
let tmp: string;

beforeAll(async () => {
  await mkdir(cacheDir, { recursive: true });
  const out = join(cacheDir, `cli-test-${process.pid}`);
  await run('npx', ['tsup', 'src/cli/main.ts', '--no-config', '--format', 'esm', '--target', 'es2022', '--out-dir', out, '--silent'], { cwd: root });
  cli = join(out, 'main.js');
  tmp = await mkdtemp(join(cacheDir, 'cli-run-'));
}, 120_000);

afterAll(async () => {
  await rm(join(cacheDir, `cli-test-${process.pid}`), { recursive: true, force: true });
  await rm(tmp, { recursive: true, force: true });
});

/** Runs the CLI; never throws, returns exit code and output. */
async function pix2pix(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', [cli, ...args], { cwd: tmp });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);
const exists = (p: string) => stat(p).then(() => true, () => false);
const tiny = ['--size', '32', '--filters', '4', '--d-filters', '4', '--backend', 'cpu', '--sample-every', '1'];

describe('pix2pix CLI', () => {
  it('--help works on every command', async () => {
    for (const cmd of [[], ['make-dataset'], ['train'], ['translate'], ['combine'], ['demo'], ['import-torch'], ['export-torch']]) {
      const r = await pix2pix(...cmd, '--help');
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: pix2pix${cmd.length ? ' ' + cmd[0] : ''}`);
    }
  });

  it('unknown flags and bad values give an error and the usage line, no stack trace', async () => {
    const a = await pix2pix('train', '--data', 'x', '--bogus');
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("error: unknown option '--bogus'");
    expect(a.stderr).toContain('Usage: pix2pix train [options]');
    const b = await pix2pix('train', '--data', 'x', '--size', 'big');
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/--size <px>' argument 'big' is invalid\. must be an integer/);
    expect(b.stderr).toContain('Usage: pix2pix train');
    const c = await pix2pix('train', '--data', 'x', '--gan', 'cycle');
    expect(c.stderr).toMatch(/must be one of vanilla, lsgan, wgangp, none/);
    const d = await pix2pix('make-dataset', '--count', '3');
    expect(d.stderr).toMatch(/required option '--out <dir>' not specified/);
    const e = await pix2pix('translate', '--model', 'nowhere', '--input', 'x', '--output', 'y');
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^pix2pix: error: --model nowhere: not a folder/);
    const f = await pix2pix('train', '--data', 'x', '--out', 'r-tf', '--backend', 'tensorflow');
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/--backend tensorflow needs the optional package '@tensorflow\/tfjs-node', which is not installed/);
    for (const r of [a, b, c, d, e, f]) noStack(r.stderr);
  });

  it('reports bad data cleanly: empty folder, non-image file', async () => {
    await mkdir(join(tmp, 'empty'));
    const a = await pix2pix('train', '--data', 'empty', '--out', 'r-empty', ...tiny);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/pix2pix: error: empty: no images in folder/);
    await mkdir(join(tmp, 'bad'));
    await writeFile(join(tmp, 'bad', 'x.png'), 'not a png');
    const b = await pix2pix('train', '--data', 'bad', '--out', 'r-bad', ...tiny);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/bad\/x\.png: not a PNG or JPEG image/);
    for (const r of [a, b]) noStack(r.stderr);
  });

  it('make-dataset writes A|B facades; train runs, saves, reports; resume continues; translate writes images', async () => {
    const m = await pix2pix('make-dataset', '--out', 'ds', '--count', '2', '--size', '32', '--seed', '3');
    expect(m.code).toBe(0);
    const files = await visible(join(tmp, 'ds'));
    expect(files).toEqual(['00000.png', '00001.png']);
    const img = decodeImage(await readFile(join(tmp, 'ds', '00000.png')));
    expect([img.width, img.height]).toEqual([64, 32]);

    const t = await pix2pix('train', '--data', 'ds', '--out', 'run', '--epochs', '1', '--epochs-decay', '1', ...tiny);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/step 4\/4 \| epoch 2\/2 \| G [\d.]+ D [\d.]+ rec [\d.]+ \| [\d.]+ steps\/s \| ETA/);
    expect(t.stderr).toContain('checkpoint saved at step 4');
    const out = join(tmp, 'run');
    expect(await exists(join(out, 'checkpoint', 'model.json'))).toBe(true);
    const history = (await readFile(join(out, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(history.map((h) => h.step)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(history[0])).toEqual(expect.arrayContaining(['G/total', 'G/reconstruction', 'D/total']));
    const samples = await visible(join(out, 'samples'));
    expect(samples).toContain('step-0000004.png');
    const grid = decodeImage(await readFile(join(out, 'samples', 'step-0000004.png')));
    expect(grid.width).toBe(3 * 32 + 4 * 2); // input | output | target
    const report = await readFile(join(out, 'report.html'), 'utf8');
    expect(report).toContain('<svg');
    expect(report).toContain('samples/step-0000004.png');

    // Without --resume an existing checkpoint is never overwritten.
    const again = await pix2pix('train', '--data', 'ds', '--out', 'run', ...tiny);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a checkpoint: pass --resume/);

    const r = await pix2pix('train', '--data', 'ds', '--out', 'run', '--resume', '--epochs', '2', '--epochs-decay', '1', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step 4 -> 6/);
    expect(r.stderr).toContain('checkpoint saved at step 6');
    const h2 = (await readFile(join(out, 'history.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(h2.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6]);

    const tr = await pix2pix('translate', '--model', 'run', '--input', 'ds', '--ab', '--output', 'translated', '--eval', '--backend', 'cpu');
    expect(tr.code, tr.stderr).toBe(0);
    const outs = await visible(join(tmp, 'translated'));
    expect(outs).toEqual(['00000.png', '00001.png']);
    const y = decodeImage(await readFile(join(tmp, 'translated', '00000.png')));
    expect([y.width, y.height]).toEqual([32, 32]);

    // export-torch on a training run: the generator (default) and the discriminator, in the reference's keys.
    const eg = await pix2pix('export-torch', 'run', '--out', 'run-G.pth', '--backend', 'cpu');
    expect(eg.code, eg.stderr).toBe(0);
    expect(eg.stderr).toMatch(/generator of .*checkpoint/);
    const ed = await pix2pix('export-torch', 'run/checkpoint', '--discriminator', '--out', 'run-D.pth', '--backend', 'cpu');
    expect(ed.code, ed.stderr).toBe(0);
    const g = readTorchStateDict(new Uint8Array(await readFile(join(tmp, 'run-G.pth'))));
    const d = readTorchStateDict(new Uint8Array(await readFile(join(tmp, 'run-D.pth'))));
    expect(g.get('model.model.0.weight')?.shape).toEqual([4, 3, 4, 4]); // ngf 4, 3 input channels, 4x4
    expect(d.get('model.0.weight')?.shape).toEqual([4, 6, 4, 4]); // ndf 4, conditional: 3 + 3 channels
    expect(d.has('model.11.weight')).toBe(true); // n_layers 3: last conv at index 3 * 3 + 2
    // The exported generator, imported back, translates exactly like the training run.
    const ig = await pix2pix('import-torch', 'run-G.pth', '--arch', 'unet', '--out', 'run-G', '--backend', 'cpu');
    expect(ig.code, ig.stderr).toBe(0);
    // --eval (inference mode): the reference's .pth carries no dropout placement, so compare without dropout.
    const tr2 = await pix2pix('translate', '--model', 'run-G', '--input', 'ds', '--ab', '--output', 'translated-G', '--eval', '--backend', 'cpu');
    expect(tr2.code, tr2.stderr).toBe(0);
    for (const f of outs) expect(await readFile(join(tmp, 'translated-G', f))).toEqual(await readFile(join(tmp, 'translated', f)));
  });

  it('combine builds the A|B layout from two folders', async () => {
    await mkdir(join(tmp, 'ca'));
    await mkdir(join(tmp, 'cb'));
    const px = (v: number) => ({ width: 8, height: 8, channels: 3 as const, data: new Uint8Array(192).fill(v) });
    await writeFile(join(tmp, 'ca', 'p.png'), encodePng(px(10)));
    await writeFile(join(tmp, 'cb', 'p.png'), encodePng(px(200)));
    const c = await pix2pix('combine', '--a', 'ca', '--b', 'cb', '--out', 'combined');
    expect(c.code, c.stderr).toBe(0);
    const img = decodeImage(await readFile(join(tmp, 'combined', 'p.png')));
    expect([img.width, img.height]).toEqual([16, 8]);
    expect(img.data[0]).toBe(10);
    expect(img.data[8 * 3]).toBe(200);
  });

  it('combine: --size resizes (needs a backend), --out never an input folder, one output per pair even with " + " in names', async () => {
    await mkdir(join(tmp, 'sa'));
    await mkdir(join(tmp, 'sb'));
    const img = (w: number, h: number, v: number) => ({ width: w, height: h, channels: 3 as const, data: new Uint8Array(w * h * 3).fill(v) });
    for (const n of ['x + y', 'x', 'y']) {
      await writeFile(join(tmp, 'sa', `${n}.png`), encodePng(img(12, 6, 10)));
      await writeFile(join(tmp, 'sb', `${n}.png`), encodePng(img(5, 7, 200)));
    }
    const c = await pix2pix('combine', '--a', 'sa', '--b', 'sb', '--out', 'scomb', '--size', '8');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain('combined 3 pair(s)');
    expect((await visible(join(tmp, 'scomb'))).sort()).toEqual(['x + y.png', 'x.png', 'y.png']);
    const r = decodeImage(await readFile(join(tmp, 'scomb', 'x + y.png')));
    expect([r.width, r.height]).toEqual([16, 8]);
    expect([r.data[0], r.data[8 * 3]]).toEqual([10, 200]);
    // Without --size: A keeps its 12x6, B is resized to it.
    const n = await pix2pix('combine', '--a', 'sa', '--b', 'sb', '--out', 'scomb2');
    expect(n.code, n.stderr).toBe(0);
    const r2 = decodeImage(await readFile(join(tmp, 'scomb2', 'x.png')));
    expect([r2.width, r2.height]).toEqual([24, 6]);

    const before = await readFile(join(tmp, 'sa', 'x.png'));
    const bad = await pix2pix('combine', '--a', 'sa', '--b', 'sb', '--out', 'sa');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--out sa: would write over --a (sa), which this command reads');
    const bad2 = await pix2pix('combine', '--a', 'sa', '--b', 'sb', '--out', './sb/');
    expect(bad2.code).not.toBe(0);
    expect(bad2.stderr).toContain('would write over --b');
    expect(await readFile(join(tmp, 'sa', 'x.png'))).toEqual(before);
  });

  it('Ctrl-C (SIGINT) finishes the step, saves a checkpoint and exits cleanly', async () => {
    if (!(await exists(join(tmp, 'ds')))) await pix2pix('make-dataset', '--out', 'ds', '--count', '2', '--size', '32');
    const child = spawn('node', [cli, 'train', '--data', 'ds', '--out', 'run-int', '--epochs', '1000', ...tiny], { cwd: tmp });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const history = join(tmp, 'run-int', 'history.jsonl');
    // Wait until at least one step is logged, then interrupt.
    for (let i = 0; i < 600; i++) {
      if ((await readFile(history, 'utf8').catch(() => '')).trim() !== '') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupt: finishing the current step and saving a checkpoint/);
    const m = stderr.match(/interrupted: checkpoint saved at step (\d+)/);
    expect(m, stderr).not.toBeNull();
    noStack(stderr);
    const steps = (await readFile(history, 'utf8')).trim().split('\n').length;
    expect(Number(m![1])).toBe(steps);
    expect(await exists(join(tmp, 'run-int', 'checkpoint', 'model.json'))).toBe(true);
    // And the run resumes from there.
    const r = await pix2pix('train', '--data', 'ds', '--out', 'run-int', '--resume', '--max-steps', String(steps + 1), '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`checkpoint saved at step ${steps + 1}`);
  });
  it('demo: data set, short training on wasm, checkpoint, report, held-out L1/PSNR before and after', async () => {
    const r = await pix2pix('demo', '--out', 'demo', '--minutes', '0.02', '--size', '32', '--count', '4', '--test-count', '2', '--filters', '4', '--backend', 'wasm');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend wasm/);
    expect(r.stderr).toMatch(/untrained generator\s+\d\.\d{4}\s+\d+\.\d{2}\s+\d\.\d{4}\s+\d+\.\d{2}/);
    expect(r.stderr).toMatch(/trained \(\s*\d+ steps\)\s+\d\.\d{4}\s+\d+\.\d{2}/);
    expect(await exists(join(tmp, 'demo', 'train', 'checkpoint', 'model.json'))).toBe(true);
    expect(await exists(join(tmp, 'demo', 'train', 'report.html'))).toBe(true);
    expect(decodeImage(await readFile(join(tmp, 'demo', 'held-out.png'))).width).toBe(4 * 32 + 5 * 2);
    expect((await visible(join(tmp, 'demo', 'data', 'test'))).length).toBe(2);
    noStack(r.stderr);
  });
});

describe('pix2pix import-torch / export-torch', () => {
  const fixtures = join(root, 'test', 'fixtures', 'torch');
  const pth = (name: string) => join(fixtures, name);
  const readSd = async (path: string) => readTorchStateDict(new Uint8Array(await readFile(path)));
  const isStat = (k: string) => /\.(running_mean|running_var|num_batches_tracked)$/.test(k);
  const size = (t: TorchTensor) => t.shape.reduce((a, b) => a * b, 1);
  /** Exported tensors equal the fixture's (same keys, shapes, exact values; num_batches_tracked is written as 0). */
  const expectSameTensors = (got: Map<string, TorchTensor>, want: Map<string, TorchTensor>) => {
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, w] of want) {
      const t = got.get(k)!;
      expect(t.shape, k).toEqual(w.shape);
      if (k.endsWith('num_batches_tracked')) continue;
      let diff = 0;
      for (let i = 0; i < w.data.length; i++) diff = Math.max(diff, Math.abs(Number(t.data[i]) - Number(w.data[i])));
      expect(diff, k).toBe(0);
    }
  };

  it('import a U-Net fixture -> translate with it (both modes) -> export -> the same tensors', async () => {
    const src = pth('unet5_batch.pth');
    const want = await readSd(src);
    const trainable = [...want].filter(([k]) => !isStat(k)).reduce((n, [, t]) => n + size(t), 0);
    const i = await pix2pix('import-torch', src, '--arch', 'unet', '--out', 'tg', '--backend', 'cpu');
    expect(i.code, i.stderr).toBe(0);
    expect(i.stderr).toContain('UnetGenerator num_downs=5 ngf=4, 3->3 channels, norm batch (input H, W multiples of 32');
    expect(i.stderr).toContain(`wrote tg: ${trainable.toLocaleString('en-US')} trainable parameters`);
    expect(await exists(join(tmp, 'tg', 'model.json'))).toBe(true);
    expect(await exists(join(tmp, 'tg', 'weights.bin'))).toBe(true);

    await mkdir(join(tmp, 'tin'));
    const data = new Uint8Array(40 * 24 * 3).map((_, k) => (k * 37) % 256);
    await writeFile(join(tmp, 'tin', 'a.png'), encodePng({ width: 40, height: 24, channels: 3, data }));
    for (const mode of ['inference', 'paper']) {
      const t = await pix2pix('translate', '--model', 'tg', '--input', 'tin', '--output', `tout-${mode}`, '--mode', mode, '--backend', 'cpu');
      expect(t.code, t.stderr).toBe(0);
      expect(t.stderr).toContain(`size native, generator divisor 32, mode ${mode}`);
      const y = decodeImage(await readFile(join(tmp, `tout-${mode}`, 'a.png')));
      expect([y.width, y.height]).toEqual([40, 24]); // the input's own size (reflect-padded to 64x32 and cropped back)
    }
    // Paper mode (dropout, batch statistics) differs from inference mode (moving statistics).
    expect(await readFile(join(tmp, 'tout-paper', 'a.png'))).not.toEqual(await readFile(join(tmp, 'tout-inference', 'a.png')));

    const e = await pix2pix('export-torch', 'tg', '--out', 'tg.pth', '--backend', 'cpu');
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toContain('wrote tg.pth');
    expectSameTensors(await readSd(join(tmp, 'tg.pth')), want);
    expect((await readdir(tmp)).filter((n) => n.includes('.tmp-'))).toEqual([]); // the atomic write left no temp file
  });

  it('translate: native size (300x200 stays 300x200), --resize, --tile, --eval, unique names, never over its input', async () => {
    const i = await pix2pix('import-torch', pth('unet5_batch.pth'), '--arch', 'unet', '--out', 'tsz', '--backend', 'cpu');
    expect(i.code, i.stderr).toBe(0);
    await mkdir(join(tmp, 'szin'));
    const pic = (w: number, h: number) => ({ width: w, height: h, channels: 3 as const, data: new Uint8Array(w * h * 3).map((_, k) => (k * 29) % 256) });
    await writeFile(join(tmp, 'szin', 'wide.png'), encodePng(pic(300, 200)));
    await writeFile(join(tmp, 'szin', 'x.png'), encodePng(pic(40, 24)));
    await writeFile(join(tmp, 'szin', 'x.jpg'), encodeJpeg(pic(40, 24)));
    const t = await pix2pix('translate', '--model', 'tsz', '--input', 'szin', '--output', 'szout', '--eval', '--backend', 'cpu');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('mode inference');
    expect(t.stderr).toContain('wrote 3 image(s)');
    expect((await visible(join(tmp, 'szout'))).sort()).toEqual(['wide.png', 'x_jpg.png', 'x_png.png']);
    const wide = decodeImage(await readFile(join(tmp, 'szout', 'wide.png')));
    expect([wide.width, wide.height]).toEqual([300, 200]);

    const r = await pix2pix('translate', '--model', 'tsz', '--input', join('szin', 'x.png'), '--output', 'szr', '--resize', '64x32', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('size 64x32, generator divisor 32, mode paper'); // no --eval: paper mode
    const rr = decodeImage(await readFile(join(tmp, 'szr', 'x.png')));
    expect([rr.width, rr.height]).toEqual([64, 32]);

    const tl = await pix2pix('translate', '--model', 'tsz', '--input', join('szin', 'wide.png'), '--output', 'sztile', '--tile', '128', '--overlap', '32', '--mode', 'inference', '--backend', 'cpu');
    expect(tl.code, tl.stderr).toBe(0);
    const tw = decodeImage(await readFile(join(tmp, 'sztile', 'wide.png')));
    expect([tw.width, tw.height]).toEqual([300, 200]);
    const badTile = await pix2pix('translate', '--model', 'tsz', '--input', 'szin', '--output', 'szbad', '--tile', '100', '--backend', 'cpu');
    expect(badTile.code).not.toBe(0);
    expect(badTile.stderr).toContain("tile must be a multiple of the generator's divisor 32 (got 100)");

    const before = await readFile(join(tmp, 'szin', 'x.png'));
    const same = await pix2pix('translate', '--model', 'tsz', '--input', 'szin', '--output', 'szin/', '--backend', 'cpu');
    expect(same.code).not.toBe(0);
    expect(same.stderr).toMatch(/--output szin\/: would write over --input \(szin\)/);
    // A single file whose output name is itself.
    const self = await pix2pix('translate', '--model', 'tsz', '--input', join('szin', 'x.png'), '--output', 'szin', '--backend', 'cpu');
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/would write over --input \(szin\/x\.png\)/);
    expect(await readFile(join(tmp, 'szin', 'x.png'))).toEqual(before);
    noStack(self.stderr);
  });

  it('round trips a float16 U-Net (--half) and a legacy-format 70x70 PatchGAN exactly', async () => {
    const f16 = pth('unet5_none_f16.pth');
    expect((await pix2pix('import-torch', f16, '--out', 'th', '--backend', 'cpu')).code).toBe(0);
    const h = await pix2pix('export-torch', 'th', '--half', '--out', 'th.pth', '--backend', 'cpu');
    expect(h.code, h.stderr).toBe(0);
    const got = await readSd(join(tmp, 'th.pth'));
    expect(got.get('model.model.0.weight')?.dtype).toBe('float16');
    expectSameTensors(got, await readSd(f16));

    const legacy = pth('nlayer3_batch_legacy.pth');
    const d = await pix2pix('import-torch', legacy, '--arch', 'basic', '--out', 'td', '--backend', 'cpu');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stderr).toContain('NLayerDiscriminator n_layers=3');
    expect((await pix2pix('export-torch', 'td', '--out', 'td.pth', '--backend', 'cpu')).code).toBe(0);
    expectSameTensors(await readSd(join(tmp, 'td.pth')), await readSd(legacy));
  });

  it('clean errors: malicious pickle, truncated file, not a torch file, missing file, arch mismatch, wrong folders', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['import-torch', pth('malicious_os_system.pth'), '--out', 'bad1'], /malicious_os_system\.pth: .*refusing to load global '\w+\.system'/],
      [['import-torch', pth('malicious_os_system_legacy.pth'), '--out', 'bad1'], /refusing to load global/],
      [['import-torch', pth('malicious_eval.pth'), '--out', 'bad1'], /refusing to load global/],
      [['import-torch', pth('truncated_zip.pth'), '--out', 'bad1'], /truncated_zip\.pth: .*truncated or corrupt/],
      [['import-torch', pth('manifest.json'), '--out', 'bad1'], /manifest\.json: torch checkpoint: unrecognised format/],
      [['import-torch', 'missing.pth', '--out', 'bad1'], /^pix2pix: error: missing\.pth: no such file/],
      [['import-torch', pth('unet5_batch.pth'), '--arch', 'unet_256', '--out', 'bad1'], /arch 'unet_256' does not match the checkpoint, which is a U-Net generator with num_downs=5/],
      [['import-torch', pth('pixel_batch.pth'), '--arch', 'basic', '--out', 'bad1'], /does not match the checkpoint, which is a PixelGAN/],
      [['export-torch', 'nowhere', '--out', 'x.pth'], /^pix2pix: error: nowhere: not a folder/],
      [['export-torch', 'tin', '--out', 'x.pth'], /no model\.json in tin/],
      [['export-torch', 'td', '--discriminator', '--out', 'x.pth'], /plain model folder/],
      [['translate', '--model', 'td', '--input', 'tin', '--output', 'bad2'], /--model td: not an image-to-image generator/],
    ];
    for (const [args, message] of cases) {
      const r = await pix2pix(...args, '--backend', 'cpu');
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^pix2pix: error: /);
      expect(r.stderr, args.join(' ')).toMatch(message);
      noStack(r.stderr);
    }
    expect(await exists(join(tmp, 'bad1'))).toBe(false);
    expect(await exists(join(tmp, 'x.pth'))).toBe(false);
    const u = await pix2pix('import-torch', pth('unet5_batch.pth'), '--arch', 'unet_64', '--out', 'bad1');
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/must be one of unet_256, unet_128, unet, basic, n_layers, pixel/);
    expect(u.stderr).toContain('Usage: pix2pix import-torch');
  });
});
