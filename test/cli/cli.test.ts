// End-to-end tests of the `pix2pix` bin: the CLI is bundled from src with tsup into node_modules/.cache/
// (the same bundler and settings as dist/cli.js, independent of whether dist/ is stale; out of eslint's
// and git's way) and run with node.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../src/node/index.js';

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
    for (const cmd of [[], ['make-dataset'], ['train'], ['translate'], ['combine'], ['demo']]) {
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
    const files = await readdir(join(tmp, 'ds'));
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
    const samples = await readdir(join(out, 'samples'));
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

    const tr = await pix2pix('translate', '--model', 'run', '--input', 'ds', '--ab', '--output', 'translated', '--backend', 'cpu');
    expect(tr.code, tr.stderr).toBe(0);
    const outs = await readdir(join(tmp, 'translated'));
    expect(outs).toEqual(['00000.png', '00001.png']);
    const y = decodeImage(await readFile(join(tmp, 'translated', '00000.png')));
    expect([y.width, y.height]).toEqual([32, 32]);
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
    expect((await readdir(join(tmp, 'demo', 'data', 'test'))).length).toBe(2);
    noStack(r.stderr);
  });
});
