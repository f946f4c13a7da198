// `pix2pix train` and `import-torch` never destroy what they did not write, stop cleanly on SIGTERM and
// SIGHUP, refuse a second run on a busy --out, and recover from a save killed between its two renames.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctx, exists, historyOf, noStack, pix2pix, root, start, tiny, useCli, waitForSteps } from '../harness.js';

useCli('safety');
const fixture = join(root, 'test', 'fixtures', 'torch', 'unet5_batch.pth');
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('no command replaces a folder it did not write', () => {
  it('import-torch --out <a folder of other files> is refused and the files stay', async () => {
    await mkdir(join(ctx.tmp, 'mine'));
    await writeFile(join(ctx.tmp, 'mine', 'notes.txt'), 'keep me');
    const r = await pix2pix('import-torch', fixture, '--out', 'mine', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mine already exists and holds files that are not a pix2pix model folder/);
    noStack(r.stderr);
    expect(await readFile(join(ctx.tmp, 'mine', 'notes.txt'), 'utf8')).toBe('keep me');
    // An existing model folder from import-torch is replaced (same kind).
    expect((await pix2pix('import-torch', fixture, '--out', 'imported', '--backend', 'cpu')).code).toBe(0);
    const again = await pix2pix('import-torch', fixture, '--out', 'imported', '--backend', 'cpu');
    expect(again.code, again.stderr).toBe(0);
  });

  it("train --out X with files in X/checkpoint/ is refused; import-torch onto a run's checkpoint/ is refused", async () => {
    await mkdir(join(ctx.tmp, 'x', 'checkpoint'), { recursive: true });
    await writeFile(join(ctx.tmp, 'x', 'checkpoint', 'data.csv'), '1,2,3');
    const t = await pix2pix('train', '--dataroot', 'ds', '--out', 'x', '--max-steps', '1', ...tiny);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/--out x: .*checkpoint already exists and holds files that are not a pix2pix model folder/);
    expect(await readFile(join(ctx.tmp, 'x', 'checkpoint', 'data.csv'), 'utf8')).toBe('1,2,3');
    expect(await exists('x/train.lock')).toBe(false);

    const run = await pix2pix('train', '--dataroot', 'ds', '--out', 'r1', '--max-steps', '1', ...tiny);
    expect(run.code, run.stderr).toBe(0);
    const before = await readFile(join(ctx.tmp, 'r1', 'checkpoint', 'model.json'), 'utf8');
    const i = await pix2pix('import-torch', fixture, '--out', 'r1/checkpoint', '--backend', 'cpu');
    expect(i.code).toBe(1);
    expect(i.stderr).toMatch(/holds a training checkpoint: refusing to replace it with a model folder/);
    expect(await readFile(join(ctx.tmp, 'r1', 'checkpoint', 'model.json'), 'utf8')).toBe(before);
  });
});

describe('signals, locks, leftovers', () => {
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal} finishes the step, saves a checkpoint and exits ${code}`, async () => {
      const out = `sig-${signal}`;
      const p = start('train', '--dataroot', 'ds', '--out', out, '--n-epochs', '1000', ...tiny);
      await waitForSteps(out, 1);
      p.child.kill(signal);
      expect(await p.exit, p.stderr()).toBe(code);
      const m = p.stderr().match(/interrupted: checkpoint saved at step (\d+)/);
      expect(m, p.stderr()).not.toBeNull();
      expect(Number(m![1])).toBe((await historyOf(out)).length);
      expect(await exists(`${out}/checkpoint/model.json`)).toBe(true);
      expect(await exists(`${out}/train.lock`)).toBe(false);
      noStack(p.stderr());
    });
  }

  it('a second train on a busy --out is refused; a stale lock is replaced', async () => {
    const p = start('train', '--dataroot', 'ds', '--out', 'busy', '--n-epochs', '1000', ...tiny);
    await waitForSteps('busy', 1);
    const second = await pix2pix('train', '--dataroot', 'ds', '--out', 'busy', '--resume', '--max-steps', '100', '--backend', 'cpu');
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`busy is in use by another pix2pix train (pid ${p.child.pid}`);
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(130);
    const steps = (await historyOf('busy')).length;
    // A lock left by a process that is gone does not block.
    await writeFile(join(ctx.tmp, 'busy', 'train.lock'), JSON.stringify({ pid: deadPid(), host: (await import('node:os')).hostname(), started: 'then' }));
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'busy', '--resume', '--max-steps', String(steps + 1), '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`checkpoint saved at step ${steps + 1}`);
  });

  it('temp folders of killed saves go; after a kill between the renames --resume finds the previous checkpoint', async () => {
    const out = 'killed';
    expect((await pix2pix('train', '--dataroot', 'ds', '--out', out, '--max-steps', '2', ...tiny)).code).toBe(0);
    const tmpLeft = join(ctx.tmp, out, `.checkpoint.tmp-${deadPid()}-a1b2c3`);
    await mkdir(tmpLeft);
    await writeFile(join(tmpLeft, 'weights.bin'), 'partial');
    // A save killed after moving the checkpoint aside and before moving the new one in.
    await rename(join(ctx.tmp, out, 'checkpoint'), join(ctx.tmp, out, `checkpoint.old-${deadPid()}-1700000000000`));
    // Without --resume nothing is overwritten: the checkpoint is found (history.jsonl kept).
    const fresh = await pix2pix('train', '--dataroot', 'ds', '--out', out, '--max-steps', '3', ...tiny);
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toMatch(/already holds a checkpoint: pass --resume/);
    expect((await historyOf(out)).map((e) => e.step)).toEqual([1, 2]);
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', out, '--resume', '--max-steps', '3', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('checkpoint saved at step 3');
    expect((await historyOf(out)).map((e) => e.step)).toEqual([1, 2, 3]);
    const names = await readdir(join(ctx.tmp, out));
    expect(names.filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
  });

  it('a fresh run refuses a folder holding an earlier run without checkpoint (history is not truncated)', async () => {
    await mkdir(join(ctx.tmp, 'half'));
    await writeFile(join(ctx.tmp, 'half', 'history.jsonl'), '{"step":1,"epoch":0}\n');
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'half', '--max-steps', '1', ...tiny);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/half holds history\.jsonl of an earlier run but no checkpoint/);
    expect(await readFile(join(ctx.tmp, 'half', 'history.jsonl'), 'utf8')).toBe('{"step":1,"epoch":0}\n');
  });

  it('a read-only output folder is reported as read-only', async () => {
    // Root writes anywhere. It runs the CLI without the capabilities that bypass file permissions
    // (setpriv, util-linux), so the checkout may sit in a folder only root can enter (mktemp -d); without
    // setpriv, as 'nobody' (the checkout must then be readable for it).
    const isRoot = process.getuid?.() === 0;
    const setpriv = isRoot && existsSync('/usr/bin/setpriv');
    const argv = (out: string) => [ctx.cli, 'train', '--dataroot', 'ds', '--out', out, '--max-steps', '1', ...tiny];
    await chmod(ctx.tmp, 0o755);
    await mkdir(join(ctx.tmp, 'ro'));
    await chmod(join(ctx.tmp, 'ro'), 0o555);
    for (const out of ['ro', 'ro/run']) {
      const r = setpriv
        ? spawnSync('/usr/bin/setpriv', ['--bounding-set', '-dac_override,-dac_read_search', process.execPath, ...argv(out)], { cwd: ctx.tmp, encoding: 'utf8' })
        : spawnSync(process.execPath, argv(out), { cwd: ctx.tmp, encoding: 'utf8', ...(isRoot ? { uid: 65534, gid: 65534 } : {}) });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^pix2pix: error: --out ${out}: \\S*/ro is read-only \\(cannot create or write ${out}: EACCES\\)`));
    }
  });

  it('an unknown command prints the program usage once', async () => {
    const r = await pix2pix('trian');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Usage: pix2pix [options] [command]');
    expect(r.stderr).not.toContain('pix2pix pix2pix');
  });
});

describe('sizes the backend cannot hold', () => {
  it('train on wasm refuses up front a size its 4 GiB heap cannot hold, writes no run, and the same --out works after', async () => {
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'huge', '--crop-size', '2048', '--backend', 'wasm', '--max-steps', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--crop-size 2048 --batch-size 1 on wasm: a training step at 2048x2048 \(batch 1\) needs ~[\d.]+ GB of wasm heap; the wasm backend holds at most 4\.0 GB/);
    noStack(r.stderr);
    expect(await exists('huge/run.json')).toBe(false);
    expect(await exists('huge/checkpoint')).toBe(false);
    const ok = await pix2pix('train', '--dataroot', 'ds', '--out', 'huge', ...tiny, '--max-steps', '1');
    expect(ok.code, ok.stderr).toBe(0);
  });
});
