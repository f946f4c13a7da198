/**
 * Inference engines: what runs a generator's forward pass for `translateImage`, `evaluate` and the CLI's
 * `translate` / `test`. The interface, the engine names with the modes each can run, and the tfjs engine
 * (the model itself on the current tfjs backend). The onnxruntime engine lives in `@acme/pix2pix/node`
 * (`onnxruntimeEngine`): onnxruntime-node is Node-only.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { generate, type GenerationMode } from './generate.js';
import { checkOneOf } from '../util/validate.js';

/**
 * A named engine:
 * - `'tfjs'` (default): the tfjs-layers model on the current tfjs backend, through `generate`: paper and
 *   inference mode.
 * - `'onnxruntime'`: the generator's ONNX export (`exportOnnxGenerator`) in onnxruntime-node (Node only,
 *   an optional peer dependency), native CPU speed. Inference mode only: the export is the inference graph
 *   (moving statistics, no dropout); the paper's test time (dropout with this package's seeded masks,
 *   batch statistics) has no ONNX form that would give the tfjs engine's numbers.
 */
export type EngineName = 'tfjs' | 'onnxruntime';

/** Every {@link EngineName} (the CLI's `--engine` takes its choices from here). */
export const ENGINE_NAMES: readonly EngineName[] = ['tfjs', 'onnxruntime'];

/** The engine used when none is named. */
export const DEFAULT_ENGINE: EngineName = 'tfjs';

/** The test-time modes each {@link EngineName} runs (one owner of the fact; engines and the CLI read it). */
export const ENGINE_MODES: Readonly<Record<EngineName, readonly GenerationMode[]>> = {
  tfjs: ['paper', 'inference'],
  onnxruntime: ['inference'],
};

/** Options of one {@link GeneratorEngine.run}. */
export interface EngineRunOptions {
  /** Test-time mode; must be one of the engine's {@link GeneratorEngine.modes}. */
  mode: GenerationMode;
  /** Dropout seed of `'paper'` mode (integer >= 0). */
  seed: number;
}

/**
 * Runs one generator's forward pass on NHWC batches. Made for one generator (e.g. {@link tfjsEngine},
 * `onnxruntimeEngine` from `@acme/pix2pix/node`); the caller disposes it when done.
 */
export interface GeneratorEngine {
  /** The engine's name, for messages and logs. */
  readonly name: EngineName;
  /** The test-time modes it runs (see {@link ENGINE_MODES}). */
  readonly modes: readonly GenerationMode[];
  /**
   * Translates a batch `[n, h, w, c]` in [-1, 1] (h and w multiples of the generator's divisor); the input
   * stays owned by the caller. Resolves to a new `[n, h, w, outputChannels]` tensor the caller disposes.
   */
  run(input: tf.Tensor4D, options: EngineRunOptions): Promise<tf.Tensor4D>;
  /** Releases what the engine holds (not the generator it was made from). */
  dispose(): Promise<void>;
}

/**
 * Throws unless `engine` runs `mode`, naming the way out (inference mode, or the tfjs engine).
 * @param engine - the engine.
 * @param mode - the mode asked for.
 */
export function checkEngineMode(engine: Pick<GeneratorEngine, 'name' | 'modes'>, mode: GenerationMode): void {
  if (engine.modes.includes(mode)) return;
  throw new RangeError(
    `the ${engine.name} engine runs ${engine.modes.map((m) => `'${m}'`).join(' and ')} mode only (got mode '${mode}'): ` +
      `its graph is the generator's inference graph (moving statistics, no dropout); use mode 'inference' (the CLI's --eval), ` +
      `or the tfjs engine for the paper's test time`,
  );
}

/**
 * The tfjs engine: `generate(generator, input, options)` on the current tfjs backend (paper and inference
 * mode). What `translateImage` does without an engine, as a {@link GeneratorEngine}.
 * @param generator - the generator; not disposed by the engine.
 */
export function tfjsEngine(generator: tfl.LayersModel): GeneratorEngine {
  return {
    name: 'tfjs',
    modes: ENGINE_MODES.tfjs,
    run: (input, options) => {
      checkOneOf(options.mode, 'mode', ENGINE_MODES.tfjs);
      return Promise.resolve(generate(generator, input, options));
    },
    dispose: () => Promise.resolve(),
  };
}
