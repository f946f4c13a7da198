/**
 * Generation's one home: runs a generator in the paper's test-time mode (dropout on, batch statistics,
 * moving statistics untouched) or in plain inference mode (`predict`). `Trainer.generate`, `evaluate`,
 * `pix2pix test` / `translate` and the exports all call {@link generate}.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { dropoutLayers, withDropoutSeeds, withFrozenStatistics } from '../trainer/model_state.js';
import { assertNever, check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';

/**
 * Test-time behaviour of a generator:
 * - `'paper'`: the paper's (section 3.3) and the PyTorch reference's default test time (its `test.py`
 *   without `--eval`): dropout on, each norm layer on the batch's own statistics; the moving statistics
 *   are left as they were.
 * - `'inference'`: `generator.predict`: moving statistics, no dropout (the reference's `--eval`).
 */
export type GenerationMode = 'paper' | 'inference';

/** The allowed {@link GenerationMode}s (the CLI takes its choices from here). */
export const GENERATION_MODES: readonly GenerationMode[] = ['paper', 'inference'];

/** Options of {@link generate}. */
export interface GenerationOptions {
  /** Test-time mode, see {@link GenerationMode}. Default `'inference'`. */
  mode?: GenerationMode;
  /**
   * Dropout seed of `'paper'` mode (integer >= 0): dropout layer `i` draws its mask from
   * `deriveSeed(seed, i)`, so the same seed gives the same output. Ignored in `'inference'` mode.
   * Default 0.
   */
  seed?: number;
}

const GENERATION_KEYS = ['mode', 'seed'] as const;

/** Dropout layers per model, found once (the topology of a built model does not change). */
const dropoutCache = new WeakMap<tfl.LayersModel, tfl.layers.Layer[]>();

function dropoutOf(model: tfl.LayersModel): tfl.layers.Layer[] {
  let found = dropoutCache.get(model);
  if (found === undefined) {
    found = dropoutLayers(model);
    dropoutCache.set(model, found);
  }
  return found;
}

/**
 * The paper's test-time forward pass: dropout on (dropout layer `i` draws its mask from
 * `deriveSeed(seed, i)`), each norm layer on the batch's own statistics, the moving statistics left as
 * they were.
 */
function paperModeForward(model: tfl.LayersModel, input: tf.Tensor4D, seed: number): tf.Tensor4D {
  return withFrozenStatistics(model, () =>
    withDropoutSeeds(dropoutOf(model), seed, () => tf.tidy(() => model.apply(input, { training: true }) as tf.Tensor4D)),
  );
}

/**
 * Translates a batch of images with a generator in the chosen test-time mode.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { generate, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * const x = tf.zeros([1, 256, 256, 3]) as tf.Tensor4D;
 * const paper = generate(G, x, { mode: 'paper', seed: 7 }); // the paper's test time: dropout on, batch statistics
 * const plain = generate(G, x);                             // inference: moving statistics, no dropout
 * ```
 * @param generator - A generator (`unetGenerator`, `encoderDecoderGenerator`, a loaded model, ...).
 * @param input - NHWC images `[n, h, w, c]` in [-1, 1]; stays owned by the caller.
 * @param options - Mode and dropout seed, see {@link GenerationOptions}.
 * @returns The generator's output `[n, h, w, outputChannels]` in [-1, 1]; the caller disposes it.
 */
export function generate(generator: tfl.LayersModel, input: tf.Tensor4D, options: GenerationOptions = {}): tf.Tensor4D {
  checkKeys(options, GENERATION_KEYS, 'generate');
  const mode = options.mode ?? 'inference';
  checkOneOf(mode, 'mode', GENERATION_MODES);
  check(input instanceof tf.Tensor && input.rank === 4, 'input', 'a rank-4 NHWC tensor', input?.shape);
  switch (mode) {
    case 'inference':
      return tf.tidy(() => generator.predict(input) as tf.Tensor4D);
    case 'paper': {
      const seed = options.seed ?? 0;
      checkInt(seed, 'seed', 0);
      return paperModeForward(generator, input, seed);
    }
    default:
      return assertNever(mode, 'mode');
  }
}
