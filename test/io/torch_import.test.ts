// Reference checkpoints written by PyTorch (scripts/fixtures/make_torch_fixtures.py, committed in
// test/fixtures/torch) load into our models and reproduce PyTorch's eval-mode outputs within 1e-4.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff } from './helpers.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import type { ReceptiveField } from '../../src/discriminator/options.js';
import { readTorchStateDict, type TorchTensor } from '../../src/io/torch/read.js';
import { exportTorchWeights, importTorchWeights } from '../../src/io/torch/weights.js';
import { importTorchCheckpoint, inferTorchArchitecture, type TorchArchitecture } from '../../src/io/torch/checkpoint.js';
import { torchKeyMap } from '../../src/io/torch/keymap.js';

const DIR = join(__dirname, '..', 'fixtures', 'torch');

/** A fixture's architecture (as `inferTorchArchitecture` should read it) plus how it was written. */
interface Fixture extends TorchArchitecture {
  name: string;
  imageSize: number;
  format: 'zip' | 'legacy';
  dtype: 'float32' | 'float16';
  file: string;
  input: string;
  inputShape: number[];
  output: string;
  outputShape: number[];
  keys: string[];
}

const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as { fixtures: Fixture[] };
const bytesOf = (f: string) => new Uint8Array(readFileSync(join(DIR, f)));
const floatsOf = (f: string) => new Float32Array(new Uint8Array(readFileSync(join(DIR, f))).buffer);
const RF: Record<number, ReceptiveField> = { 1: 16, 2: 34, 3: 70, 4: 142, 5: 286 };

/** Our model for a fixture, built with the factories directly (not through importTorchCheckpoint). */
function build(fx: Fixture): tfl.LayersModel {
  if (fx.kind === 'unet') {
    return unetGenerator({
      numDowns: fx.depth,
      imageSize: fx.imageSize,
      inputChannels: fx.inputChannels,
      outputChannels: fx.outputChannels!,
      filters: fx.filters,
      norm: fx.norm,
      dropoutPlacement: 'reference',
      seed: 7,
    });
  }
  const conditional = fx.inputChannels === 6;
  return patchDiscriminator({
    receptiveField: fx.kind === 'pixel' ? 1 : RF[fx.depth]!,
    inputChannels: 3,
    targetChannels: 3,
    conditional,
    filters: fx.filters,
    norm: fx.norm,
    imageSize: fx.imageSize,
    seed: 7,
  });
}

/** Runs `predict` on the fixture's NHWC input (split into [input, target] for conditional discriminators). */
function run(model: tfl.LayersModel, fx: Fixture): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor(floatsOf(fx.input), fx.inputShape);
    const inputs = model.inputs.length === 2 ? tf.split(x, [fx.inputShape[3]! - 3, 3], 3) : x;
    const y = model.predict(inputs) as tf.Tensor;
    expect(y.shape).toEqual(fx.outputShape);
    return y.dataSync() as Float32Array;
  });
}

describe('importTorchWeights: PyTorch reference checkpoints -> same outputs', () => {
  it('the fixtures cover every case the issue names', () => {
    const f = manifest.fixtures;
    expect(new Set(f.filter((x) => x.kind === 'unet').map((x) => x.depth)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(f.filter((x) => x.kind === 'nlayer').map((x) => x.depth))).toEqual(new Set([1, 2, 3, 4, 5]));
    for (const kind of ['unet', 'nlayer', 'pixel']) {
      expect(new Set(f.filter((x) => x.kind === kind).map((x) => x.norm))).toEqual(new Set(['batch', 'instance', 'none']));
    }
    expect(new Set(f.map((x) => x.format))).toEqual(new Set(['zip', 'legacy']));
    expect(new Set(f.map((x) => x.dtype))).toEqual(new Set(['float32', 'float16']));
  });

  for (const fx of manifest.fixtures) {
    it(`${fx.name} (${fx.kind} depth ${fx.depth}, ${fx.norm}, ${fx.format}, ${fx.dtype})`, () => {
      const model = build(fx);
      try {
        // Our key map names exactly the keys PyTorch's module has.
        const map = torchKeyMap(model);
        expect(new Set([...map.slots.map((s) => s.torchKey), ...map.batchCounters])).toEqual(new Set(fx.keys));

        const bytes = bytesOf(fx.file);
        importTorchWeights(model, bytes);
        const diff = maxAbsDiff(run(model, fx), floatsOf(fx.output));
        expect(diff).toBeLessThan(1e-4);

        // Export is the exact inverse: same keys in the same order, same values (num_batches_tracked = 0).
        const original = readTorchStateDict(bytes);
        const exported = readTorchStateDict(exportTorchWeights(model));
        expect([...exported.keys()]).toEqual([...original.keys()]);
        for (const [k, t] of original) {
          const e = exported.get(k)!;
          expect(e.shape, k).toEqual(t.shape);
          if (k.endsWith('num_batches_tracked')) expect(e.data).toEqual(BigInt64Array.of(0n));
          else expect(e.data, k).toEqual(t.data);
        }
      } finally {
        model.dispose();
      }
    });
  }
});

describe('importTorchCheckpoint: architecture from the state dict', () => {
  for (const name of ['unet6_batch_legacy_f16', 'unet5_none_f16', 'nlayer3_instance', 'nlayer3_none_legacy', 'pixel_batch']) {
    it(name, () => {
      const fx = manifest.fixtures.find((f) => f.name === name)!;
      const arch = inferTorchArchitecture(readTorchStateDict(bytesOf(fx.file)));
      expect(arch).toMatchObject({ kind: fx.kind, depth: fx.depth, filters: fx.filters, norm: fx.norm, inputChannels: fx.inputChannels });
      const model = importTorchCheckpoint(bytesOf(fx.file), fx.kind === 'unet' ? {} : { imageSize: fx.imageSize });
      try {
        expect(maxAbsDiff(run(model, fx), floatsOf(fx.output))).toBeLessThan(1e-4);
        if (fx.kind === 'unet') {
          // Dropout where the reference has it: the num_downs - 5 blocks outside the innermost.
          const drops = model.layers.map((l) => l.name).filter((n) => /^up\d+_dropout$/.test(n));
          expect(drops).toEqual(fx.depth === 6 ? ['up5_dropout'] : []);
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('checks arch against the checkpoint', () => {
    const unet = bytesOf('unet5_batch.pth');
    expect(() => importTorchCheckpoint(unet, { arch: 'unet_256' })).toThrow(
      /arch 'unet_256' does not match the checkpoint, which is a U-Net generator with num_downs=5/,
    );
    expect(() => importTorchCheckpoint(bytesOf('nlayer1_batch.pth'), { arch: 'basic' })).toThrow(/n_layers=1/);
    // resnet_9blocks became a valid arch with issue 14: it is now refused for not matching, unknown names as before.
    expect(() => importTorchCheckpoint(unet, { arch: 'resnet_9blocks' })).toThrow(/arch 'resnet_9blocks' does not match the checkpoint, which is a U-Net/);
    expect(() => importTorchCheckpoint(unet, { arch: 'resnet_3blocks' as never })).toThrow(/arch must be one of/);
  });
});

describe('strict and atomic', () => {
  it('lists every missing, unexpected and mis-shaped key in one error and leaves the model unchanged', () => {
    const fx = manifest.fixtures.find((f) => f.name === 'nlayer3_batch_legacy')!;
    const model = build(fx);
    try {
      const before = model.getWeights().map((w) => w.arraySync());
      const sd = new Map<string, TorchTensor>(readTorchStateDict(bytesOf(fx.file)));
      sd.delete('model.2.weight');
      sd.delete('model.9.running_var');
      sd.set('model.12.weight', { shape: [1], dtype: 'float32', data: new Float32Array(1) });
      sd.set('model.0.bias', { shape: [5], dtype: 'float32', data: new Float32Array(5) });
      let message = '';
      try {
        importTorchWeights(model, sd);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/nothing was loaded/);
      expect(message).toMatch(/missing from the checkpoint \(2\): model\.2\.weight \[8, 4, 4, 4\] \(conv1\), model\.9\.running_var \[32\] \(norm3\)/);
      expect(message).toMatch(/unexpected in the checkpoint \(1\): model\.12\.weight/);
      expect(message).toMatch(/mismatched \(1\): model\.0\.bias: checkpoint \[5\], model \[4\] \(conv0\)/);
      const after = model.getWeights().map((w) => w.arraySync());
      expect(after).toEqual(before);
    } finally {
      model.dispose();
    }
  });

  it('rejects a generator checkpoint loaded into a discriminator', () => {
    const fx = manifest.fixtures.find((f) => f.name === 'pixel_batch')!;
    const model = build(fx);
    try {
      expect(() => importTorchWeights(model, bytesOf('unet5_batch.pth'))).toThrow(/missing from the checkpoint \(8\)[\s\S]*unexpected in the checkpoint \(46\)/);
    } finally {
      model.dispose();
    }
  });

  it('strips a DataParallel module. prefix', () => {
    const fx = manifest.fixtures.find((f) => f.name === 'pixel_none_f16')!;
    const sd = new Map([...readTorchStateDict(bytesOf(fx.file))].map(([k, v]) => [`module.${k}`, v]));
    const model = build(fx);
    try {
      importTorchWeights(model, sd);
      expect(maxAbsDiff(run(model, fx), floatsOf(fx.output))).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });

  it('ignores the instance-norm running statistics older reference versions saved (as the reference does)', () => {
    const fx = manifest.fixtures.find((f) => f.name === 'unet5_instance_legacy')!;
    const sd = new Map<string, TorchTensor>(readTorchStateDict(bytesOf(fx.file)));
    const vec = (n: number): TorchTensor => ({ shape: [n], dtype: 'float32', data: new Float32Array(n).fill(3) });
    sd.set('model.model.1.model.2.running_mean', vec(4));
    sd.set('model.model.1.model.2.running_var', vec(4));
    sd.set('model.model.1.model.2.num_batches_tracked', { shape: [], dtype: 'int64', data: BigInt64Array.of(5n) });
    const model = build(fx);
    try {
      importTorchWeights(model, sd);
      expect(maxAbsDiff(run(model, fx), floatsOf(fx.output))).toBeLessThan(1e-4);
      // ...but a running_mean for a conv is still unexpected.
      sd.set('model.model.1.model.1.running_mean', vec(4));
      expect(() => importTorchWeights(model, sd)).toThrow(/unexpected in the checkpoint \(1\): model\.model\.1\.model\.1\.running_mean/);
    } finally {
      model.dispose();
    }
  });

  it('refuses a model not made by the factories', async () => {
    const tflayers = await import('@tensorflow/tfjs-layers');
    const m = tflayers.sequential({ layers: [tflayers.layers.dense({ units: 2, inputShape: [3], name: 'fc' })] });
    expect(() => exportTorchWeights(m)).toThrow(/was not built by unetGenerator/);
    m.dispose();
  });
});
