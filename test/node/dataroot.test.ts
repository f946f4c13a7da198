// --dataroot + --phase: <root>/<phase>/ when it exists, else the folder itself, with errors that name what is there.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDataroot } from '../../src/node/dataroot.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'pix2pix-dataroot-'));
  for (const d of ['ref/train', 'ref/test', 'plain', 'mixed/train', 'folders/A', 'folders/B', 'onlytrain/train']) await mkdir(join(tmp, d), { recursive: true });
  await writeFile(join(tmp, 'plain/0001.png'), 'x');
  await writeFile(join(tmp, 'mixed/0001.jpg'), 'x');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('resolveDataroot', () => {
  it('reads <root>/<phase>/ when it exists, else a plain folder itself', async () => {
    expect(await resolveDataroot(join(tmp, 'ref'), 'train', false)).toEqual({ dir: join(tmp, 'ref/train'), phase: 'train' });
    expect(await resolveDataroot(join(tmp, 'ref'), 'test', true)).toEqual({ dir: join(tmp, 'ref/test'), phase: 'test' });
    expect(await resolveDataroot(join(tmp, 'plain'), 'test', false)).toEqual({ dir: join(tmp, 'plain'), phase: null });
    expect(await resolveDataroot(join(tmp, 'folders'), 'train', false)).toEqual({ dir: join(tmp, 'folders'), phase: null });
    // Images of its own beside a train/ folder: a plain folder when testing.
    expect(await resolveDataroot(join(tmp, 'mixed'), 'test', false)).toEqual({ dir: join(tmp, 'mixed'), phase: null });
  });

  it('names what is missing and what is there', async () => {
    await expect(resolveDataroot(join(tmp, 'ref'), 'val', true)).rejects.toThrow(`--phase val: no folder ${join(tmp, 'ref/val')} (it has train/, test/)`);
    await expect(resolveDataroot(join(tmp, 'plain'), 'test', true)).rejects.toThrow(/--phase test: no folder .*plain\/test$/);
    await expect(resolveDataroot(join(tmp, 'onlytrain'), 'test', false)).rejects.toThrow(/has no test\/ folder \(it has train\/\): give --phase train/);
    await expect(resolveDataroot(join(tmp, 'nope'), 'train', false)).rejects.toThrow(/nope: no such folder/);
    await expect(resolveDataroot(join(tmp, 'ref'), '../ref', true)).rejects.toThrow("--phase must be a folder name such as train, val or test (got '../ref')");
  });
});
