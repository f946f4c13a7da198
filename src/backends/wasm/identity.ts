/**
 * `Identity` for the wasm backend: shares the input's data instead of copying it.
 *
 * tfjs' engine saves every tensor a gradient will need by cloning it (`Identity`), and
 * tfjs-backend-wasm's `Identity` copies the whole tensor, so during a training step every saved
 * activation existed twice: ~840 copies per 256x256 pix2pix step, ~60 ms and a second copy of the
 * activations in the heap. The cpu and webgl backends share the data (a reference count), as this
 * kernel does; no wasm kernel writes into its inputs, so sharing is safe. Strings go to the backend's
 * own kernel.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { runBaseKernel, type KernelArgs } from './kernel_scope.js';

/** The backend method this kernel needs (tfjs-backend-wasm's `BackendWasm` has it). */
interface RefCounted {
  incRef(dataId: object): void;
}

function identityWasm(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend as unknown as Partial<RefCounted>;
  if (x.dtype === 'string' || typeof backend.incRef !== 'function') return runBaseKernel(tf.Identity, args);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** The kernel config registered by `enableWasmTraining()`, replacing tfjs-backend-wasm's copying `Identity`. */
export const identityWasmConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identityWasm as unknown as tf.KernelFunc,
};
