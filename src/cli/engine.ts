/**
 * The `--engine` option of `pix2pix translate` and `test`: its help text, the mode check made before any
 * model is loaded, and opening the engine (through `createEngine`, the one lookup).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkEngineMode, DEFAULT_ENGINE, ENGINE_MODES, ENGINE_NAMES, type EngineName, type GeneratorEngine } from '../generator/engine.js';
import type { GenerationMode } from '../generator/generate.js';
import { createEngine } from '../node/engine.js';
import { ONNXRUNTIME_INSTALL } from '../node/onnxruntime_engine.js';
import { CliError } from './backend.js';

/** Help text of `--engine`. */
export const ENGINE_HELP =
  `inference engine: ${ENGINE_NAMES.join(' or ')} (default ${DEFAULT_ENGINE}). tfjs runs the model on --backend; ` +
  `onnxruntime runs its ONNX export in onnxruntime-node at native speed, inference mode only (--eval); install it with ${ONNXRUNTIME_INSTALL}`;

/**
 * Refuses a mode the engine cannot run, before anything is loaded.
 * @throws CliError e.g. "--engine onnxruntime: the onnxruntime engine runs 'inference' mode only ...".
 */
export function checkCliEngine(name: EngineName, mode: GenerationMode): void {
  try {
    checkEngineMode({ name, modes: ENGINE_MODES[name] }, mode);
  } catch (e) {
    throw new CliError(`--engine ${name}: ${(e as Error).message}`);
  }
}

/** Opens engine `name` for `model`; a missing onnxruntime-node becomes a one-line CliError naming the install command. */
export async function openCliEngine(name: EngineName, model: tfl.LayersModel): Promise<GeneratorEngine> {
  try {
    return await createEngine(name, model);
  } catch (e) {
    throw new CliError(`--engine ${name}: ${(e as Error).message}`);
  }
}
