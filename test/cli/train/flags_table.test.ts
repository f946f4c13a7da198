// The train flag table without running anything: defaults, reference names vs aliases, derived
// settings (--netD + --n-layers-D -> receptive field), and the resume check against a run.json.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addTrainFlags, resolveTrainFlags, resumeConflicts, TRAIN_SETTINGS } from '../../../src/cli/train/flags.js';

const parse = (...argv: string[]) => {
  const cmd = addTrainFlags(new Command('train').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return resolveTrainFlags(cmd);
};

describe('train flag table', () => {
  it("defaults are the reference's pix2pix ones (DESIGN.md section 3)", () => {
    const { values, given } = parse();
    expect(values).toMatchObject({
      direction: 'AtoB', size: 256, netG: 'unet', filters: 64, dFilters: 64, norm: 'batch', rf: 70, nLayersD: 3, dropout: true,
      gan: 'vanilla', lambda: 100, lr: 0.0002, beta1: 0.5, lrPolicy: 'linear', lrDecayIters: 50, epochs: 100, epochsDecay: 100,
      batchSize: 1, inputChannels: 3, outputChannels: 3, flip: true, serialBatches: false, unconditionalD: false, resume: false,
    });
    expect(given).toEqual({});
  });

  it('maps --netD and --n-layers-D to the receptive field; reference names and aliases set one setting', () => {
    expect(parse('--netD', 'n_layers', '--n-layers-D', '4').values.rf).toBe(142); // RF(4) = 9*16-2
    expect(parse('--netD', 'n_layers', '--n-layers-D', '1').values.rf).toBe(16);
    expect(parse('--netD', 'pixel').values.rf).toBe(1);
    expect(parse('--netD', 'basic', '--rf', '70').values.rf).toBe(70);
    const r = parse('--ngf', '8', '--filters', '8', '--input-nc', '1', '--continue-train', '--no-dropout');
    expect(r.values).toMatchObject({ filters: 8, inputChannels: 1, resume: true, dropout: false });
    expect(r.given).toMatchObject({ filters: '--ngf 8 --filters 8', inputChannels: '--input-nc 1', dropout: '--no-dropout' });
    expect(() => parse('--n-epochs', '5', '--epochs', '6')).toThrow('--n-epochs 5 and --epochs 6 set the same option (epochs) to different values');
    expect(() => parse('--netD', 'n_layers', '--n-layers-D', '9')).toThrow(/--n-layers-D 9: supported are 1, 2, 3, 4, 5/);
  });

  it('resume: only given fixed settings are checked; keys missing from an older run.json had their defaults', () => {
    const { values, given } = parse('--ngf', '64', '--beta1', '0.9', '--n-epochs', '300', '--norm', 'batch');
    // run.json of an older version: no beta1 key (it ran with 0.5).
    expect(resumeConflicts({ filters: 64, norm: 'instance' }, values, given)).toEqual(['--norm batch (the run has norm instance)', '--beta1 0.9 (the run has beta1 0.5)']);
    expect(resumeConflicts({ filters: 64, norm: 'batch', beta1: 0.9 }, values, given)).toEqual([]);
  });

  it("--model colorization (the reference's name) and --dataset-mode colorization set one setting", () => {
    expect(parse().values.datasetMode).toBe('aligned');
    expect(parse('--model', 'colorization').values.datasetMode).toBe('colorization');
    expect(parse('--model', 'pix2pix', '--dataset-mode', 'aligned').values.datasetMode).toBe('aligned');
    expect(() => parse('--dataset-mode', 'aligned', '--model', 'colorization')).toThrow('--dataset-mode aligned and --model colorization set the same option (datasetMode) to different values');
  });

  it('every setting has a unique key and unique flag names', () => {
    const keys = TRAIN_SETTINGS.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    const flags = TRAIN_SETTINGS.flatMap((s) => s.names.map((n) => n.flag.split(' ')[0]));
    expect(new Set(flags).size).toBe(flags.length);
  });
});
