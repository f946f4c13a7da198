import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { discriminatorLayerCount, discriminatorOutputShape, receptiveFieldOf } from '../../src/discriminator/geometry.js';
import { RECEPTIVE_FIELDS, type PatchDiscriminatorOptions, type ReceptiveField } from '../../src/discriminator/options.js';

function trainableCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b as number), 1), 0);
}

function layerNames(model: tfl.LayersModel): string[] {
  return model.layers.map((l) => l.name);
}

describe('patchDiscriminator parameter counts (DESIGN.md table, filters 64, batch norm, 3 + 3 channels)', () => {
  const table: Array<[ReceptiveField, number]> = [
    [1, 9_024],
    [16, 139_585],
    [34, 666_433],
    [70, 2_768_705],
    [142, 6_964_033],
    [286, 11_159_361],
  ];
  for (const [rf, expected] of table) {
    it(`RF ${rf} has ${expected} trainable parameters`, () => {
      const d = patchDiscriminator({ receptiveField: rf, inputChannels: 3, targetChannels: 3, filters: 64, norm: 'batch', conditional: true, seed: 1 });
      try {
        expect(trainableCount(d)).toBe(expected);
        expect(d.inputs.map((i) => i.shape)).toEqual([
          [null, null, null, 3],
          [null, null, null, 3],
        ]);
      } finally {
        d.dispose();
      }
    });
  }
});

describe('discriminator geometry helpers', () => {
  it('maps receptive fields to layer counts and back', () => {
    expect(RECEPTIVE_FIELDS).toEqual([1, 16, 34, 70, 142, 286]);
    expect(RECEPTIVE_FIELDS.map(discriminatorLayerCount)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const rf of RECEPTIVE_FIELDS) expect(receptiveFieldOf({ receptiveField: rf })).toBe(rf);
    expect(receptiveFieldOf()).toBe(70);
    expect(receptiveFieldOf({})).toBe(70);
  });

  it('gives the logit grid: 30x30 for RF 70 on 256x256 and the per-RF sizes', () => {
    expect(discriminatorOutputShape({}, 256)).toEqual([30, 30]);
    expect(discriminatorOutputShape({ receptiveField: 70 }, 256)).toEqual([30, 30]);
    expect(discriminatorOutputShape({ receptiveField: 1 }, 256)).toEqual([256, 256]);
    expect(discriminatorOutputShape({ receptiveField: 16 }, 256)).toEqual([126, 126]);
    expect(discriminatorOutputShape({ receptiveField: 34 }, 256)).toEqual([62, 62]);
    expect(discriminatorOutputShape({ receptiveField: 142 }, 256)).toEqual([14, 14]);
    expect(discriminatorOutputShape({ receptiveField: 286 }, 256)).toEqual([6, 6]);
    expect(discriminatorOutputShape({ receptiveField: 70 }, 32)).toEqual([2, 2]);
    expect(discriminatorOutputShape({ receptiveField: 70 }, 24)).toEqual([1, 1]);
  });

  it('rejects sizes that leave no logit or misalign the padding', () => {
    expect(() => discriminatorOutputShape({ receptiveField: 70 }, 16)).toThrow(
      /imageSize must be a multiple of 2\^3 = 8 and >= 24 for receptiveField 70 \(got 16\)/,
    );
    expect(() => discriminatorOutputShape({ receptiveField: 70 }, 36)).toThrow(/\(got 36\)/);
    expect(() => discriminatorOutputShape({ receptiveField: 286 }, 64)).toThrow(/>= 96 for receptiveField 286 \(got 64\)/);
    expect(() => discriminatorOutputShape({ receptiveField: 1 }, 0)).toThrow(/imageSize must be an integer >= 1 \(got 0\)/);
    expect(() => discriminatorOutputShape({ receptiveField: 50 as never }, 256)).toThrow(/receptiveField must be one of 1 \| 16 \| 34 \| 70 \| 142 \| 286 \(got 50\)/);
  });
});

describe('patchDiscriminator structure', () => {
  it('outputs [b, h, w, 1] logits matching discriminatorOutputShape for every RF and norm', () => {
    for (const rf of RECEPTIVE_FIELDS) {
      const size = Math.max(32, 3 * 2 ** discriminatorLayerCount(rf));
      const [h, w] = discriminatorOutputShape({ receptiveField: rf }, size);
      for (const norm of ['batch', 'instance', 'none'] as const) {
        const d = patchDiscriminator({ receptiveField: rf, filters: 2, norm, seed: 5 });
        const x = tf.randomUniform([2, size, size, 3], -1, 1, 'float32', 1);
        const y = tf.randomUniform([2, size, size, 3], -1, 1, 'float32', 2);
        const out = d.predict([x, y]) as tf.Tensor;
        expect(out.shape, `RF ${rf} ${norm}`).toEqual([2, h, w, 1]);
        tf.dispose([x, y, out]);
        d.dispose();
      }
    }
  });

  it('fixes the input shape when imageSize is given, and checks it', () => {
    const d = patchDiscriminator({ imageSize: 256, filters: 1 });
    expect(d.inputs.map((i) => i.shape)).toEqual([
      [null, 256, 256, 3],
      [null, 256, 256, 3],
    ]);
    expect(d.outputs[0]!.shape).toEqual([null, 30, 30, 1]);
    d.dispose();
    expect(() => patchDiscriminator({ imageSize: 20 })).toThrow(/imageSize must be a multiple of 2\^3 = 8 and >= 24 for receptiveField 70 \(got 20\)/);
  });

  it('outputs raw logits (not squashed into [0, 1])', () => {
    const d = patchDiscriminator({ receptiveField: 16, filters: 4, norm: 'none', seed: 3 });
    // Scale the logits conv so the outputs are clearly outside [0, 1] unless a sigmoid were applied.
    const logits = d.getLayer('logits');
    const [k, b] = logits.getWeights();
    logits.setWeights([tf.mul(k!, 1000), tf.add(b!, -3)]);
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 1);
    const out = d.predict([x, x]) as tf.Tensor;
    const v = out.dataSync();
    expect(Math.min(...v)).toBeLessThan(0);
    expect(Math.max(...v)).toBeGreaterThan(1);
    tf.dispose([x, out]);
    d.dispose();
  });

  it('has the contract layer names (70x70 PatchGAN, conditional, batch norm)', () => {
    const d = patchDiscriminator({ filters: 2 });
    expect(layerNames(d)).toEqual([
      'input', 'target', 'concat',
      'conv0', 'lrelu0',
      'conv1', 'norm1', 'lrelu1',
      'conv2', 'norm2', 'lrelu2',
      'pad3', 'conv3', 'norm3', 'lrelu3',
      'logits_pad', 'logits',
    ]);
    expect(d.getLayer('concat').inboundNodes[0]!.inboundLayers.map((l) => l.name)).toEqual(['input', 'target']);
    expect(d.inputNames).toEqual(['input', 'target']);
    d.dispose();
  });

  it('unconditional: only a target input, no concat', () => {
    const d = patchDiscriminator({ receptiveField: 16, conditional: false, targetChannels: 1, filters: 2, norm: 'instance' });
    expect(layerNames(d)).toEqual(['target', 'conv0', 'lrelu0', 'pad1', 'conv1', 'norm1', 'lrelu1', 'logits_pad', 'logits']);
    expect(d.inputs[0]!.shape).toEqual([null, null, null, 1]);
    expect(d.getLayer('conv0').getWeights()[0]!.shape).toEqual([4, 4, 1, 2]);
    d.dispose();
  });

  it('PixelGAN layers, widths and bias rule', () => {
    const d = patchDiscriminator({ receptiveField: 1, filters: 64 });
    expect(layerNames(d)).toEqual(['input', 'target', 'concat', 'conv0', 'lrelu0', 'conv1', 'norm1', 'lrelu1', 'logits']);
    expect(d.getLayer('conv0').getWeights().map((w) => w.shape)).toEqual([[1, 1, 6, 64], [64]]);
    expect(d.getLayer('conv1').getWeights().map((w) => w.shape)).toEqual([[1, 1, 64, 128]]);
    expect(d.getLayer('logits').getWeights().map((w) => w.shape)).toEqual([[1, 1, 128, 1]]);
    d.dispose();
    const i = patchDiscriminator({ receptiveField: 1, filters: 4, norm: 'instance' });
    expect(i.getLayer('conv1').getWeights()).toHaveLength(2);
    expect(i.getLayer('logits').getWeights()).toHaveLength(2);
    i.dispose();
  });

  it('follows the reference widths, bias rule and numerics for the PatchGAN', () => {
    const hasBias = (d: tfl.LayersModel, name: string) => d.getLayer(name).getWeights().length === 2;
    for (const norm of ['batch', 'none'] as const) {
      const d = patchDiscriminator({ receptiveField: 286, filters: 2, norm });
      expect(hasBias(d, 'conv0')).toBe(true);
      for (let k = 1; k <= 5; k++) expect(hasBias(d, `conv${k}`), `${norm} conv${k}`).toBe(false);
      expect(hasBias(d, 'logits')).toBe(true);
      // filters * min(2^k, 8): 2, 4, 8, 16, 16, 16
      expect([0, 1, 2, 3, 4, 5].map((k) => d.getLayer(`conv${k}`).getWeights()[0]!.shape[3])).toEqual([2, 4, 8, 16, 16, 16]);
      expect(d.getLayer('conv4').getConfig().strides).toEqual([2, 2]);
      expect(d.getLayer('conv5').getConfig().strides).toEqual([1, 1]);
      expect(d.getLayer('conv5').getConfig().padding).toBe('valid');
      expect(d.getLayer('logits').getWeights()[0]!.shape).toEqual([4, 4, 16, 1]);
      expect(layerNames(d).filter((n) => n.startsWith('norm'))).toEqual(norm === 'batch' ? ['norm1', 'norm2', 'norm3', 'norm4', 'norm5'] : []);
      d.dispose();
    }
    const d = patchDiscriminator({ filters: 2, norm: 'instance' });
    for (const name of ['conv0', 'conv1', 'conv2', 'conv3', 'logits']) expect(hasBias(d, name), name).toBe(true);
    d.dispose();
    const b = patchDiscriminator({ filters: 2 });
    expect(b.getLayer('norm2').getConfig().epsilon).toBe(1e-5);
    expect(b.getLayer('norm2').getConfig().momentum).toBe(0.9);
    expect(b.getLayer('lrelu2').getConfig().alpha).toBeCloseTo(0.2, 7);
    b.dispose();
  });
});

describe('empirical receptive field (gradient of one logit w.r.t. the inputs, norm none, small filters)', () => {
  for (const rf of RECEPTIVE_FIELDS) {
    it(`one logit sees exactly ${rf}x${rf} input pixels (RF ${rf})`, () => {
      const n = discriminatorLayerCount(rf);
      // 9 * 2^n leaves the logit at (3, 3) a receptive field strictly inside the image.
      const size = n === 0 ? 8 : 9 * 2 ** n;
      const d = patchDiscriminator({ receptiveField: rf, filters: 2, norm: 'none', inputChannels: 1, targetChannels: 2, seed: 17 });
      const input = tf.randomUniform([1, size, size, 1], -1, 1, 'float32', 1);
      const target = tf.randomUniform([1, size, size, 2], -1, 1, 'float32', 2);
      const oneLogit = (a: tf.Tensor, b: tf.Tensor) => {
        const out = d.apply([a, b]) as tf.Tensor;
        return tf.sum(tf.slice(out, [0, 3, 3, 0], [1, 1, 1, 1]));
      };
      const [gi, gt] = tf.grads(oneLogit)([input, target]);
      const influence = tf.tidy(() => tf.add(tf.sum(tf.abs(gi!), [0, 3]), tf.sum(tf.abs(gt!), [0, 3])));
      const mask = influence.arraySync() as number[][];
      let count = 0;
      let [r0, r1, c0, c1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let r = 0; r < size; r++) {
        for (let c = 0; c < size; c++) {
          if (mask[r]![c]! === 0) continue;
          count++;
          [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, c), Math.max(c1, c)];
        }
      }
      expect(r1 - r0 + 1).toBe(rf);
      expect(c1 - c0 + 1).toBe(rf);
      expect(count).toBe(rf * rf); // a full square, no holes
      // Not clipped by the image border (a clipped window could hide a larger field).
      expect(r0).toBeGreaterThan(0);
      expect(c0).toBeGreaterThan(0);
      expect(r1).toBeLessThan(size - 1);
      expect(c1).toBeLessThan(size - 1);
      tf.dispose([input, target, gi!, gt!, influence]);
      d.dispose();
    });
  }
});

describe('patchDiscriminator seeding and save/load', () => {
  it('same seed gives identical weights, another seed differs', () => {
    const w = (o: PatchDiscriminatorOptions) => {
      const d = patchDiscriminator({ filters: 4, ...o });
      const ws = d.getWeights().map((t) => Array.from(t.dataSync()));
      d.dispose();
      return ws;
    };
    expect(w({ seed: 3 })).toEqual(w({ seed: 3 }));
    expect(w({ seed: 3 })).not.toEqual(w({ seed: 4 }));
    expect(w({})).not.toEqual(w({}));
  });

  for (const norm of ['batch', 'instance'] as const) {
    it(`reproduces predict exactly after save + load (norm ${norm})`, async () => {
      const d = patchDiscriminator({ filters: 4, norm, seed: 9 });
      const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1);
      const y = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 2);
      tf.dispose(d.apply([x, y], { training: true }) as tf.Tensor);
      let saved: tf.io.ModelArtifacts | undefined;
      await d.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      expect(layerNames(loaded)).toEqual(layerNames(d));
      const a = d.predict([x, y]) as tf.Tensor;
      const b = loaded.predict([x, y]) as tf.Tensor;
      expect(b.shape).toEqual([2, 2, 2, 1]);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([x, y, a, b]);
      d.dispose();
      loaded.dispose();
    });
  }
});

describe('patchDiscriminator option validation', () => {
  const cases: Array<[PatchDiscriminatorOptions, RegExp]> = [
    [{ receptiveField: 50 as never }, /receptiveField must be one of 1 \| 16 \| 34 \| 70 \| 142 \| 286 \(got 50\)/],
    [{ receptiveField: '70' as never }, /receptiveField must be one of .* \(got '70'\)/],
    [{ norm: 'layer' as never }, /norm must be one of 'batch' \| 'instance' \| 'none' \(got 'layer'\)/],
    [{ inputChannels: 0 }, /inputChannels must be an integer >= 1 \(got 0\)/],
    [{ targetChannels: -3 }, /targetChannels must be an integer >= 1 \(got -3\)/],
    [{ filters: 0 }, /filters must be an integer >= 1 \(got 0\)/],
    [{ conditional: 'yes' as never }, /conditional must be a boolean \(got 'yes'\)/],
    [{ seed: 1.5 }, /seed must be an integer >= 0 \(got 1.5\)/],
  ];
  for (const [options, message] of cases) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      expect(() => patchDiscriminator(options)).toThrow(message);
    });
  }
});

describe('discriminator on non-square inputs and strict options', () => {
  it('discriminatorOutputShape takes [h, w] (hand-computed: side / 2^n - 2)', () => {
    expect(discriminatorOutputShape({ receptiveField: 70 }, [256, 512])).toEqual([30, 62]);
    expect(discriminatorOutputShape({ receptiveField: 16 }, [64, 128])).toEqual([30, 62]);
    expect(discriminatorOutputShape({ receptiveField: 1 }, [7, 9])).toEqual([7, 9]);
    expect(() => discriminatorOutputShape({ receptiveField: 70 }, [64, 99])).toThrow(
      'input size [h, w] must be a multiple of 2^3 = 8 and >= 24 for receptiveField 70 (got [64,99]); nearest valid: [64, 96]',
    );
  });

  it('one model runs on 64x128 and 128x192 with the logit grid discriminatorOutputShape gives', () => {
    const d = patchDiscriminator({ filters: 2, seed: 1 });
    for (const [h, w, lh, lw] of [[64, 128, 6, 14], [128, 192, 14, 22]] as const) {
      const a = tf.zeros([1, h, w, 3]);
      const b = tf.zeros([1, h, w, 3]);
      const y = d.predict([a, b]) as tf.Tensor;
      expect(y.shape).toEqual([1, lh, lw, 1]);
      tf.dispose([a, b, y]);
    }
    d.dispose();
  });

  it('rejects unknown option keys with a hint', () => {
    expect(() => patchDiscriminator({ recptiveField: 70 } as never)).toThrow(
      "unknown option 'recptiveField' of patchDiscriminator (did you mean 'receptiveField'?)",
    );
  });
});
