// The reference's data layout and test.py flags: --dataroot with --phase in train/test/translate,
// --name + --checkpoints-dir, --epoch, --results-dir (<results-dir>/<name>/<phase>_<epoch>/), a fresh
// train that fails before its first step leaving --out as it was, and the timing in history.jsonl.
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctx, exists, historyOf, noStack, pix2pix, tiny, useCli } from './harness.js';

useCli('reflayout');

describe('the reference layout: <dataroot>/<phase>/', () => {
  beforeAll(async () => {
    for (const [phase, offset] of [['train', '0'], ['test', '100']] as const) {
      const r = await pix2pix('make-dataset', '--out', `D/${phase}`, '--count', '2', '--size', '32', '--offset', offset);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 60_000);

  it('train --dataroot D --name reads D/train/ into <checkpoints-dir>/<name>; history.jsonl has wall time and steps/s', async () => {
    const r = await pix2pix('train', '--dataroot', 'D', '--name', 'r1', '--checkpoints-dir', 'ck', ...tiny, '--n-epochs', '2', '--n-epochs-decay', '0', '--save-epoch-freq', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/2 pairs from D/);
    expect(await exists('ck/r1/checkpoint/model.json')).toBe(true);
    expect(await exists('ck/r1/checkpoint-epoch-1/model.json')).toBe(true);
    expect(JSON.parse(await readFile(join(ctx.tmp, 'ck/r1/run.json'), 'utf8')).phase).toBe('train');
    const h = await historyOf('ck/r1');
    expect(h.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    const now = Date.now() / 1000;
    for (const [i, e] of h.entries()) {
      expect(e.time).toBeGreaterThan(now - 600);
      expect(e.time).toBeLessThanOrEqual(now);
      expect(e.stepTime).toBeGreaterThan(0);
      expect(e.stepsPerSec).toBeCloseTo(e.step / e.elapsed, 6); // one session: steps / training seconds
      if (i > 0) expect(e.elapsed - h[i - 1]!.elapsed).toBeCloseTo(e.stepTime, 6);
    }
    // --out and --name naming different folders is refused.
    const c = await pix2pix('train', '--dataroot', 'D', '--name', 'r2', '--out', 'elsewhere', ...tiny);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/--out elsewhere and --name r2 \(ck|checkpoints\/r2\) name different run folders/);
    noStack(c.stderr);
  });

  it("test takes test.py's flags: --dataroot --phase --name --checkpoints-dir --epoch --results-dir --num-test", async () => {
    const a = await pix2pix('test', '--dataroot', 'D', '--name', 'r1', '--checkpoints-dir', 'ck', '--eval', '--backend', 'cpu');
    expect(a.code, a.stderr).toBe(0);
    const json = JSON.parse(await readFile(join(ctx.tmp, 'results/r1/test_latest/metrics.json'), 'utf8'));
    expect(json.data).toBe(join('D', 'test'));
    expect(json.images).toHaveLength(2);
    const b = await pix2pix('test', '--dataroot', 'D', '--phase', 'train', '--name', 'r1', '--checkpoints-dir', 'ck', '--epoch', '1', '--results-dir', 'res', '--num-test', '1', '--backend', 'cpu');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/checkpoint-epoch-1/);
    expect((await readdir(join(ctx.tmp, 'res/r1/train_1/images'))).sort()).toEqual(['00000_fake_B.png', '00000_real_A.png', '00000_real_B.png']);
    const c = await pix2pix('test', '--dataroot', 'D', '--model', 'ck/r1', '--epoch', '7', '--backend', 'cpu');
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/--epoch 7: ck\/r1 has no checkpoint-epoch-7\/ or 7_net_G\.pth \(epochs it has besides latest: 1, 2\)/);
    const d = await pix2pix('test', '--dataroot', 'D', '--phase', 'val', '--model', 'ck/r1', '--backend', 'cpu');
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/--phase val: no folder D\/val \(it has train\/, test\/\)/);
    for (const r of [c, d]) noStack(r.stderr);
  });

  it('translate --dataroot --phase --name --num-test', async () => {
    const r = await pix2pix('translate', '--dataroot', 'D', '--name', 'r1', '--checkpoints-dir', 'ck', '--ab', '--output', 'tr', '--num-test', '1', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(join(ctx.tmp, 'tr'))).filter((n) => !n.startsWith('.'))).toEqual(['00100.png']);
  });

  it('a fresh train that fails before its first step leaves --out as it was', async () => {
    const a = await pix2pix('train', '--dataroot', 'D', '--phase', 'val', '--out', 'never', ...tiny);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/--phase val: no folder D\/val/);
    expect(await exists('never')).toBe(false);
    await mkdir(join(ctx.tmp, 'empty-data'));
    await mkdir(join(ctx.tmp, 'kept'));
    const b = await pix2pix('train', '--dataroot', 'empty-data', '--out', 'kept', ...tiny);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/no images in folder/);
    expect(await readdir(join(ctx.tmp, 'kept'))).toEqual([]);
    // Failing inside the first step (a crop larger than the images): nothing written either.
    const c = await pix2pix('train', '--dataroot', 'D', '--out', 'big', ...tiny, '--crop-size', '64', '--load-size', '64', '--preprocess', 'crop');
    expect(c.code).toBe(1);
    expect(await exists('big')).toBe(false);
    for (const r of [a, b, c]) noStack(r.stderr);
  });
});
