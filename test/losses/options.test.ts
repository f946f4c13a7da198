// The loss options objects reject unknown keys, naming the key and the closest valid one.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, test } from 'vitest';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { gradientPenalty } from '../../src/losses/gradient_penalty.js';

describe('strict loss options', () => {
  test('compositeLoss', () => {
    expect(() => compositeLoss({ lamda: 10 } as never)).toThrow("unknown option 'lamda' of compositeLoss (did you mean 'lambda'?)");
    expect(() => compositeLoss({ ganMode: 'lsgan' } as never)).toThrow("unknown option 'ganMode' of compositeLoss");
  });

  test('gradientPenalty', () => {
    const x = tfl.input({ shape: [4, 4, 3] });
    const D = tfl.model({ inputs: x, outputs: tfl.layers.conv2d({ filters: 1, kernelSize: 1 }).apply(x) as tfl.SymbolicTensor });
    const t = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() => gradientPenalty(D, t, t, t, { wieght: 1 } as never)).toThrow("unknown option 'wieght' of gradientPenalty (did you mean 'weight'?)");
    tf.dispose(t);
    D.dispose();
  });
});
