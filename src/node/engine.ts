/**
 * `createEngine`: the one lookup from an {@link EngineName} to a {@link GeneratorEngine} for a generator
 * (tfjs from the core, onnxruntime from this entry). The CLI's `--engine` goes through it.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { tfjsEngine, type EngineName, type GeneratorEngine } from '../generator/engine.js';
import { assertNever } from '../util/validate.js';
import { onnxruntimeEngine } from './onnxruntime_engine.js';

/**
 * Makes the engine `name` for `generator`: `'tfjs'` runs it through `generate` on the current tfjs
 * backend; `'onnxruntime'` runs its ONNX export in onnxruntime-node (see `onnxruntimeEngine`).
 * @param name - see {@link EngineName}.
 * @param generator - the generator; not disposed by the engine.
 */
export async function createEngine(name: EngineName, generator: tfl.LayersModel): Promise<GeneratorEngine> {
  switch (name) {
    case 'tfjs':
      return tfjsEngine(generator);
    case 'onnxruntime':
      return onnxruntimeEngine(generator);
    default:
      return assertNever(name, 'engine');
  }
}
