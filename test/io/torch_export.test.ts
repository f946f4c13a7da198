// exportTorchWeights -> torch.load -> the reference's modules give our outputs.
//
// The files in test/fixtures/torch/exported were written by this test with PIX2PIX_WRITE_TORCH_EXPORTS=1
// and then checked in PyTorch (torch.load with and without weights_only, load_state_dict(strict=True),
// eval-mode outputs within 1e-4 of ours) by
//   /usr/bin/python3 scripts/fixtures/make_torch_fixtures.py --verify-exports
// Without torch, this test keeps them meaningful: today's exporter must reproduce those verified bytes
// exactly, and importing them must reproduce the outputs PyTorch was checked against.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import type { TorchArchitecture } from '../../src/io/torch/checkpoint.js';
import { exportTorchWeights, importTorchWeights } from '../../src/io/torch/weights.js';

const DIR = join(__dirname, '..', 'fixtures', 'torch', 'exported');
const WRITE = process.env.PIX2PIX_WRITE_TORCH_EXPORTS === '1';

/** A fixture's architecture (as `inferTorchArchitecture` should read it) plus how it was written. */
interface ExportSpec extends TorchArchitecture {
  name: string;
  imageSize: number;
  dtype: 'float32' | 'float16';
}

const SPECS: ExportSpec[] = [
  { name: 'unet5_batch', kind: 'unet', depth: 5, filters: 2, norm: 'batch', inputChannels: 3, outputChannels: 3, imageSize: 32, dtype: 'float32' },
  { name: 'unet5_instance_f16', kind: 'unet', depth: 5, filters: 2, norm: 'instance', inputChannels: 1, outputChannels: 3, imageSize: 32, dtype: 'float16' },
  { name: 'nlayer3_batch_f16', kind: 'nlayer', depth: 3, filters: 4, norm: 'batch', inputChannels: 6, imageSize: 32, dtype: 'float16' },
  { name: 'nlayer1_none', kind: 'nlayer', depth: 1, filters: 4, norm: 'none', inputChannels: 3, imageSize: 32, dtype: 'float32' },
  { name: 'pixel_batch', kind: 'pixel', depth: 1, filters: 4, norm: 'batch', inputChannels: 6, imageSize: 16, dtype: 'float32' },
];

const RF = { 1: 16, 2: 34, 3: 70, 4: 142, 5: 286 } as const;

function build(s: ExportSpec, seed: number): tfl.LayersModel {
  if (s.kind === 'unet') {
    return unetGenerator({
      numDowns: s.depth,
      imageSize: s.imageSize,
      inputChannels: s.inputChannels,
      outputChannels: s.outputChannels!,
      filters: s.filters,
      norm: s.norm,
      seed,
    });
  }
  return patchDiscriminator({
    receptiveField: s.kind === 'pixel' ? 1 : RF[s.depth as 1 | 2 | 3 | 4 | 5],
    conditional: s.inputChannels === 6,
    filters: s.filters,
    norm: s.norm,
    imageSize: s.imageSize,
    seed,
  });
}

/**
 * Random (seeded) weights large enough that every layer shapes the output (the factories' N(0, 0.02) init
 * gives outputs too small for a 1e-4 comparison to catch a layout error), and random batch-norm statistics
 * and scales so that all four BN vectors are exercised.
 */
function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  model.layers.forEach((layer, i) => {
    const cls = layer.getClassName();
    const shapes = layer.weights.map((w) => w.shape as number[]);
    let values: tf.Tensor[] = [];
    if (cls === 'BatchNormalization') {
      values = [
        tf.randomUniform(shapes[0]!, 0.5, 1.5, 'float32', seed + 4 * i),
        tf.randomNormal(shapes[1]!, 0, 0.1, 'float32', seed + 4 * i + 1),
        tf.randomNormal(shapes[2]!, 0, 0.2, 'float32', seed + 4 * i + 2),
        tf.randomUniform(shapes[3]!, 0.5, 2, 'float32', seed + 4 * i + 3),
      ];
    } else if (cls === 'Conv2D' || cls === 'Conv2DTranspose') {
      const [kh, kw, a, b] = shapes[0]!;
      const fanIn = cls === 'Conv2D' ? kh! * kw! * a! : (kh! * kw! * b!) / 4;
      values = [tf.randomNormal(shapes[0]!, 0, 1.5 / Math.sqrt(fanIn), 'float32', seed + 4 * i)];
      if (shapes.length > 1) values.push(tf.randomNormal(shapes[1]!, 0, 0.1, 'float32', seed + 4 * i + 1));
    }
    if (values.length === 0) return;
    layer.setWeights(values);
    tf.dispose(values);
  });
}

function predict(model: tfl.LayersModel, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => {
    const c = x.shape[3];
    const inputs = model.inputs.length === 2 ? tf.split(x, [c - 3, 3], 3) : x;
    return (model.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
  });
}

const floats = (file: string) => new Float32Array(new Uint8Array(readFileSync(join(DIR, file))).buffer);

describe('exportTorchWeights', () => {
  if (WRITE) {
    it('writes the exports for PyTorch to verify', () => {
      mkdirSync(DIR, { recursive: true });
      const exportsList: object[] = [];
      SPECS.forEach((s, i) => {
        const model = build(s, 100 + i);
        randomizeWeights(model, 1000 * (i + 1));
        const bytes = exportTorchWeights(model, { dtype: s.dtype });
        // For float16 exports, PyTorch sees the rounded weights: round ours the same way first.
        importTorchWeights(model, bytes);
        const x = tf.randomUniform([1, s.imageSize, s.imageSize, s.inputChannels], -1, 1, 'float32', 7 + i) as tf.Tensor4D;
        const y = predict(model, x);
        const yShape = (model.outputs[0]!.shape as number[]).map((d, k) => (k === 0 ? 1 : d));
        writeFileSync(join(DIR, `${s.name}.pth`), bytes);
        writeFileSync(join(DIR, `${s.name}.input.bin`), x.dataSync() as Float32Array);
        writeFileSync(join(DIR, `${s.name}.output.bin`), y);
        exportsList.push({ ...s, file: `${s.name}.pth`, input: `${s.name}.input.bin`, inputShape: x.shape, output: `${s.name}.output.bin`, outputShape: yShape });
        x.dispose();
        model.dispose();
      });
      writeFileSync(join(DIR, 'manifest.json'), JSON.stringify({ exports: exportsList }, null, 1) + '\n');
    });
  }

  for (const s of SPECS) {
    it(`${s.name}: reproduces the PyTorch-verified file byte for byte and its outputs`, () => {
      const verified = new Uint8Array(readFileSync(join(DIR, `${s.name}.pth`)));
      const model = build(s, 9999); // different initial weights: everything must come from the file
      try {
        importTorchWeights(model, verified);
        const x = tf.tensor4d(floats(`${s.name}.input.bin`), [1, s.imageSize, s.imageSize, s.inputChannels]);
        const y = predict(model, x);
        x.dispose();
        const want = floats(`${s.name}.output.bin`);
        expect(y.length).toBe(want.length);
        let diff = 0;
        for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i]! - want[i]!));
        expect(diff).toBeLessThan(1e-5);
        const again = exportTorchWeights(model, { dtype: s.dtype });
        expect(Buffer.from(again).equals(Buffer.from(verified))).toBe(true);
      } finally {
        model.dispose();
      }
    });
  }
});
