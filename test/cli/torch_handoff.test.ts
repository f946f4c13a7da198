// Handing a run to the PyTorch reference and back (issue 14): export-torch <run> --reference-dir writes what
// the reference's --continue_train loads plus train_opt.txt and the command; import-torch <reference folder>
// makes a run that Trainer.load (train --resume) continues. Runs the command functions in-process.
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';
import { exportTorchWeights } from '../../src/io/torch/weights.js';
import { readTorchStateDict } from '../../src/io/torch/read.js';
import { parseTrainOpt } from '../../src/io/torch/reference_options.js';
import { runExportReference, runImportReference } from '../../src/cli/torch_handoff.js';

const FIXTURES = join(__dirname, '..', 'fixtures', 'torch');
let tmp: string;
let logText = '';
const log = new Writable({
  write(chunk, _enc, done) {
    logText += String(chunk);
    done();
  },
}) as unknown as NodeJS.WriteStream;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'pix2pix-handoff-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A train run folder as `pix2pix train` leaves it: checkpoint/ + run.json (unet_128, ngf 2, 70x70 D, ndf 2). */
async function makeRun(dir: string): Promise<void> {
  const G = unetGenerator({ imageSize: 128, filters: 2, norm: 'instance', seed: 1 });
  const D = patchDiscriminator({ receptiveField: 70, filters: 2, norm: 'instance', seed: 2 });
  const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ lambda: 50, gan: 'lsgan' }), learningRate: 1e-4, seed: 3 });
  await mkdir(dir);
  await trainer.save(fileCheckpoint(join(dir, 'checkpoint')));
  trainer.dispose();
  const run = {
    data: '/data/my facades', layout: 'ab', direction: 'BtoA', size: 128, loadSize: 143, flip: false, inputChannels: 3, outputChannels: 3,
    batchSize: 4, lambda: 50, gan: 'lsgan', reconstruction: 'l1', norm: 'instance', rf: 70, generator: 'unet', filters: 2, dFilters: 2,
    lr: 1e-4, seed: 3, someFutureKey: 'ignored',
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(run, null, 2));
}

describe('pix2pix export-torch <run> --reference-dir', () => {
  it('writes latest_net_G/D.pth, train_opt.txt in the reference format, and prints the continue_train command', async () => {
    const run = join(tmp, 'run');
    await makeRun(run);
    const refDir = join(tmp, 'checkpoints', 'facades_js');
    logText = '';
    const command = await runExportReference({ run, referenceDir: refDir, half: false, backend: 'cpu', log });
    expect((await readdir(refDir)).filter((n) => !n.startsWith('.')).sort()).toEqual(['latest_net_D.pth', 'latest_net_G.pth', 'train_opt.txt']); // and the write record

    // The networks, in the reference's keys, exactly as the run holds them.
    const trainer = await Trainer.load(fileCheckpoint(join(run, 'checkpoint')));
    const g = await readFile(join(refDir, 'latest_net_G.pth'));
    expect(Buffer.from(exportTorchWeights(trainer.generator)).equals(g)).toBe(true);
    const d = readTorchStateDict(new Uint8Array(await readFile(join(refDir, 'latest_net_D.pth'))));
    expect(d.get('model.0.weight')?.shape).toEqual([2, 6, 4, 4]);
    trainer.dispose();

    // train_opt.txt: the reference's print_options format, our options under its names.
    const text = await readFile(join(refDir, 'train_opt.txt'), 'utf8');
    expect(text.startsWith('----------------- Options ---------------\n')).toBe(true);
    expect(text.endsWith('----------------- End -------------------\n')).toBe(true);
    expect(text).toContain(`${' '.repeat(21)}netG: unet_128${' '.repeat(22)}\t[default: unet_256]\n`);
    expect(text).toContain(`${' '.repeat(20)}model: pix2pix${' '.repeat(23)}\n`);
    const opt = parseTrainOpt(text);
    expect(Object.fromEntries(opt)).toMatchObject({
      dataroot: '/data/my facades', name: 'facades_js', checkpoints_dir: join(tmp, 'checkpoints'), netG: 'unet_128', netD: 'basic',
      n_layers_D: '3', norm: 'instance', ngf: '2', ndf: '2', direction: 'BtoA', crop_size: '128', load_size: '143', no_flip: 'True',
      batch_size: '4', lambda_L1: '50.0', gan_mode: 'lsgan', lr: '0.0001', input_nc: '3', output_nc: '3', continue_train: 'True',
    });
    expect([...opt.keys()]).toEqual([...opt.keys()].sort());

    expect(command).toBe(
      `python train.py --dataroot '/data/my facades' --name facades_js --checkpoints_dir ${join(tmp, 'checkpoints')} --model pix2pix ` +
        '--netG unet_128 --netD basic --n_layers_D 3 --norm instance --ngf 2 --ndf 2 --direction BtoA --batch_size 4 --crop_size 128 ' +
        '--gan_mode lsgan --lambda_L1 50.0 --load_size 143 --lr 0.0001 --no_flip --continue_train',
    );
    expect(logText).toContain(command);
    expect(logText).toContain('Adam starts fresh');

    // Never overwrites: a second hand-off into the same folder is refused and leaves the files alone.
    const before = await readFile(join(refDir, 'train_opt.txt'));
    await expect(runExportReference({ run, referenceDir: refDir, half: false, backend: 'cpu', log })).rejects.toThrow(/refusing to overwrite .*latest_net_G\.pth/);
    expect(await readFile(join(refDir, 'train_opt.txt'))).toEqual(before);
  });

  it('and back: import-torch <reference folder> makes a run whose checkpoint loads with the same networks', async () => {
    const refDir = join(tmp, 'checkpoints', 'facades_js');
    const out = join(tmp, 'back');
    logText = '';
    await runImportReference({ dir: refDir, epoch: 'latest', out, backend: 'cpu', log });
    expect(logText).toContain('optimizer state starts fresh');
    expect(logText).toContain(`pix2pix train --data /data/my facades --out ${out} --resume`);
    const a = await Trainer.load(fileCheckpoint(join(tmp, 'run', 'checkpoint')));
    const b = await Trainer.load(fileCheckpoint(join(out, 'checkpoint')));
    for (const [x, y] of [[a.generator, b.generator], [a.discriminator!, b.discriminator!]] as const) {
      const wx = x.getWeights();
      const wy = y.getWeights();
      expect(wy.length).toBe(wx.length);
      wx.forEach((w, i) => expect(Array.from(wy[i]!.dataSync())).toEqual(Array.from(w.dataSync())));
    }
    a.dispose();
    b.dispose();
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8'));
    expect(run).toMatchObject({
      data: '/data/my facades', direction: 'BtoA', size: 128, loadSize: 143, flip: false, inputChannels: 3, outputChannels: 3, batchSize: 4,
      lambda: 50, gan: 'lsgan', reconstruction: 'l1', norm: 'instance', rf: 70, generator: 'unet', netG: 'unet_128', filters: 2, dFilters: 2, lr: 1e-4,
    });
    // An existing, non-empty --out is never written into.
    await expect(runImportReference({ dir: refDir, epoch: 'latest', out, backend: 'cpu', log })).rejects.toThrow(/exists and is not an empty folder/);
  });

  it('imports a reference folder written by PyTorch (a 2018 ResNet G, a PatchGAN D, <epoch>_net_*.pth via --epoch)', async () => {
    const refDir = join(tmp, 'torch_written');
    await mkdir(refDir);
    await copyFile(join(FIXTURES, 'resnet2_instance_2018_module_legacy.pth'), join(refDir, '5_net_G.pth'));
    await copyFile(join(FIXTURES, 'nlayer3_instance.pth'), join(refDir, '5_net_D.pth'));
    await expect(runImportReference({ dir: refDir, epoch: 'latest', out: join(tmp, 'x'), backend: 'cpu', log })).rejects.toThrow(
      /no latest_net_G\.pth \(epochs with a generator here: 5; pick one with --epoch\)/,
    );
    const out = join(tmp, 'from_torch');
    await runImportReference({ dir: refDir, epoch: '5', out, backend: 'cpu', log });
    const t = await Trainer.load(fileCheckpoint(join(out, 'checkpoint')));
    expect(t.generator.getLayer('block2_conv2')).toBeDefined();
    const y = t.generator.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 32, 32, 3]);
    y.dispose();
    t.dispose();
    expect(JSON.parse(await readFile(join(out, 'run.json'), 'utf8'))).toMatchObject({ generator: 'resnet', norm: 'instance', rf: 70, filters: 4, dFilters: 4 });
  });

  it("a batch-norm run: prints the torchrun --norm syncbatch command too, and its files fit the reference's SyncBatchNorm networks", async () => {
    const run = join(tmp, 'bn');
    await mkdir(run);
    const G = unetGenerator({ imageSize: 128, filters: 2, norm: 'batch', seed: 1 });
    const D = patchDiscriminator({ receptiveField: 70, filters: 2, norm: 'batch', seed: 2 });
    const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({}), seed: 3 });
    await trainer.save(fileCheckpoint(join(run, 'checkpoint')));
    trainer.dispose();
    await writeFile(join(run, 'run.json'), JSON.stringify({ data: 'data/facades', size: 128, norm: 'batch', filters: 2, dFilters: 2, rf: 70 }));
    const refDir = join(tmp, 'checkpoints', 'bn_js');
    logText = '';
    const command = await runExportReference({ run, referenceDir: refDir, half: false, backend: 'cpu', log });
    expect(command).toMatch(/^python train\.py .*--norm batch /);
    const multi = command.replace(/^python train\.py/, 'torchrun --nproc_per_node=N train.py').replace('--norm batch', '--norm syncbatch');
    expect(logText).toContain(`or on N GPUs (its DDP launch; batch norm becomes --norm syncbatch, which loads the same files):\n${multi}\n`);
    // Strict loading needs the same keys with the same shapes as the reference's networks built with
    // nn.SyncBatchNorm (keys.json: scripts/fixtures/make_syncbatch_fixtures.py, PyTorch on the CPU).
    const fixture = JSON.parse(await readFile(join(FIXTURES, 'syncbatch', 'keys.json'), 'utf8')) as { norm: string; nets: Record<'G' | 'D', { keys: Array<[string, number[]]> }> };
    expect(fixture.norm).toBe('torch.nn.SyncBatchNorm');
    for (const net of ['G', 'D'] as const) {
      const file = join(refDir, `latest_net_${net}.pth`);
      const sd = readTorchStateDict(new Uint8Array(await readFile(file)));
      const ours = [...sd.entries()].map(([k, t]) => [k, [...t.shape]]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
      const theirs = [...fixture.nets[net].keys].sort((a, b) => a[0].localeCompare(b[0]));
      expect(ours).toEqual(theirs);
      expect(theirs.some(([k]) => k.endsWith('.num_batches_tracked'))).toBe(true);
      // PIX2PIX_WRITE_TORCH_EXPORTS=1: keep them for make_syncbatch_fixtures.py --verify (load_state_dict(strict=True) in PyTorch).
      if (process.env.PIX2PIX_WRITE_TORCH_EXPORTS === '1') await copyFile(file, join(FIXTURES, 'syncbatch', `latest_net_${net}.pth`));
    }
  });

  it('refuses runs the reference cannot express, naming why, and writes nothing', async () => {
    const run = join(tmp, 'mixed');
    await mkdir(run);
    const G = unetGenerator({ imageSize: 128, filters: 2, norm: 'instance', seed: 1 });
    const D = patchDiscriminator({ receptiveField: 70, filters: 2, norm: 'batch', seed: 2 });
    const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({}), seed: 3 });
    await trainer.save(fileCheckpoint(join(run, 'checkpoint')));
    trainer.dispose();
    const refDir = join(tmp, 'checkpoints', 'mixed');
    logText = '';
    await expect(runExportReference({ run, referenceDir: refDir, half: false, backend: 'cpu', log })).rejects.toThrow(
      "the generator uses instance norm and the discriminator batch; the reference's --norm sets both",
    );
    expect(logText).toContain('no readable');
    await expect(readdir(refDir)).rejects.toThrow(/ENOENT/);
  });
});
