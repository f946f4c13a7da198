// estimateWasmHeap / checkWasmCapacity: layer shapes walked at the requested size (hand-counted on the
// PixelGAN), and sizes the 4 GiB wasm heap cannot hold refused with the reason.
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { WASM_HEAP_LIMIT_BYTES, checkWasmCapacity, estimateWasmHeap } from '../../src/backends/wasm/capacity.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { unetGenerator } from '../../src/generator/unet_generator.js';

describe('estimateWasmHeap', () => {
  it('sums every layer output at the requested size, whatever size the model was built for', () => {
    // PixelGAN, filters 4: input 3 + target 3 + concat 6 + conv0 4 + lrelu0 4 + conv1 8 + norm1 8 +
    // lrelu1 8 + logits 1 = 45 floats per pixel. Weights: conv0 6*4 + bias 4, conv1 4*8, norm1 gamma,
    // beta, moving mean and variance 4*8, logits 8 = 100.
    const D = patchDiscriminator({ receptiveField: 1, filters: 4, imageSize: 32 });
    const e = estimateWasmHeap({ models: [D], height: 10, width: 12, batch: 2 });
    expect(e.activations).toBe(45 * 10 * 12 * 2);
    expect(e.parameters).toBe(100);
    expect(e.largestActivation).toEqual({ layer: 'conv1', floats: 8 * 10 * 12 * 2 });
    expect(e.limitBytes).toBe(4 * 2 ** 30 - 2 ** 16);
    expect(e.fits).toBe(true);
    // Inference needs less than a training step; four times the pixels, more.
    expect(estimateWasmHeap({ models: [D], height: 10, width: 12, batch: 2, workload: 'inference' }).bytes).toBeLessThan(e.bytes);
    expect(estimateWasmHeap({ models: [D], height: 20, width: 24, batch: 2 }).bytes).toBeGreaterThan(e.bytes);
    D.dispose();
  });

  it('validates its options', () => {
    const D = patchDiscriminator({ receptiveField: 1, filters: 4, imageSize: 32 });
    expect(() => estimateWasmHeap({ models: [D], height: 0 })).toThrow(/height must be an integer >= 1 \(got 0\)/);
    expect(() => estimateWasmHeap({ models: [], height: 8 })).toThrow(/models must be a non-empty array/);
    expect(() => estimateWasmHeap({ models: [D], height: 8, workload: 'training' as 'train' })).toThrow(/workload must be one of 'train' \| 'inference' \(got 'training'\)/);
    expect(() => estimateWasmHeap({ models: [D], height: 8, hieght: 3 } as never)).toThrow(/hieght.*did you mean 'height'/);
    D.dispose();
  });
});

describe('checkWasmCapacity', () => {
  it('refuses a size the 4 GiB heap cannot hold, naming the size, the estimate, the limit and the largest layer', () => {
    const G = unetGenerator({ imageSize: 32, filters: 4, seed: 1 });
    const D = patchDiscriminator({ receptiveField: 70, filters: 4, imageSize: 32, seed: 2 });
    expect(checkWasmCapacity({ models: [G, D], height: 256 }).fits).toBe(true);
    // 16384^2 pixels: the generator's input alone is 3 GiB of floats.
    const big = estimateWasmHeap({ models: [G, D], height: 16384 });
    expect(big.bytes).toBeGreaterThan(WASM_HEAP_LIMIT_BYTES);
    expect(() => checkWasmCapacity({ models: [G, D], height: 16384 })).toThrow(
      /^a training step at 16384x16384 \(batch 1\) needs ~\d+\.\d GB of wasm heap; the wasm backend holds at most 4\.0 GB \(its largest layer output alone, '\w+', is \d+ MB\)/,
    );
    G.dispose();
    D.dispose();
  });
});
