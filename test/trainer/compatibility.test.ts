// The Trainer checks that G, D and the batch fit together, with messages naming both sides.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import { Trainer } from '../../src/trainer/trainer.js';
import { generatorDivisor } from '../../src/generator/divisor.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';

/** A fully convolutional toy G ([null, null, 3] in): two stride-2 convs, two stride-2 transposed convs, a skip. */
function fcnGenerator(): tfl.LayersModel {
  const x = tfl.input({ shape: [null, null, 3] });
  const d1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
  const d2 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(d1) as tfl.SymbolicTensor;
  const u1 = tfl.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(d2) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate().apply([u1, d1]) as tfl.SymbolicTensor;
  const u2 = tfl.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }).apply(cat) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: u2 });
}

describe('Trainer compatibility checks', () => {
  test("the generator's divisor is the product of strides along its deepest path (2^numDowns for a U-Net)", () => {
    expect(generatorDivisor(unetGenerator({ imageSize: 32, filters: 4, seed: 1 }))).toBe(32); // numDowns = log2(32) = 5
    expect(generatorDivisor(fcnGenerator())).toBe(4);
  });

  test('a conditional D whose input channels differ from G is refused at construction, naming both', () => {
    const G = unetGenerator({ imageSize: 16, filters: 4, seed: 1 }); // 3 -> 3 channels
    const D = patchDiscriminator({ receptiveField: 16, filters: 4, inputChannels: 1, targetChannels: 3, seed: 2 });
    expect(() => new Trainer({ generator: G, discriminator: D, loss: compositeLoss() })).toThrow(
      /^the generator and the discriminator do not fit: the conditional discriminator takes \[input, target\] with 1 \+ 3 channels \(inputs .*\), but the generator takes 3 channels \(input \[null, .*3\]\) and outputs 3 channels \(output .*\); build the discriminator with inputChannels: 3, targetChannels: 3$/,
    );
  });

  test('an unconditional D that does not take G\'s output channels is refused', () => {
    const G = unetGenerator({ imageSize: 16, filters: 4, outputChannels: 1, seed: 1 });
    const D = patchDiscriminator({ receptiveField: 16, filters: 4, conditional: false, targetChannels: 3, seed: 2 });
    expect(() => new Trainer({ generator: G, discriminator: D, loss: compositeLoss() })).toThrow(
      /the unconditional discriminator takes 3 channels .* but the generator takes 3 channels .* and outputs 1 channel .*; build it with targetChannels: 1$/,
    );
    // without a discriminator objective the discriminator is not consulted
    expect(() => new Trainer({ generator: G, discriminator: D, loss: compositeLoss({ gan: 'none' }) })).not.toThrow();
  });

  test('a batch whose channels do not fit is refused before any kernel runs, naming both sides', async () => {
    const t = new Trainer({
      generator: unetGenerator({ imageSize: 16, filters: 4, seed: 1 }),
      discriminator: patchDiscriminator({ receptiveField: 16, filters: 4, seed: 2 }),
      loss: compositeLoss(),
    });
    const x4 = tf.zeros([1, 16, 16, 4]) as tf.Tensor4D;
    const y3 = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    const y1 = tf.zeros([1, 16, 16, 1]) as tf.Tensor4D;
    const x3 = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    await expect(t.trainStep({ input: x4, target: y3 })).rejects.toThrow(
      /^the batch does not fit the networks: its input has 4 channels but the generator takes 3 channels \(generator input \[null, .*, 3\]\) \(batch input \[1, 16, 16, 4\], target \[1, 16, 16, 3\]\)$/,
    );
    await expect(t.trainStep({ input: x3, target: y1 })).rejects.toThrow(
      /its target has 1 channel but the generator outputs 3 channels \(generator output \[null, .*, 3\]\)/,
    );
    expect(t.step).toBe(0);
    tf.dispose([x4, y3, y1, x3]);
  });

  test("a batch whose size is not a multiple of the generator's divisor is refused with the nearest valid sizes", async () => {
    const loss = compositeLoss({ gan: 'none' });
    const t = new Trainer({ generator: fcnGenerator(), loss });
    const x = tf.zeros([1, 8, 10, 3]) as tf.Tensor4D;
    await expect(t.trainStep({ input: x, target: x })).rejects.toThrow(
      /^the batch does not fit the networks: input size 8x10 \(height x width\) does not fit generator '.*': height and width must be multiples of 4; nearest valid sizes: 8x8, 8x12 .*\(batch input \[1, 8, 10, 3\], target \[1, 8, 10, 3\]\)$/,
    );
    const ok = tf.zeros([1, 8, 12, 3]) as tf.Tensor4D;
    expect((await t.trainStep({ input: ok, target: ok })).step).toBe(1);
    tf.dispose([x, ok]);
  });
});
