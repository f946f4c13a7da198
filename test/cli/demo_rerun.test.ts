// `pix2pix demo` run twice in a row (issue #17): the second run continues the first one's training and
// says so; --fresh starts over, removing only the demo's own folders; a folder the demo did not make,
// or a demo made with other settings, is refused with one line. Runs the CLI through test/cli/harness.ts.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ctx, pix2pix, useCli } from './harness.js';

useCli('demo');
const exists = (p: string) => stat(p).then(() => true, () => false);
const tiny = ['--minutes', '0.01', '--size', '32', '--count', '2', '--test-count', '1', '--filters', '4', '--backend', 'cpu'];
const trainedSteps = (stderr: string) => Number(/trained \(\s*(\d+) steps\)/.exec(stderr)?.[1]);

describe('pix2pix demo, run again', () => {
  it('the second run continues the first demo and says so; --fresh starts over and keeps files it did not make', async () => {
    const first = await pix2pix('demo', '--out', 'demo', ...tiny);
    expect(first.code, first.stderr).toBe(0);
    const steps1 = trainedSteps(first.stderr);
    expect(steps1).toBeGreaterThan(0);
    await writeFile(join(ctx.tmp, 'demo', 'my-notes.txt'), 'mine');

    const second = await pix2pix('demo', '--out', 'demo', ...tiny);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`demo: continuing the previous demo's training in ${join('demo', 'train')} (pass --fresh to start over)`);
    expect(trainedSteps(second.stderr)).toBeGreaterThan(steps1);

    const fresh = await pix2pix('demo', '--out', 'demo', '--fresh', ...tiny);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toContain("demo: --fresh: removed the previous demo's data/train, data/test, train, held-out.png in demo");
    expect(fresh.stderr).not.toContain('continuing');
    expect(trainedSteps(fresh.stderr)).toBeLessThan(trainedSteps(second.stderr));
    expect(await readFile(join(ctx.tmp, 'demo', 'my-notes.txt'), 'utf8')).toBe('mine');
    expect(await exists(join(ctx.tmp, 'demo', 'train', 'checkpoint', 'model.json'))).toBe(true);
  });

  it('a demo made with other settings is not continued silently', async () => {
    const r = await pix2pix('demo', '--out', 'demo', ...tiny.map((a) => (a === '4' ? '8' : a)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('demo holds a demo made with --filters 4; pass the same values to continue it, or --fresh to start over');
  });

  it('a folder holding data the demo did not write is refused and left alone', async () => {
    await mkdir(join(ctx.tmp, 'theirs', 'data', 'train'), { recursive: true });
    await writeFile(join(ctx.tmp, 'theirs', 'data', 'train', 'a.png'), 'not ours');
    for (const extra of [[], ['--fresh']]) {
      const r = await pix2pix('demo', '--out', 'theirs', ...extra, ...tiny);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('theirs already holds data/train, not written by the demo (no demo.json): choose another --out');
    }
    expect(await readFile(join(ctx.tmp, 'theirs', 'data', 'train', 'a.png'), 'utf8')).toBe('not ours');
  });
});
