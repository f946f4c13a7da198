// Every options object of the Trainer rejects unknown keys, naming the key and the closest valid one.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { Trainer } from '../../src/trainer/trainer.js';
import { batch, tinyDiscriminator, tinyGenerator, tinyObjective } from './helpers.js';

const make = () => new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), seed: 1 });

describe('strict Trainer options', () => {
  test('new Trainer', () => {
    expect(() => new Trainer({ generator: tinyGenerator(), discriminator: tinyDiscriminator(), loss: tinyObjective(), learningrate: 1e-3 } as never)).toThrow(
      "unknown option 'learningrate' of Trainer (did you mean 'learningRate'?)",
    );
  });

  test('fit', async () => {
    await expect(make().fit([], { epochs: 1, epochDecay: 1 } as never)).rejects.toThrow("unknown option 'epochDecay' of Trainer.fit (did you mean 'epochsDecay'?)");
  });

  test('generate', () => {
    const x = batch(0);
    expect(() => make().generate(x.input, { mod: 'paper' } as never)).toThrow("unknown option 'mod' of Trainer.generate (did you mean 'mode'?)");
    tf.dispose([x.input, x.target]);
  });

  test('load (checked before the source is read)', async () => {
    await expect(Trainer.load('nope://x', { los: tinyObjective() } as never)).rejects.toThrow("unknown option 'los' of Trainer.load (did you mean 'loss'?)");
  });
});
