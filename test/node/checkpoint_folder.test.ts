// fileCheckpoint's safety rules: it replaces only folders that hold a model of the same kind, and it
// cleans up after saves that were killed half-way (temp folders, a missing target with a `.old-*` copy).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { checkReplaceable, fileCheckpoint, modelFolderKind, recoverInterruptedSave } from '../../src/node/checkpoint.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pix2pix-ckfolder-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const tiny = () => {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ units: 2, inputShape: [3] }));
  return m;
};
/** A pid that is certainly not running: a child process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;
const trainerLike = (dir: string) => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: { format: 'acme-pix2pix-checkpoint' }, weightsManifest: [] }));
  fs.writeFileSync(path.join(dir, 'weights.bin'), '');
};

describe('fileCheckpoint replaces only its own kind of folder', () => {
  it('refuses a folder of other files, names it, and leaves every file in place', async () => {
    const dir = path.join(root, 'photos');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'holiday.jpg'), 'precious');
    const m = tiny();
    await expect(m.save(fileCheckpoint(dir))).rejects.toThrow(`${path.resolve(dir)} already exists and holds files that are not a pix2pix model folder`);
    expect(fs.readFileSync(path.join(dir, 'holiday.jpg'), 'utf8')).toBe('precious');
    expect(fs.readdirSync(root).filter((n) => n.includes('photos'))).toEqual(['photos']); // no temp or old folders left
    // A folder holding a model.json that is not a tfjs model is not ours either.
    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'model.json'), '{"name": "something else"}');
    await expect(m.save(fileCheckpoint(other))).rejects.toThrow(/holds files that are not a pix2pix model folder/);
    expect(fs.readFileSync(path.join(other, 'model.json'), 'utf8')).toBe('{"name": "something else"}');
    m.dispose();
  });

  it('refuses to put a plain model over a training checkpoint', async () => {
    const dir = path.join(root, 'run', 'checkpoint');
    trainerLike(dir);
    expect(await modelFolderKind(dir)).toBe('trainer');
    const m = tiny();
    await expect(m.save(fileCheckpoint(dir))).rejects.toThrow(/holds a training checkpoint: refusing to replace it with a model folder/);
    expect(await modelFolderKind(dir)).toBe('trainer');
    await expect(checkReplaceable(dir, 'trainer')).resolves.toBeUndefined();
    m.dispose();
  });

  it('replaces a model folder of the same kind, and writes into an empty folder', async () => {
    const dir = path.join(root, 'model');
    fs.mkdirSync(dir);
    const m = tiny();
    await m.save(fileCheckpoint(dir)); // empty folder
    expect(await modelFolderKind(dir)).toBe('model');
    await m.save(fileCheckpoint(dir)); // same kind
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(await modelFolderKind(path.join(root, 'absent'))).toBeNull();
    m.dispose();
  });
});

describe('fileCheckpoint cleans up after killed saves', () => {
  it('removes temp folders of dead processes (and old unnamed ones), keeps those of live ones', async () => {
    const dir = path.join(root, 'ck');
    const dead = path.join(root, `.ck.tmp-${deadPid()}-abc123`);
    const legacy = path.join(root, '.ck.tmp-Xy12z9');
    const live = path.join(root, `.ck.tmp-${process.pid}-q1w2e3`);
    for (const d of [dead, legacy, live]) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'weights.bin'), 'partial');
    }
    const m = tiny();
    await m.save(fileCheckpoint(dir));
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(legacy)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    m.dispose();
  });

  it('after a kill between the two renames, the previous checkpoint is moved back', async () => {
    const dir = path.join(root, 'ck2');
    const m = tiny();
    await m.save(fileCheckpoint(dir));
    const old = `${dir}.old-${deadPid()}-1700000000000`;
    fs.renameSync(dir, old); // what a save killed after its first rename leaves behind
    expect(await recoverInterruptedSave(dir)).toBe(old);
    expect(fs.existsSync(old)).toBe(false);
    const back = await tfl.loadLayersModel(fileCheckpoint(dir));
    expect(back.layers.length).toBe(1);
    // A stale .old-* beside a complete checkpoint is removed by the next save.
    fs.cpSync(dir, old, { recursive: true });
    await m.save(fileCheckpoint(dir));
    expect(fs.existsSync(old)).toBe(false);
    back.dispose();
    m.dispose();
  });
});
