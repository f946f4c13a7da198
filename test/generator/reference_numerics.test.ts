import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { encoderDecoderGenerator } from '../../src/generator/encoder_decoder_generator.js';
import type { GeneratorOptions } from '../../src/generator/builder.js';
import { loadFixtureWeights, loadReferenceCases, maxAbsDiff, toTensor } from './reference_nets.js';

// The NumPy reference (fixtures/make_reference_nets.py) follows PyTorch's op semantics, so agreement here
// means our padding alignment, transposed convs, skip order, norms and biases match the PyTorch reference.
describe('generators match an independent NumPy implementation of the PyTorch reference', () => {
  const cases = loadReferenceCases().filter((c) => c.net !== 'patch');
  it('has generator cases, three of them non-square', () => expect(cases.length).toBe(8));
  for (const c of cases) {
    it(`${c.net} ${JSON.stringify(c.options)}`, () => {
      const factory = c.net === 'unet' ? unetGenerator : encoderDecoderGenerator;
      const model = factory(c.options as GeneratorOptions);
      const withWeights = loadFixtureWeights(model, c.weights);
      expect(withWeights.sort()).toEqual(Object.keys(c.weights).sort());
      const x = toTensor(c.inputs[0]!);
      const expected = toTensor(c.output);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual(c.output.shape);
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-4);
      tf.dispose([x, y, expected]);
      model.dispose();
    });
  }
});
