// A killed (kill -9) or full-disk run of export, test, combine, make-dataset and train leaves nothing
// that blocks the same command: the rerun succeeds. Full-disk errors name the path and the cause in one
// line. The full disk is a small tmpfs (root only; CI runs as root).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctx, noStack, pix2pix, start, tiny, useCli } from './harness.js';

useCli('interrupted');
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const entries = (dir: string) => readdir(join(ctx.tmp, dir)).catch(() => [] as string[]);
const temps = async (dir: string) => (await entries(dir)).filter((n) => n.includes('.tmp-'));

/** Starts the CLI, SIGKILLs it as soon as `ready()` holds; returns whether it was caught in time. */
async function killWhen(args: string[], ready: () => Promise<boolean>): Promise<boolean> {
  const s = start(...args);
  let caught = false;
  for (let i = 0; i < 6000 && s.child.exitCode === null; i++) {
    if (await ready()) {
      caught = true;
      break;
    }
    await sleep(10);
  }
  s.child.kill('SIGKILL');
  await s.exit;
  return caught;
}
const hasTemp = (dir: string, name: string) => async () => (await entries(dir)).some((n) => n.startsWith(`.${name}.tmp-`));

let disk = '';
beforeAll(async () => {
  const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'run', '--max-steps', '1', ...tiny);
  expect(r.code, r.stderr).toBe(0);
  expect((await pix2pix('make-dataset', '--out', 'big', '--count', '60', '--size', '32')).code).toBe(0);
  disk = join(ctx.tmp, 'disk');
  await mkdir(disk);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', disk]);
}, 120_000);

afterAll(() => {
  if (disk !== '') execFileSync('umount', [disk]);
});

describe('kill -9, then the same command again', () => {
  const cases: Array<[string, string[], string]> = [
    ['make-dataset', ['make-dataset', '--out', 'kd', '--count', '300', '--size', '64'], 'kd'],
    ['combine', ['combine', '--a', 'big', '--b', 'big', '--out', 'kc'], 'kc'],
    ['test', ['test', '--model', 'run', '--data', 'big', '--results', 'kr', '--backend', 'cpu'], 'kr'],
  ];
  for (const [what, args, out] of cases) {
    it(what, async () => {
      expect(await killWhen(args, hasTemp('.', out)), `${what} finished before it could be killed`).toBe(true);
      expect(await entries(out)).toEqual([]); // nothing at the target: the folder appears complete or not at all
      const again = await pix2pix(...args);
      expect(again.code, again.stderr).toBe(0);
      expect((await entries(out)).length).toBeGreaterThan(1);
      expect(await temps('.')).toEqual([]);
    });
  }

  it('train (killed before its first checkpoint)', async () => {
    const args = ['train', '--dataroot', 'ds', '--out', 'kt', '--max-steps', '6', '--checkpoint-every', '1000', ...tiny];
    expect(await killWhen(args, async () => (await entries('kt')).includes('run.json'))).toBe(true);
    expect(await entries('kt/checkpoint')).toEqual([]);
    const again = await pix2pix(...args);
    expect(again.code, again.stderr).toBe(0);
  });

  it('export (the leftovers a kill leaves: a partial temp folder, a 0-byte .onnx temp file)', async () => {
    const pid = deadPid();
    await mkdir(join(ctx.tmp, `.ke.tmp-${pid}-abc123`));
    await writeFile(join(ctx.tmp, `.ke.tmp-${pid}-abc123`, 'weights.bin'), new Uint8Array(100));
    await writeFile(join(ctx.tmp, `.ke.onnx.tmp-${pid}-x1y2`), '');
    const t = await pix2pix('export', '--model', 'run', '--out', 'ke', '--backend', 'cpu');
    expect(t.code, t.stderr).toBe(0);
    const o = await pix2pix('export', '--model', 'run', '--out', 'ke.onnx', '--format', 'onnx', '--backend', 'cpu');
    expect(o.code, o.stderr).toBe(0);
    expect(await temps('.')).toEqual([]);
  });
});

describe('a full disk, then the same command again with space', () => {
  /** Fills the tmpfs up to `leaveKiB` free. */
  async function fill(leaveKiB: number): Promise<void> {
    const s = await statfs(disk);
    await writeFile(join(disk, 'filler'), new Uint8Array(Math.max(0, s.bavail * s.bsize - leaveKiB * 1024)));
  }
  const cases: Array<[string, string[], number]> = [
    ['make-dataset', ['make-dataset', '--out', 'disk/md', '--count', '60', '--size', '32'], 32],
    ['combine', ['combine', '--a', 'big', '--b', 'big', '--out', 'disk/cb'], 32],
    ['test', ['test', '--model', 'run', '--data', 'big', '--results', 'disk/tr', '--backend', 'cpu'], 32],
    ['export', ['export', '--model', 'run', '--out', 'disk/ex', '--backend', 'cpu'], 16],
    ['train', ['train', '--dataroot', 'ds', '--out', 'disk/tt', '--max-steps', '1', ...tiny], 40],
  ];
  for (const [what, args, leave] of cases) {
    it(what, async () => {
      await fill(leave);
      const full = await pix2pix(...args);
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/^pix2pix: error: .*disk\/\S+.*: no space left on the device/m);
      noStack(full.stderr);
      await rm(join(disk, 'filler'));
      const again = await pix2pix(...args);
      expect(again.code, again.stderr).toBe(0);
      expect(await temps('disk')).toEqual([]);
    });
  }

  it('says how much of an export was written', async () => {
    await fill(16);
    const full = await pix2pix('export', '--model', 'run', '--out', 'disk/ex2', '--backend', 'cpu');
    await rm(join(disk, 'filler'));
    expect(full.stderr).toMatch(/^pix2pix: error: --out disk\/ex2 \(\S+weights\.bin\): no space left on the device \(wrote [\d.]+ of [\d.]+ MB; nothing kept\)$/m);
    expect(await entries('disk/ex2')).toEqual([]);
  });
});
