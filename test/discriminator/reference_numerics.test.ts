import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import type { PatchDiscriminatorOptions } from '../../src/discriminator/options.js';
import { discriminatorOutputShape } from '../../src/discriminator/geometry.js';
import { loadFixtureWeights, loadReferenceCases, maxAbsDiff, toTensor } from '../generator/reference_nets.js';

// See test/generator/fixtures/make_reference_nets.py: NLayerDiscriminator / PixelDiscriminator in NumPy.
describe('patchDiscriminator matches an independent NumPy implementation of the PyTorch reference', () => {
  const cases = loadReferenceCases().filter((c) => c.net === 'patch');
  it('has discriminator cases, two of them non-square', () => expect(cases.length).toBe(7));
  for (const c of cases) {
    it(JSON.stringify(c.options), () => {
      const model = patchDiscriminator(c.options as PatchDiscriminatorOptions);
      const withWeights = loadFixtureWeights(model, c.weights);
      expect(withWeights.sort()).toEqual(Object.keys(c.weights).sort());
      const inputs = c.inputs.map(toTensor);
      const expected = toTensor(c.output);
      const y = model.predict(inputs) as tf.Tensor;
      expect(y.shape).toEqual(c.output.shape);
      const [, h, w] = c.inputs[0]!.shape as [number, number, number];
      expect(discriminatorOutputShape(c.options as PatchDiscriminatorOptions, [h, w])).toEqual(c.output.shape.slice(1, 3));
      expect(maxAbsDiff(y, expected)).toBeLessThan(1e-4);
      tf.dispose([...inputs, y, expected]);
      model.dispose();
    });
  }
});
