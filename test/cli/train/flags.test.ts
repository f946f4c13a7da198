// `pix2pix train` flags: the reference's names with our older names as aliases, one setting under two
// names, --resume refusing what would change the run, --init-generator, and validation while training.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTorchStateDict } from '../../../src/io/torch/read.js';
import { ctx, exists, historyOf, noStack, pix2pix, root, tiny, useCli } from '../harness.js';

useCli('flags');
const fixture = join(root, 'test', 'fixtures', 'torch', 'unet5_batch.pth'); // U-Net, 5 levels, ngf 4, batch norm, 32x32
const topology = async (dir: string) => JSON.parse(await readFile(join(ctx.tmp, dir, 'model.json'), 'utf8')).modelTopology;

describe('pix2pix train flags', () => {
  it('--help lists the flags that may change on resume; one setting under two names must agree', async () => {
    const h = await pix2pix('train', '--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/only these may change: .*--n-epochs, --epochs, .*--max-steps, --time-limit/s);
    for (const f of ['--netG <name>', '--netD <name>', '--n-layers-D <n>', '--ngf <n>', '--lambda-L1 <x>', '--gan-mode <kind>', '--continue-train', '--no-dropout', '--lr-policy <name>']) expect(h.stdout).toContain(f);
    const a = await pix2pix('train', '--dataroot', 'ds', '--ngf', '4', '--filters', '8');
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('--ngf 4 and --filters 8 set the same option (filters) to different values');
    const b = await pix2pix('train', '--dataroot', 'ds', '--netD', 'basic', '--rf', '34');
    expect(b.stderr).toContain('--netD basic and --rf 34 set the same option (rf)');
    const c = await pix2pix('train', '--out', 'never');
    expect(c.stderr).toMatch(/required option '--dataroot <dir>' \(or --data <dir>\) not specified/);
    for (const r of [a, b, c]) noStack(r.stderr);
  });

  it('the reference flags build what they name (checkpoint topology, trainer state, learning rate per epoch)', async () => {
    const r = await pix2pix(
      'train', '--dataroot', 'ds', '--out', 'ref', ...tiny, '--netD', 'n_layers', '--n-layers-D', '1', '--no-dropout', '--unconditional-d',
      '--gan-mode', 'lsgan', '--lambda-L1', '10', '--beta1', '0.9', '--lr', '0.001', '--lr-policy', 'step', '--lr-decay-iters', '1',
      '--serial-batches', '--max-dataset-size', '1', '--n-epochs', '2', '--n-epochs-decay', '0',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pix2pix train: 1 pairs from ds/);
    const top = await topology('ref/checkpoint');
    const D = top.discriminator.config;
    expect(D.input_layers.length).toBe(1); // unconditional: the target alone
    expect(D.layers.filter((l: { class_name: string }) => l.class_name === 'Conv2D').length).toBe(3); // n_layers_D 1: 1 strided + 2 stride-1 convs
    expect(JSON.stringify(top.generator)).not.toMatch(/Dropout/);
    expect(top.trainer.beta1).toBe(0.9);
    expect(top.trainer.schedule).toMatchObject({ policy: 'step', stepSize: 1 });
    expect(top.trainer.loss).toMatchObject({ gan: 'lsgan', lambda: 10 });
    // One pair, one step per epoch: epoch 0 at lr 1e-3, epoch 1 decayed by 0.1.
    const h = await historyOf('ref');
    expect(h.map((e) => e.lr)).toEqual([0.001, expect.closeTo(0.0001, 12)]);
    const saved = JSON.parse(await readFile(join(ctx.tmp, 'ref', 'run.json'), 'utf8'));
    expect(saved).toMatchObject({ rf: 16, netG: 'unet', generator: 'unet', filters: 4, dFilters: 4, dropout: false, unconditionalD: true, serialBatches: true, maxDatasetSize: 1 });
  });

  it('--netG resnet_6blocks, --init-type, --init-gain and --preprocess reach the networks and the data', async () => {
    const r = await pix2pix(
      'train', '--dataroot', 'ds', '--out', 'res', ...tiny, '--netG', 'resnet_6blocks', '--init-type', 'xavier', '--init-gain', '0.5',
      '--preprocess', 'crop', '--max-steps', '1',
    );
    expect(r.code, r.stderr).toBe(0);
    const top = await topology('res/checkpoint');
    const G = top.generator.config.layers as { class_name: string; config: { kernel_initializer?: { config?: Record<string, unknown> } } }[];
    // 6 residual blocks of two 3x3 convs, plus the 7x7 in, two down, two up (transposed) and the 7x7 out.
    expect(G.filter((l) => l.class_name === 'Conv2D').length).toBe(6 * 2 + 4);
    expect(G.filter((l) => l.class_name === 'Conv2DTranspose').length).toBe(2);
    expect(JSON.stringify(top.generator)).toMatch(/Dropout/); // pix2pix's ResNet blocks keep dropout unless --no-dropout
    expect(JSON.stringify(top.generator)).toContain('xavier');
    expect(JSON.stringify(top.discriminator)).toContain('xavier');
    const saved = JSON.parse(await readFile(join(ctx.tmp, 'res', 'run.json'), 'utf8'));
    expect(saved).toMatchObject({ netG: 'resnet_6blocks', generator: 'resnet', initType: 'xavier', initGain: 0.5, preprocess: 'crop' });
    const bad = await pix2pix('train', '--dataroot', 'ds', '--out', 'res', '--resume', '--init-type', 'kaiming', '--max-steps', '2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--init-type kaiming (the run has initType xavier)');
  });

  it('--epoch-count starts the schedule where the reference would; --lr-policy plateau needs --val-data and runs with it', async () => {
    // The reference with epoch_count 2, n_epochs 1, n_epochs_decay 1 trains one epoch at factor
    // 1 - max(0, 0 + 2 - 1) / (1 + 1) = 0.5 of the base rate.
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'ec', ...tiny, '--epoch-count', '2', '--n-epochs', '1', '--n-epochs-decay', '1');
    expect(r.code, r.stderr).toBe(0);
    const h = await historyOf('ec');
    expect(h.length).toBe(2); // one epoch of the 2 pairs
    for (const e of h) expect(e.lr).toBeCloseTo(1e-4, 12);
    const bad = await pix2pix('train', '--dataroot', 'ds', '--out', 'pl', ...tiny, '--lr-policy', 'plateau', '--max-steps', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--lr-policy plateau needs --val-data');
    noStack(bad.stderr);
    const ok = await pix2pix('train', '--dataroot', 'ds', '--out', 'pl', ...tiny, '--lr-policy', 'plateau', '--val-data', 'ds', '--val-every', '1', '--max-steps', '2');
    expect(ok.code, ok.stderr).toBe(0);
    expect((await topology('pl/checkpoint')).trainer.schedule).toMatchObject({ policy: 'plateau' });
  });

  it('--resume refuses flags that would change the run, naming each with the run value; changeable ones pass', async () => {
    const t = await pix2pix('train', '--data', 'ds', '--out', 'rr', '--max-steps', '1', ...tiny);
    expect(t.code, t.stderr).toBe(0);
    const bad = await pix2pix('train', '--data', 'other', '--out', 'rr', '--resume', '--filters', '8', '--norm', 'instance', '--generator', 'encoder-decoder', '--size', '64', '--rf', '34', '--max-steps', '2');
    expect(bad.code).toBe(1);
    for (const part of [`--data other (the run has data ${join(ctx.tmp, 'ds')})`, '--size 64 (the run has size 32)', '--generator encoder-decoder (the run has netG unet)', '--filters 8 (the run has filters 4)', '--rf 34 (the run has rf 70)', '--norm instance (the run has norm batch)']) {
      expect(bad.stderr).toContain(part);
    }
    noStack(bad.stderr);
    expect((await historyOf('rr')).length).toBe(1);
    // The same values under either name, and the changeable flags, are fine.
    const ok = await pix2pix('train', '--dataroot', 'ds', '--out', 'rr', '--continue-train', '--ngf', '4', '--crop-size', '32', '--netD', 'basic', '--max-steps', '2', '--backend', 'cpu', '--sample-every', '5');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('checkpoint saved at step 2');
  });

  it('--init-generator starts G from a reference .pth (exact weights), and refuses a mismatched one', async () => {
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'ft', ...tiny, '--init-generator', fixture, '--n-epochs', '0', '--n-epochs-decay', '0');
    expect(r.code, r.stderr).toBe(0);
    const e = await pix2pix('export-torch', 'ft', '--out', 'ft-G.pth', '--backend', 'cpu');
    expect(e.code, e.stderr).toBe(0);
    const want = readTorchStateDict(new Uint8Array(await readFile(fixture)));
    const got = readTorchStateDict(new Uint8Array(await readFile(join(ctx.tmp, 'ft-G.pth'))));
    for (const [k, w] of want) {
      if (k.endsWith('num_batches_tracked')) continue;
      expect(Array.from(got.get(k)!.data as Float32Array), k).toEqual(Array.from(w.data as Float32Array));
    }
    // A training run works as well: its generator.
    const r2 = await pix2pix('train', '--dataroot', 'ds', '--out', 'ft3', ...tiny, '--init-generator', 'ft', '--n-epochs', '0', '--n-epochs-decay', '0');
    expect(r2.code, r2.stderr).toBe(0);
    expect((await pix2pix('export-torch', 'ft3', '--out', 'ft3-G.pth', '--backend', 'cpu')).code).toBe(0);
    const got3 = readTorchStateDict(new Uint8Array(await readFile(join(ctx.tmp, 'ft3-G.pth'))));
    for (const [k, w] of want) if (!k.endsWith('num_batches_tracked')) expect(Array.from(got3.get(k)!.data as Float32Array), k).toEqual(Array.from(w.data as Float32Array));
    const bad = await pix2pix('train', '--dataroot', 'ds', '--out', 'ft2', ...tiny, '--ngf', '4', '--norm', 'instance', '--init-generator', fixture, '--max-steps', '1');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`--init-generator ${fixture}:`);
    noStack(bad.stderr);
  });

  it('--val-data: held-out metrics in history and report; --keep-best keeps the best; numbered snapshots', async () => {
    const nb = await pix2pix('train', '--dataroot', 'ds', '--out', 'nb', '--keep-best', ...tiny);
    expect(nb.stderr).toContain('--keep-best needs --val-data');
    const r = await pix2pix('train', '--dataroot', 'ds', '--out', 'val', ...tiny, '--val-data', 'ds', '--val-every', '1', '--val-count', '1', '--keep-best', '--save-every', '2', '--save-epoch-freq', '1', '--max-steps', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/validating on 1 pairs/);
    const h = await historyOf('val');
    expect(h.length).toBe(3);
    for (const e of h) {
      expect(e['val/L1']).toBeGreaterThan(0);
      expect(e['val/L1']).toBeLessThanOrEqual(2); // images in [-1, 1]
      expect(e['val/SSIM']).toBeLessThanOrEqual(1);
      expect(Number.isFinite(e['val/PSNR'])).toBe(true);
    }
    const bestStep = h.reduce((a, b) => (b['val/L1'] < a['val/L1'] ? b : a)).step;
    expect((await topology('val/checkpoint-best')).trainer.step).toBe(bestStep);
    expect((await topology('val/checkpoint-step-0000002')).trainer.step).toBe(2);
    expect((await topology('val/checkpoint-epoch-1')).trainer.step).toBe(2); // 2 pairs, batch 1: epoch 1 ends at step 2
    expect(await exists('val/checkpoint-step-0000003')).toBe(false);
    expect((await topology('val/checkpoint')).trainer.step).toBe(3);
    const report = await readFile(join(ctx.tmp, 'val', 'report.html'), 'utf8');
    expect(report).toContain('aria-label="val/L1"');
    expect(report).toContain('best validation L1');
  });
});
