// resnetGenerator: parameter counts against DESIGN.md section 3 (the reference's counts), shapes on any
// multiple of 4, the size check, strict options, and a save/load round trip through the custom layers.
// PyTorch parity lives in test/io/torch_resnet.test.ts (fixtures written by PyTorch).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { resnetGenerator } from '../../src/generator/resnet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer } from '../../src/trainer/trainer.js';

const trainable = (m: tfl.LayersModel) => m.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);

describe('resnetGenerator', () => {
  it.each([
    [9, 'batch', 11_383_427],
    [9, 'instance', 11_378_179],
    [6, 'batch', 7_841_411],
    [6, 'instance', 7_837_699],
  ] as const)('%i blocks, %s norm, filters 64: %i trainable parameters (DESIGN.md)', (blocks, norm, count) => {
    const g = resnetGenerator({ blocks, norm, seed: 1 });
    expect(trainable(g)).toBe(count);
    g.dispose();
  });

  it('is fully convolutional: [null, null, C] in, same H x W out, tanh range, on 32x48 and 16x16', () => {
    const g = resnetGenerator({ blocks: 2, filters: 4, seed: 3, inputChannels: 1, outputChannels: 2 });
    expect(g.inputs[0]!.shape).toEqual([null, null, null, 1]);
    for (const [h, w] of [[32, 48], [16, 16]]) {
      const y = g.predict(tf.randomUniform([2, h!, w!, 1], -1, 1, 'float32', 4)) as tf.Tensor;
      expect(y.shape).toEqual([2, h, w, 2]);
      const v = y.dataSync();
      expect(Math.max(...Array.from(v).map(Math.abs))).toBeLessThanOrEqual(1);
      y.dispose();
    }
    g.dispose();
  });

  it('refuses sizes that are not multiples of 4, naming the size and the nearest valid ones', () => {
    const g = resnetGenerator({ blocks: 1, filters: 4, seed: 3 });
    const x = tf.zeros([1, 30, 32, 3]);
    expect(() => g.predict(x)).toThrow('resnetGenerator needs height and width that are multiples of 4 (got 30x32; nearest valid height: 28 or 32)');
    tf.dispose(x);
    g.dispose();
  });

  it('rejects unknown and invalid options, quoting them', () => {
    expect(() => resnetGenerator({ blokcs: 3 } as never)).toThrow("unknown option 'blokcs' of resnetGenerator (did you mean 'blocks'?)");
    expect(() => resnetGenerator({ padding: 'mirror' as never })).toThrow("padding must be one of 'reflect' | 'replicate' | 'zero' (got 'mirror')");
    expect(() => resnetGenerator({ blocks: -1 })).toThrow('blocks must be an integer >= 0 (got -1)');
    expect(() => resnetGenerator({ dropout: 1 })).toThrow('dropout must be a number in [0, 1) (got 1)');
  });

  it('the bias rule: convs before a norm have a bias only under instance norm; the last conv always', () => {
    for (const [norm, bias] of [['batch', false], ['instance', true], ['none', false]] as const) {
      const g = resnetGenerator({ blocks: 1, filters: 4, norm, seed: 1 });
      for (const name of ['conv0', 'down1_conv', 'block1_conv1', 'block1_conv2', 'up1_deconv']) {
        expect(g.getLayer(name).weights.length).toBe(bias ? 2 : 1);
      }
      expect(g.getLayer('out_conv').weights.length).toBe(2);
      g.dispose();
    }
  });

  it('dropout: off by default; with a rate, one dropout layer per block, only in training mode', () => {
    const off = resnetGenerator({ blocks: 2, filters: 4, seed: 1 });
    expect(off.layers.some((l) => l.name.includes('dropout'))).toBe(false);
    off.dispose();
    const on = resnetGenerator({ blocks: 2, filters: 4, seed: 1, dropout: 0.5 });
    expect(on.layers.filter((l) => l.name.endsWith('_dropout')).map((l) => l.name)).toEqual(['block1_dropout', 'block2_dropout']);
    on.dispose();
  });

  it.each(['reflect', 'replicate', 'zero'] as const)('%s padding: saves and loads back with identical outputs', async (padding) => {
    const g = resnetGenerator({ blocks: 1, filters: 4, seed: 5, padding, norm: 'instance', initType: 'xavier' });
    const x = tf.randomUniform([1, 16, 20, 3], -1, 1, 'float32', 6);
    const y = g.predict(x) as tf.Tensor;
    let saved: tf.io.ModelArtifacts | undefined;
    await g.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const back = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    const y2 = back.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y, y2]);
    g.dispose();
    back.dispose();
  });

  it('trains: two Trainer steps with a PatchGAN give finite losses, move every generator weight, and keep the tensor count flat', async () => {
    const G = resnetGenerator({ blocks: 1, filters: 4, seed: 8, padding: 'replicate', dropout: 0.5 });
    const D = patchDiscriminator({ receptiveField: 16, filters: 4, seed: 9 });
    const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ lambda: 100 }), seed: 1 });
    const before = G.trainableWeights.map((w) => w.read().dataSync().slice());
    const input = tf.randomUniform([1, 16, 16, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const target = tf.randomUniform([1, 16, 16, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const s1 = await trainer.trainStep({ input, target });
    const count = tf.memory().numTensors;
    const s2 = await trainer.trainStep({ input, target });
    expect(tf.memory().numTensors).toBe(count);
    for (const s of [s1, s2]) expect(Number.isFinite(s.gLoss) && Number.isFinite(s.dLoss)).toBe(true);
    G.trainableWeights.forEach((w, i) => {
      const now = w.read().dataSync();
      expect(now.some((v, k) => v !== before[i]![k]), w.name).toBe(true);
    });
    tf.dispose([input, target]);
    trainer.dispose();
  });
});
