import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { confusionMatrix, imageMetrics, psnr, ssim } from '../../src/index.js';
import { segmentationNetwork } from '../../src/metrics/segmentation_network.js';
import { segmentationScore } from '../../src/metrics/segmentation_score.js';
import { trainSegmentationNetwork } from '../../src/metrics/train_segmentation_network.js';
import { facadeTensors, trainFacadeSegmenter } from '../../src/metrics/facade_segmenter.js';
import { cachedFacadeSegmenter, cachedModel } from '../../src/metrics/cached_model.js';

// Every options object of the metrics rejects an unknown key, naming it and the closest valid one.
describe('metrics options reject unknown keys', () => {
  const a = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;

  it('psnr, ssim, imageMetrics', async () => {
    expect(() => psnr(a, a, { rnage: '[0,1]' } as never)).toThrow("unknown option 'rnage' of psnr (did you mean 'range'?)");
    expect(() => ssim(a, a, { Range: '[0,1]' } as never)).toThrow("unknown option 'Range' of ssim (did you mean 'range'?)");
    await expect(imageMetrics(a, a, { ranges: '[0,1]' } as never)).rejects.toThrow(/unknown option 'ranges' of imageMetrics \(did you mean 'range'\?\)/);
  });

  it('confusionMatrix, segmentationNetwork, segmentationScore, trainSegmentationNetwork', async () => {
    expect(() => confusionMatrix([0], [0], { numClasses: 2, ignoreLable: 1 } as never)).toThrow("unknown option 'ignoreLable' of confusionMatrix (did you mean 'ignoreLabel'?)");
    expect(() => segmentationNetwork({ imageSize: 16, numClasses: 2, filter: 4 } as never)).toThrow("unknown option 'filter' of segmentationNetwork (did you mean 'filters'?)");
    const net = segmentationNetwork({ imageSize: 16, numClasses: 2, filters: 2, levels: 1 });
    const labels = tf.zeros([1, 16, 16], 'int32') as tf.Tensor3D;
    await expect(segmentationScore(net, a, labels, { batchsize: 2 } as never)).rejects.toThrow("unknown option 'batchsize' of segmentationScore (did you mean 'batchSize'?)");
    await expect(trainSegmentationNetwork(net, { photos: a, labels }, { step: 1 } as never)).rejects.toThrow("unknown option 'step' of trainSegmentationNetwork (did you mean 'steps'?)");
    net.dispose();
    labels.dispose();
  });

  it('facadeTensors, trainFacadeSegmenter, cachedModel, cachedFacadeSegmenter', async () => {
    expect(() => facadeTensors({ sise: 32 } as never)).toThrow("unknown option 'sise' of facadeTensors (did you mean 'size'?)");
    await expect(trainFacadeSegmenter({ stesp: 1 } as never)).rejects.toThrow("unknown option 'stesp' of trainFacadeSegmenter (did you mean 'steps'?)");
    await expect(cachedModel({ cacheDir: '/nonexistent', key: {}, build: async () => undefined as never, keys: 1 } as never)).rejects.toThrow(
      "unknown option 'keys' of cachedModel (did you mean 'key'?)",
    );
    await expect(cachedFacadeSegmenter({ cacheDir: '/nonexistent', cachedir: 'x' } as never)).rejects.toThrow(/unknown option 'cachedir' of cachedFacadeSegmenter \(did you mean 'cacheDir'\?\)/);
  });
});
