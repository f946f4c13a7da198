// Every command writes through the one write path: never through a link placed where an output goes,
// never over an input or a file the program did not write, fails at once on impossible paths (/proc),
// takes one decimal value per flag, refuses sizes and schedules it cannot run, resumes only the run's
// own data and checkpoint, and names the checkpoint file in errors about its values.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctx, noStack, pix2pix, tiny, useCli } from './harness.js';

useCli('write-safety');

/** A user's file outside every output folder, and a check that it still holds what it held. */
async function precious(name: string): Promise<{ path: string; intact: () => Promise<void> }> {
  const path = join(ctx.tmp, 'outside', name);
  await mkdir(join(ctx.tmp, 'outside'), { recursive: true });
  await writeFile(path, `precious ${name}`);
  return { path, intact: async () => expect(await readFile(path, 'utf8')).toBe(`precious ${name}`) };
}

/** Runs the CLI in another working folder. */
const pix2pixIn = (cwd: string, ...args: string[]) =>
  new Promise<{ code: number; stderr: string }>((done) => {
    execFile('node', [ctx.cli, ...args], { cwd }, (err, _stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
  });

const train = (out: string, ...more: string[]) => pix2pix('train', '--dataroot', 'ds', '--out', out, '--max-steps', '1', ...tiny, ...more);

beforeAll(async () => {
  const r = await train('run');
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe('links where outputs go are never written through', () => {
  it('translate --output: a planted link is refused, its target untouched', async () => {
    const p = await precious('t.txt');
    await mkdir(join(ctx.tmp, 'tout'));
    await symlink(p.path, join(ctx.tmp, 'tout', '00000.png'));
    const r = await pix2pix('translate', '--model', 'run', '--input', 'ds', '--ab', '--output', 'tout', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tout\/00000\.png: is a symbolic link this program did not create/);
    noStack(r.stderr);
    await p.intact();
  });

  it('train --resume: a link over its own report is replaced, a planted sample link refused; targets untouched', async () => {
    expect((await train('run2')).code).toBe(0);
    const report = await precious('report.txt');
    await rm(join(ctx.tmp, 'run2', 'report.html'));
    await symlink(report.path, join(ctx.tmp, 'run2', 'report.html'));
    const ok = await pix2pix('train', '--out', 'run2', '--resume', '--max-steps', '2', '--backend', 'cpu');
    expect(ok.code, ok.stderr).toBe(0);
    await report.intact();
    expect(await readFile(join(ctx.tmp, 'run2', 'report.html'), 'utf8')).toMatch(/<html/);
    const sample = await precious('sample.txt');
    await symlink(sample.path, join(ctx.tmp, 'run2', 'samples', 'step-0000003.png'));
    const r = await pix2pix('train', '--out', 'run2', '--resume', '--max-steps', '3', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step-0000003\.png: is a symbolic link this program did not create/);
    await sample.intact();
  });

  it('combine --out and make-dataset --out: a folder holding a planted link is refused; a link in their own folder is replaced', async () => {
    const p = await precious('c.txt');
    await mkdir(join(ctx.tmp, 'cout'));
    await symlink(p.path, join(ctx.tmp, 'cout', '00000.png'));
    const c = await pix2pix('combine', '--a', 'ds', '--b', 'ds', '--out', 'cout');
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/--out cout: .*not empty/);
    const m = await pix2pix('make-dataset', '--out', 'cout', '--count', '2', '--size', '16');
    expect(m.code).toBe(1);
    await p.intact();
    // The program's own folder, one of whose files someone replaced by a link: the rerun replaces the folder.
    expect((await pix2pix('make-dataset', '--out', 'mown', '--count', '2', '--size', '16')).code).toBe(0);
    await rm(join(ctx.tmp, 'mown', '00000.png'));
    await symlink(p.path, join(ctx.tmp, 'mown', '00000.png'));
    const again = await pix2pix('make-dataset', '--out', 'mown', '--count', '2', '--size', '16');
    expect(again.code, again.stderr).toBe(0);
    await p.intact();
    expect((await readFile(join(ctx.tmp, 'mown', '00000.png'))).subarray(1, 4).toString()).toBe('PNG');
  });
});

describe('never over an input or a file the program did not write', () => {
  it('export-torch --out its own model.json, or over a user file, is refused', async () => {
    const model = await readFile(join(ctx.tmp, 'run', 'checkpoint', 'model.json'));
    const self = await pix2pix('export-torch', 'run', '--out', 'run/checkpoint/model.json', '--backend', 'cpu');
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/--out run\/checkpoint\/model\.json: would write over/);
    expect(await readFile(join(ctx.tmp, 'run', 'checkpoint', 'model.json'))).toEqual(model);
    const p = await precious('precious.txt');
    const user = await pix2pix('export-torch', 'run', '--out', p.path, '--backend', 'cpu');
    expect(user.code).toBe(1);
    expect(user.stderr).toMatch(/exists and was not written by pix2pix/);
    await p.intact();
  });

  it("test --results '' is refused (it named the current folder); translate keeps a user's 00000.png", async () => {
    const before = (await readdir(ctx.tmp)).sort();
    const r = await pix2pix('test', '--model', 'run', '--data', 'ds', '--results', '', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--results "": an empty path/);
    expect((await readdir(ctx.tmp)).sort()).toEqual(before);
    await mkdir(join(ctx.tmp, 'tuser'));
    await writeFile(join(ctx.tmp, 'tuser', '00000.png'), 'mine');
    const t = await pix2pix('translate', '--model', 'run', '--input', 'ds', '--ab', '--output', 'tuser', '--backend', 'cpu');
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/00000\.png: exists and was not written by pix2pix/);
    expect(await readFile(join(ctx.tmp, 'tuser', '00000.png'), 'utf8')).toBe('mine');
    // Its own outputs are replaced on a rerun.
    expect((await pix2pix('translate', '--model', 'run', '--input', 'ds', '--ab', '--output', 'town', '--backend', 'cpu')).code).toBe(0);
    expect((await pix2pix('translate', '--model', 'run', '--input', 'ds', '--ab', '--output', 'town', '--backend', 'cpu')).code).toBe(0);
  });
});

describe('impossible output paths fail at once', () => {
  for (const [what, args] of [
    ['make-dataset', ['make-dataset', '--out', '/proc/pix2pix-test/ds', '--count', '1', '--size', '16']],
    ['export', ['export', '--model', 'run', '--out', '/proc/pix2pix-test/x', '--backend', 'cpu']],
  ] as const) {
    it(`${what} --out under /proc`, async () => {
      const t0 = Date.now();
      const r = await pix2pix(...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--out \/proc\/pix2pix-test\/\S+ \(\/proc\/pix2pix-test\): cannot be created there/);
      expect(Date.now() - t0).toBeLessThan(30_000); // node start and the model load; the mkdir itself fails at once
    });
  }
});

describe('numbers on the command line', () => {
  it('decimal only, one value per flag, sizes within the pixel limit, a schedule with steps', async () => {
    const hex = await train('f1', '--lr', '0x10');
    expect(hex.code).not.toBe(0);
    expect(hex.stderr).toMatch(/--lr <x>' argument '0x10' is invalid\. must be a number >= 0, in decimal/);
    const twice = await train('f2', '--lr', '0.1', '--lr', '0.2');
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/--lr 0\.1 and --lr 0\.2: a flag takes one value/);
    const zero = await train('f3', '--epoch-count', '1000000000');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toMatch(/--epoch-count 1000000000: the schedule has no epoch to train \(0 steps\)/);
    const big = await pix2pix('translate', '--model', 'run', '--input', 'ds', '--output', 'f4', '--resize', '100000x100000');
    expect(big.code).not.toBe(0);
    expect(big.stderr).toMatch(/100000x100000 exceeds the limit of 67108864 pixels/);
    const side = await pix2pix('combine', '--a', 'ds', '--b', 'ds', '--out', 'f5', '--size', '100000');
    expect(side.code).not.toBe(0);
    expect(side.stderr).toMatch(/exceed the limit of 67108864 pixels/);
  });
});

describe('resume continues the same run only', () => {
  it('names other data behind the same relative --dataroot, changed data, or a checkpoint of another architecture', async () => {
    // From another working folder, 'ds' is another data set.
    const elsewhere = join(ctx.tmp, 'elsewhere');
    await mkdir(elsewhere);
    expect((await pix2pixIn(elsewhere, 'make-dataset', '--out', 'ds', '--count', '3', '--size', '32', '--seed', '9')).code).toBe(0);
    const other = await pix2pixIn(elsewhere, 'train', '--dataroot', 'ds', '--out', '../run', '--resume', '--max-steps', '2', '--backend', 'cpu');
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/--dataroot ds \(the run has data \/\S+\/ds\)/);
    // The same folder with other pairs in it.
    await cp(join(ctx.tmp, 'ds'), join(ctx.tmp, 'dsc'), { recursive: true });
    expect((await pix2pix('train', '--dataroot', 'dsc', '--out', 'rc', '--max-steps', '1', ...tiny)).code).toBe(0);
    await cp(join(elsewhere, 'ds', '00002.png'), join(ctx.tmp, 'dsc', '00002.png'));
    const changed = await pix2pix('train', '--out', 'rc', '--resume', '--max-steps', '2', '--backend', 'cpu');
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/dsc changed since the run started \(run\.json: 2 pairs, fingerprint \w+; now 3 pairs/);
    // Another run's checkpoint (ngf 8) under this run's run.json (ngf 4).
    expect((await pix2pix('train', '--dataroot', 'ds', '--out', 'r8', '--max-steps', '1', '--crop-size', '32', '--ngf', '8', '--ndf', '4', '--backend', 'cpu')).code).toBe(0);
    await rm(join(ctx.tmp, 'rc', 'checkpoint'), { recursive: true });
    await cp(join(ctx.tmp, 'r8', 'checkpoint'), join(ctx.tmp, 'rc', 'checkpoint'), { recursive: true });
    await rm(join(ctx.tmp, 'dsc', '00002.png'));
    const arch = await pix2pix('train', '--out', 'rc', '--resume', '--max-steps', '2', '--backend', 'cpu');
    expect(arch.code).toBe(1);
    expect(arch.stderr).toMatch(/the checkpoint rc\/checkpoint is not of the run's architecture \(run\.json: G: (\d+) layers, \d+ parameters.*checkpoint: G: \1 layers, \d+ parameters/);
    // --resume needs no --dataroot: it comes from run.json (an absolute path).
    const plain = await pix2pix('train', '--out', 'run', '--resume', '--max-steps', '2', '--backend', 'cpu');
    expect(plain.code, plain.stderr).toBe(0);
  });

  it('an out-of-range value in a checkpoint is an error naming the file', async () => {
    await cp(join(ctx.tmp, 'run', 'checkpoint'), join(ctx.tmp, 'bad'), { recursive: true });
    const file = join(ctx.tmp, 'bad', 'model.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.modelTopology.trainer.beta2 = 2147483648;
    await writeFile(file, JSON.stringify(json));
    const r = await pix2pix('translate', '--model', 'bad', '--input', 'ds', '--ab', '--output', 'tbad', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: a value in the checkpoint is out of range: beta2 must be`);
    noStack(r.stderr);
  });
});
