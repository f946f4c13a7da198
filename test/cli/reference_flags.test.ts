// The reference's run-folder flags without running a command: --name + --checkpoints-dir, --epoch.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eitherName, modelForEpoch, runFolderOf } from '../../src/cli/reference_flags.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'pix2pix-refflags-'));
  for (const d of ['run/checkpoint', 'run/checkpoint-epoch-3', 'run/checkpoint-epoch-10', 'torch']) await mkdir(join(tmp, d), { recursive: true });
  for (const f of ['torch/latest_net_G.pth', 'torch/5_net_G.pth', 'g.pth']) await writeFile(join(tmp, f), 'x');
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('reference run-folder flags', () => {
  it('--name [+ --checkpoints-dir] is <checkpoints-dir>/<name>; with --out/--model it must be the same folder', () => {
    expect(runFolderOf({ name: 'facades' }, { flag: '--out', value: undefined })).toBe(join('checkpoints', 'facades'));
    expect(runFolderOf({ name: 'facades', checkpointsDir: 'ck' }, { flag: '--out', value: 'ck/facades' })).toBe(join('ck', 'facades'));
    expect(runFolderOf({}, { flag: '--model', value: 'runs/x' })).toBe('runs/x');
    expect(() => runFolderOf({ name: 'a' }, { flag: '--out', value: 'b' })).toThrow('--out b and --name a (checkpoints/a) name different run folders: give one');
    expect(() => runFolderOf({ checkpointsDir: 'ck' }, { flag: '--out', value: undefined })).toThrow('--checkpoints-dir needs --name');
    expect(() => runFolderOf({ name: '../x' }, { flag: '--out', value: undefined })).toThrow("--name must be a folder name (got '../x')");
    expect(eitherName({ flag: '--data', value: 'a' }, { flag: '--dataroot', value: undefined })).toBe('a');
    expect(() => eitherName({ flag: '--data', value: 'a' }, { flag: '--dataroot', value: 'b' })).toThrow('--data a and --dataroot b name the same thing differently');
  });

  it('--epoch: latest, a numbered snapshot, or a reference <epoch>_net_G.pth; a missing one lists what there is', async () => {
    const run = join(tmp, 'run');
    expect(await modelForEpoch(run, 'latest')).toBe(run);
    expect(await modelForEpoch(run, '3')).toBe(join(run, 'checkpoint-epoch-3'));
    await expect(modelForEpoch(run, '4')).rejects.toThrow(`--epoch 4: ${run} has no checkpoint-epoch-4/ or 4_net_G.pth (epochs it has besides latest: 3, 10)`);
    await expect(modelForEpoch(run, 'best')).rejects.toThrow(/has no checkpoint-best\//);
    await expect(modelForEpoch(run, 'last')).rejects.toThrow("--epoch must be latest, best or an epoch number (got 'last')");
    const torch = join(tmp, 'torch');
    expect(await modelForEpoch(torch, 'latest')).toBe(join(torch, 'latest_net_G.pth'));
    expect(await modelForEpoch(torch, '5')).toBe(join(torch, '5_net_G.pth'));
    await expect(modelForEpoch(torch, '6')).rejects.toThrow(/has no checkpoint-epoch-6\/ or 6_net_G\.pth \(epochs it has besides latest: 5\)/);
    expect(await modelForEpoch(join(tmp, 'g.pth'), 'latest')).toBe(join(tmp, 'g.pth'));
    await expect(modelForEpoch(join(tmp, 'g.pth'), '2')).rejects.toThrow(/--epoch 2: applies to a train run folder/);
  });
});
