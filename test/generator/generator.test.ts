import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { encoderDecoderGenerator } from '../../src/generator/encoder_decoder_generator.js';
import { unetNumDowns, type GeneratorOptions } from '../../src/generator/builder.js';
import { checkGeneratorInput, generatorDivisor, nearestValidSizes } from '../../src/generator/divisor.js';

function trainableCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce<number>((a, b) => a * (b as number), 1), 0);
}

function layerNames(model: tfl.LayersModel): string[] {
  return model.layers.map((l) => l.name);
}

function weightsOf(model: tfl.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('generator parameter counts (DESIGN.md table, filters 64, batch norm, 3 channels)', () => {
  // Every cell of the table. Models are built symbolically (weights allocated, nothing run) and disposed.
  const table: Array<[string, (o: GeneratorOptions) => tfl.LayersModel, number, number]> = [
    ['unetGenerator', unetGenerator, 64, 29_244_035],
    ['unetGenerator', unetGenerator, 128, 41_828_995],
    ['unetGenerator', unetGenerator, 256, 54_413_955],
    ['encoderDecoderGenerator', encoderDecoderGenerator, 64, 22_294_147],
    ['encoderDecoderGenerator', encoderDecoderGenerator, 128, 30_684_803],
    ['encoderDecoderGenerator', encoderDecoderGenerator, 256, 39_075_459],
  ];
  for (const [label, factory, size, expected] of table) {
    it(`${label} ${size}x${size} has ${expected} trainable parameters`, () => {
      const model = factory({ imageSize: size, filters: 64, norm: 'batch', inputChannels: 3, outputChannels: 3, seed: 1 });
      try {
        expect(trainableCount(model)).toBe(expected);
        // Fully convolutional; the depth n = log2(size) takes a size x size input to a 1x1 bottleneck of 8 * 64 channels.
        expect(model.inputs[0]!.shape).toEqual([null, null, null, 3]);
        expect(model.outputs[0]!.shape).toEqual([null, null, null, 3]);
        expect(model.getLayer(`down${Math.log2(size)}_conv`).outputShape).toEqual([null, null, null, 512]);
        expect(generatorDivisor(model)).toBe(size);
      } finally {
        model.dispose();
      }
    });
  }
});

describe('generator structure', () => {
  it('numDowns follows log2(imageSize)', () => {
    expect(unetNumDowns(256)).toBe(8);
    expect(unetNumDowns(128)).toBe(7);
    expect(unetNumDowns(64)).toBe(6);
    expect(unetNumDowns(32)).toBe(5);
  });

  it('maps [b, 32, 32, 3] to [b, 32, 32, 3] in (-1, 1) for both generators and every norm', () => {
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
    for (const factory of [unetGenerator, encoderDecoderGenerator]) {
      for (const norm of ['batch', 'instance', 'none'] as const) {
        const g = factory({ imageSize: 32, filters: 4, norm, seed: 3 });
        expect(g.inputs[0]!.shape).toEqual([null, null, null, 3]);
        expect(g.outputs[0]!.shape).toEqual([null, null, null, 3]);
        const y = g.predict(x) as tf.Tensor;
        expect(y.shape).toEqual([2, 32, 32, 3]);
        const v = y.dataSync();
        expect(Math.max(...v)).toBeLessThan(1);
        expect(Math.min(...v)).toBeGreaterThan(-1);
        y.dispose();
        g.dispose();
      }
    }
    x.dispose();
  });

  it('handles other channel counts, sizes and an explicit numDowns', () => {
    const g = unetGenerator({ imageSize: 64, numDowns: 4, inputChannels: 1, outputChannels: 2, filters: 2 });
    expect(g.inputs[0]!.shape).toEqual([null, null, null, 1]);
    expect(g.outputs[0]!.shape).toEqual([null, null, null, 2]);
    expect(g.getLayer('down4_conv').getWeights()[0]!.shape).toEqual([4, 4, 8, 16]);
    expect(generatorDivisor(g)).toBe(16);
    expect(layerNames(g)).not.toContain('down5_conv');
    g.dispose();
    const h = encoderDecoderGenerator({ numDowns: 3, filters: 2 });
    expect(h.inputs[0]!.shape).toEqual([null, null, null, 3]);
    expect(generatorDivisor(h)).toBe(8);
    h.dispose();
  });

  it('has exactly the contract layer names, in order (U-Net, n = 5, batch norm)', () => {
    const g = unetGenerator({ imageSize: 32, filters: 4 });
    // Hand-written from the layer-name contract: dropout on up5, up4, up3 ('paper' placement, n = 5).
    expect(layerNames(g)).toEqual([
      'input',
      'size_check',
      'down1_conv',
      'down2_lrelu', 'down2_conv', 'down2_norm',
      'down3_lrelu', 'down3_conv', 'down3_norm',
      'down4_lrelu', 'down4_conv', 'down4_norm',
      'down5_lrelu', 'down5_conv',
      'up5_relu', 'up5_deconv', 'up5_norm', 'up5_dropout', 'up5_concat',
      'up4_relu', 'up4_deconv', 'up4_norm', 'up4_dropout', 'up4_concat',
      'up3_relu', 'up3_deconv', 'up3_norm', 'up3_dropout', 'up3_concat',
      'up2_relu', 'up2_deconv', 'up2_norm', 'up2_concat',
      'up1_relu', 'up1_deconv', 'output_tanh',
    ]);
    g.dispose();
  });

  it('encoder-decoder has the same names minus the concats, and no norm layers with norm none', () => {
    const g = encoderDecoderGenerator({ imageSize: 32, filters: 4, norm: 'none', dropout: 0 });
    expect(layerNames(g)).toEqual([
      'input',
      'size_check',
      'down1_conv',
      'down2_lrelu', 'down2_conv',
      'down3_lrelu', 'down3_conv',
      'down4_lrelu', 'down4_conv',
      'down5_lrelu', 'down5_conv',
      'up5_relu', 'up5_deconv',
      'up4_relu', 'up4_deconv',
      'up3_relu', 'up3_deconv',
      'up2_relu', 'up2_deconv',
      'up1_relu', 'up1_deconv', 'output_tanh',
    ]);
    g.dispose();
  });

  it('concatenates [encoder input of level i, decoder output of level i]', () => {
    const g = unetGenerator({ imageSize: 32, filters: 4, dropout: 0 });
    const sources = (name: string) => g.getLayer(name).inboundNodes[0]!.inboundLayers.map((l) => l.name);
    expect(sources('up2_concat')).toEqual(['down1_conv', 'up2_norm']);
    expect(sources('up3_concat')).toEqual(['down2_norm', 'up3_norm']);
    expect(sources('up5_concat')).toEqual(['down4_norm', 'up5_norm']);
    expect(sources('up4_relu')).toEqual(['up5_concat']);
    g.dispose();
  });

  it('uses the reference channel widths and tfjs kernel layouts (HWIO, transposed [h, w, out, in])', () => {
    const g = unetGenerator({ imageSize: 64, filters: 4 });
    const kernel = (name: string) => g.getLayer(name).getWeights()[0]!.shape;
    // filters * min(2^(i-1), 8): 4, 8, 16, 32, 32, 32
    expect(kernel('down1_conv')).toEqual([4, 4, 3, 4]);
    expect(kernel('down2_conv')).toEqual([4, 4, 4, 8]);
    expect(kernel('down4_conv')).toEqual([4, 4, 16, 32]);
    expect(kernel('down6_conv')).toEqual([4, 4, 32, 32]);
    expect(kernel('up6_deconv')).toEqual([4, 4, 32, 32]); // innermost: no concat below it
    expect(kernel('up5_deconv')).toEqual([4, 4, 32, 64]);
    expect(kernel('up4_deconv')).toEqual([4, 4, 16, 64]);
    expect(kernel('up2_deconv')).toEqual([4, 4, 4, 16]);
    expect(kernel('up1_deconv')).toEqual([4, 4, 3, 8]);
    g.dispose();
  });

  it('follows the reference bias rule per norm', () => {
    const hasBias = (g: tfl.LayersModel, name: string) => g.getLayer(name).getWeights().length === 2;
    for (const norm of ['batch', 'none'] as const) {
      const g = unetGenerator({ imageSize: 32, filters: 4, norm });
      for (let i = 1; i <= 5; i++) expect(hasBias(g, `down${i}_conv`), `${norm} down${i}_conv`).toBe(false);
      for (let i = 2; i <= 5; i++) expect(hasBias(g, `up${i}_deconv`), `${norm} up${i}_deconv`).toBe(false);
      expect(hasBias(g, 'up1_deconv')).toBe(true);
      g.dispose();
    }
    const g = unetGenerator({ imageSize: 32, filters: 4, norm: 'instance' });
    for (let i = 1; i <= 5; i++) expect(hasBias(g, `down${i}_conv`)).toBe(true);
    for (let i = 1; i <= 5; i++) expect(hasBias(g, `up${i}_deconv`)).toBe(true);
    expect(g.getLayer('down2_norm').getClassName()).toBe('InstanceNormalization');
    expect(g.getLayer('down2_norm').getWeights()).toHaveLength(0);
    g.dispose();
  });

  it('uses the reference numerics: BN epsilon 1e-5 / momentum 0.9, LeakyReLU 0.2, tanh output', () => {
    const g = unetGenerator({ imageSize: 32, filters: 4 });
    const bn = g.getLayer('up3_norm').getConfig();
    expect(bn.epsilon).toBe(1e-5);
    expect(bn.momentum).toBe(0.9);
    expect(g.getLayer('down3_lrelu').getConfig().alpha).toBeCloseTo(0.2, 7);
    expect(g.getLayer('output_tanh').getConfig().activation).toBe('tanh');
    expect(g.getLayer('up3_dropout').getConfig().rate).toBe(0.5);
    expect(g.getLayer('up3_dropout').getClassName()).toBe('SeededDropout');
    g.dispose();
  });

  it('places dropout per dropoutPlacement and never on up1', () => {
    const dropouts = (o: GeneratorOptions) => {
      const g = unetGenerator({ filters: 1, ...o });
      const names = layerNames(g).filter((n) => n.endsWith('_dropout')).sort();
      g.dispose();
      return names;
    };
    expect(dropouts({ imageSize: 256 })).toEqual(['up6_dropout', 'up7_dropout', 'up8_dropout']);
    expect(dropouts({ imageSize: 256, dropoutPlacement: 'reference' })).toEqual(['up5_dropout', 'up6_dropout', 'up7_dropout']);
    // The reference's dropout sits on its ngf*8 -> ngf*8 middle blocks (levels 5 .. n-1).
    expect(dropouts({ imageSize: 128, dropoutPlacement: 'reference' })).toEqual(['up5_dropout', 'up6_dropout']);
    expect(dropouts({ imageSize: 64, dropoutPlacement: 'reference' })).toEqual(['up5_dropout']);
    expect(dropouts({ imageSize: 16, dropoutPlacement: 'reference' })).toEqual([]);
    expect(dropouts({ imageSize: 8 })).toEqual(['up2_dropout', 'up3_dropout']);
    expect(dropouts({ imageSize: 256, dropout: 0 })).toEqual([]);
    const g = unetGenerator({ imageSize: 32, filters: 1, dropout: 0.25 });
    expect(g.getLayer('up5_dropout').getConfig().rate).toBe(0.25);
    g.dispose();
  });

  it('dropout acts only in training mode', () => {
    const g = unetGenerator({ imageSize: 32, filters: 4, norm: 'instance', seed: 2 });
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 9);
    const a = g.predict(x) as tf.Tensor;
    const b = g.predict(x) as tf.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const c = g.apply(x, { training: true }) as tf.Tensor;
    const d = g.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(d.dataSync()));
    tf.dispose([x, a, b, c, d]);
    g.dispose();
  });
});

describe('generator seeding and initialisation', () => {
  it('same seed gives identical weights, another seed or no seed differs', () => {
    const a = unetGenerator({ imageSize: 32, filters: 4, seed: 7 });
    const b = unetGenerator({ imageSize: 32, filters: 4, seed: 7 });
    const c = unetGenerator({ imageSize: 32, filters: 4, seed: 8 });
    const d = unetGenerator({ imageSize: 32, filters: 4 });
    const e = unetGenerator({ imageSize: 32, filters: 4 });
    const [wa, wb, wc, wd, we] = [a, b, c, d, e].map(weightsOf);
    expect(wa).toEqual(wb);
    expect(wa).not.toEqual(wc);
    expect(wd).not.toEqual(we);
    // Layers with equal kernel shapes get different derived seeds, hence different kernels.
    const k5 = a.getLayer('down5_conv').getWeights()[0]!;
    const u5 = a.getLayer('up5_deconv').getWeights()[0]!;
    expect(k5.shape).toEqual(u5.shape);
    expect(Array.from(k5.dataSync())).not.toEqual(Array.from(u5.dataSync()));
    [a, b, c, d, e].forEach((m) => m.dispose());
  });

  it('same seed gives the same dropout masks, call for call, in training mode', () => {
    const run = (seed: number) => {
      const g = unetGenerator({ imageSize: 32, filters: 4, norm: 'instance', seed });
      const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 9);
      const outs = [0, 1].map(() => {
        const y = g.apply(x, { training: true }) as tf.Tensor;
        const v = Array.from(y.dataSync());
        y.dispose();
        return v;
      });
      x.dispose();
      g.dispose();
      return outs;
    };
    const a = run(31);
    expect(run(31)).toEqual(a);
    expect(a[0]).not.toEqual(a[1]);
    expect(run(32)[0]).not.toEqual(a[0]);
  });

  it('initialises kernels N(0, 0.02), biases 0, BN gamma N(1, 0.02), beta 0, moving stats 0 / 1', () => {
    const g = unetGenerator({ imageSize: 64, filters: 16, seed: 11 });
    const stats = (t: tf.Tensor) => {
      const v = Array.from(t.dataSync() as Float32Array);
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      return { mean, std, n: v.length };
    };
    const k = stats(g.getLayer('down5_conv').getWeights()[0]!); // 4*4*128*128 = 262144 samples
    expect(k.n).toBe(262_144);
    expect(Math.abs(k.mean)).toBeLessThan(0.0005);
    expect(k.std).toBeGreaterThan(0.0196);
    expect(k.std).toBeLessThan(0.0204);
    const [bias] = g.getLayer('up1_deconv').getWeights().slice(1);
    expect(Array.from(bias!.dataSync())).toEqual([0, 0, 0]);
    // Collect every BN gamma of the net for the scale statistics.
    const gammas: number[] = [];
    for (const layer of g.layers) {
      if (layer.getClassName() !== 'BatchNormalization') continue;
      const [gamma, beta, movingMean, movingVar] = layer.getWeights();
      gammas.push(...gamma!.dataSync());
      expect(Math.max(...beta!.dataSync().map(Math.abs))).toBe(0);
      expect(Math.max(...movingMean!.dataSync().map(Math.abs))).toBe(0);
      expect(Array.from(new Set(movingVar!.dataSync()))).toEqual([1]);
    }
    const gs = stats(tf.tensor(gammas));
    expect(gs.n).toBe(720); // down2..5 norms 32+64+128+128, up2..6 norms 16+32+64+128+128
    expect(Math.abs(gs.mean - 1)).toBeLessThan(0.003);
    expect(gs.std).toBeGreaterThan(0.017);
    expect(gs.std).toBeLessThan(0.023);
    g.dispose();
  });
});

describe('generator save/load round trip', () => {
  for (const norm of ['batch', 'instance'] as const) {
    it(`reproduces predict exactly after save + load (norm ${norm})`, async () => {
      const g = unetGenerator({ imageSize: 32, filters: 4, norm, seed: 21 });
      const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 4);
      // One training-mode pass moves the BN statistics away from their 0 / 1 start, so they must be saved too.
      tf.dispose(g.apply(x, { training: true }) as tf.Tensor);
      let saved: tf.io.ModelArtifacts | undefined;
      await g.save(
        tf.io.withSaveHandler(async (artifacts) => {
          saved = artifacts;
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
      expect(layerNames(loaded)).toEqual(layerNames(g));
      expect(loaded.getLayer('down2_norm').getClassName()).toBe(norm === 'batch' ? 'BatchNormalization' : 'InstanceNormalization');
      const y0 = g.predict(x) as tf.Tensor;
      const y1 = loaded.predict(x) as tf.Tensor;
      expect(Array.from(y1.dataSync())).toEqual(Array.from(y0.dataSync()));
      tf.dispose([x, y0, y1]);
      g.dispose();
      loaded.dispose();
    });
  }
});

describe('generator option validation', () => {
  const cases: Array<[GeneratorOptions, RegExp]> = [
    [{ imageSize: 300 }, /imageSize must be a power of two >= 4 \(got 300\)/],
    [{ imageSize: 2 }, /imageSize must be a power of two >= 4 \(got 2\)/],
    [{ imageSize: 16, numDowns: 5 }, /imageSize must be a power of two >= 2\^numDowns = 32 \(got 16\)/],
    [{ imageSize: 96, numDowns: 5 }, /imageSize must be a power of two >= 2\^numDowns = 32 \(got 96\)/],
    [{ numDowns: 1 }, /numDowns must be an integer >= 2 \(got 1\)/],
    [{ norm: 'group' as never }, /norm must be one of 'batch' \| 'instance' \| 'none' \(got 'group'\)/],
    [{ inputChannels: 0 }, /inputChannels must be an integer >= 1 \(got 0\)/],
    [{ outputChannels: 0 }, /outputChannels must be an integer >= 1 \(got 0\)/],
    [{ outputChannels: 1.5 }, /outputChannels must be an integer >= 1 \(got 1.5\)/],
    [{ filters: 0 }, /filters must be an integer >= 1 \(got 0\)/],
    [{ dropout: 1 }, /dropout must be a number in \[0, 1\) \(got 1\)/],
    [{ dropoutPlacement: 'middle' as never }, /dropoutPlacement must be one of 'paper' \| 'reference' \(got 'middle'\)/],
    [{ seed: -1 }, /seed must be an integer >= 0 \(got -1\)/],
  ];
  for (const [options, message] of cases) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      expect(() => unetGenerator(options)).toThrow(message);
      expect(() => encoderDecoderGenerator(options)).toThrow(message);
    });
  }
  it('unetNumDowns rejects non-powers of two', () => {
    expect(() => unetNumDowns(100)).toThrow(/imageSize must be a power of two >= 4 \(got 100\)/);
  });
});

describe('any input size (fully convolutional)', () => {
  it('runs one U-Net on 32x64 and 64x32 and keeps the size', () => {
    const g = unetGenerator({ numDowns: 4, filters: 2, seed: 1 });
    for (const [h, w] of [[32, 64], [64, 32], [16, 48]] as const) {
      const x = tf.zeros([1, h, w, 3]);
      const y = g.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([1, h, w, 3]);
      tf.dispose([x, y]);
    }
    g.dispose();
  });

  it('nearestValidSizes gives the multiples just below and above (hand-computed)', () => {
    expect(nearestValidSizes(300, 32)).toEqual([288, 320]);
    expect(nearestValidSizes(200, 32)).toEqual([192, 224]);
    expect(nearestValidSizes(256, 32)).toEqual([256]);
    expect(nearestValidSizes(10, 32)).toEqual([32]);
  });

  it('refuses an unsupported size before any kernel runs, naming the size, the divisor and the nearest sizes', () => {
    const g = unetGenerator({ numDowns: 5, filters: 2 });
    expect(() => checkGeneratorInput(g, [300, 200])).toThrow(
      "input size 300x200 (height x width) does not fit generator 'unet_generator': height and width must be multiples of 32; nearest valid sizes: 288x192, 320x224",
    );
    expect(() => checkGeneratorInput(g, [64, 96])).not.toThrow();
    expect(() => checkGeneratorInput(g, [64, 96], 1)).toThrow(/input channels of generator 'unet_generator' must be 3 \(got 1\)/);
    g.dispose();
  });

  it("G.predict itself refuses a size the U-Net's depth cannot take, with the nearest valid sizes (not tfjs' concat error)", () => {
    const g = unetGenerator({ numDowns: 3, filters: 2, seed: 3 });
    const bad = tf.zeros([1, 12, 16, 3]);
    // 12 = 1.5 x 8: the level-3 skip would concat 1x2 with 2x2 without the check.
    expect(() => g.predict(bad)).toThrow('unetGenerator needs height and width that are multiples of 8 (got 12x16; nearest valid height: 8 or 16)');
    const e = encoderDecoderGenerator({ numDowns: 2, filters: 2, seed: 4 });
    expect(() => e.predict(tf.zeros([1, 8, 6, 3]))).toThrow('encoderDecoderGenerator needs height and width that are multiples of 4 (got 8x6; nearest valid width: 4 or 8)');
    expect(layerNames(g).slice(0, 2)).toEqual(['input', 'size_check']);
    const ok = g.predict(tf.zeros([1, 16, 24, 3])) as tf.Tensor;
    expect(ok.shape).toEqual([1, 16, 24, 3]);
    tf.dispose([bad, ok]);
    g.dispose();
    e.dispose();
  });

  it('keeps the divisor through save and load', async () => {
    const g = encoderDecoderGenerator({ numDowns: 3, filters: 2, seed: 2 });
    let saved: tf.io.ModelArtifacts | undefined;
    await g.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(generatorDivisor(loaded)).toBe(8);
    expect(loaded.inputs[0]!.shape).toEqual([null, null, null, 3]);
    expect(() => checkGeneratorInput(loaded, [12, 16])).toThrow(/multiples of 8; nearest valid sizes: 8x16, 16x16/);
    g.dispose();
    loaded.dispose();
  });

  it('rejects unknown option keys with a hint', () => {
    expect(() => unetGenerator({ imageSize: 64, fliters: 8 } as GeneratorOptions)).toThrow(
      "unknown option 'fliters' of unetGenerator (did you mean 'filters'?)",
    );
    expect(() => encoderDecoderGenerator({ numDown: 3 } as GeneratorOptions)).toThrow(/unknown option 'numDown' of encoderDecoderGenerator \(did you mean 'numDowns'\?\)/);
  });
});
