/**
 * `onnxruntimeEngine`: a {@link GeneratorEngine} that runs a generator's ONNX export
 * (`exportOnnxGenerator`) in onnxruntime-node, at native CPU speed. onnxruntime-node is an optional peer
 * dependency, imported only when an engine is made; its absence gives a message naming the install command.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkEngineMode, ENGINE_MODES, type GeneratorEngine } from '../generator/engine.js';
import { exportOnnxGenerator, ONNX_IO_NAMES } from '../io/onnx/export.js';
import { checkInt, checkKeys } from '../util/validate.js';

/** The command that installs onnxruntime-node (its install script only fetches optional CUDA libraries). */
export const ONNXRUNTIME_INSTALL = 'npm i --ignore-scripts onnxruntime-node';

/** Options of {@link onnxruntimeEngine}. */
export interface OnnxruntimeEngineOptions {
  /** Threads of one inference (onnxruntime's `intraOpNumThreads`, integer >= 1). Default: onnxruntime's (one per core). */
  threads?: number;
}

const ENGINE_KEYS = ['threads'] as const;

/** The part of onnxruntime-node's API the engine uses. */
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
/** @internal */
export interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, options?: { intraOpNumThreads?: number }): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/**
 * Imports onnxruntime-node (or what `importer` gives, for tests).
 * @throws Error naming {@link ONNXRUNTIME_INSTALL} when it is not installed.
 * @internal
 */
export async function loadOnnxruntime(importer: () => Promise<unknown> = () => import('onnxruntime-node')): Promise<OrtModule> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`the onnxruntime engine needs onnxruntime-node, an optional peer dependency that is not installed: ${ONNXRUNTIME_INSTALL}`);
    }
    throw new Error(`the onnxruntime engine could not load onnxruntime-node: ${(e as Error).message}`);
  }
  const m = ((mod as { default?: OrtModule }).default?.InferenceSession ? (mod as { default: OrtModule }).default : mod) as OrtModule;
  if (typeof m?.InferenceSession?.create !== 'function') throw new Error('the onnxruntime engine: the onnxruntime-node module has no InferenceSession');
  return m;
}

/**
 * Makes an engine that runs `generator` in onnxruntime-node: the generator is exported to ONNX once
 * (`exportOnnxGenerator`: the inference graph, moving statistics, no dropout) and every call runs that
 * session; outputs equal tfjs `predict`'s within 1e-4. Inference mode only: asking it for `'paper'` mode
 * throws (the paper's seeded dropout and batch statistics run on the tfjs engine). Later changes to the
 * generator's weights are not seen: make a new engine.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { translateImage, unetGenerator } from '@acme/pix2pix';
 * import { onnxruntimeEngine } from '@acme/pix2pix/node';
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * const engine = await onnxruntimeEngine(G); // needs `npm i --ignore-scripts onnxruntime-node`
 * const y = await translateImage(G, tf.zeros([256, 256, 3]) as tf.Tensor3D, { engine }); // inference mode
 * await engine.dispose();
 * ```
 * @param generator - the generator (any layer `exportOnnxGenerator` supports); not disposed.
 * @param options - see {@link OnnxruntimeEngineOptions}.
 * @throws Error naming the install command when onnxruntime-node is missing, or the layer the ONNX export
 *   cannot translate.
 */
export async function onnxruntimeEngine(generator: tfl.LayersModel, options: OnnxruntimeEngineOptions = {}): Promise<GeneratorEngine> {
  checkKeys(options, ENGINE_KEYS, 'onnxruntimeEngine');
  if (options.threads !== undefined) checkInt(options.threads, 'threads', 1);
  const ort = await loadOnnxruntime();
  const bytes = exportOnnxGenerator(generator);
  const session = await ort.InferenceSession.create(bytes, options.threads === undefined ? {} : { intraOpNumThreads: options.threads });
  let released = false;
  const engine: GeneratorEngine = {
    name: 'onnxruntime',
    modes: ENGINE_MODES.onnxruntime,
    run: async (input, runOptions) => {
      checkEngineMode(engine, runOptions.mode);
      if (released) throw new Error('the onnxruntime engine was disposed');
      const data = (await input.data()) as Float32Array;
      const out = await session.run({ [ONNX_IO_NAMES.input]: new ort.Tensor('float32', data, input.shape) });
      const y = out[ONNX_IO_NAMES.output]!;
      const [n, h, w, c] = y.dims as [number, number, number, number];
      return tf.tensor4d(y.data as Float32Array, [n, h, w, c]);
    },
    dispose: async () => {
      if (released) return;
      released = true;
      await session.release();
    },
  };
  return engine;
}
