/**
 * `@acme/pix2pix/wasm`: makes the tfjs wasm backend trainable, and fast.
 *
 * tfjs-backend-wasm 4.22 cannot train a conv net (it has no `Conv2DBackpropFilter`) and runs
 * transposed convolutions with a scalar loop. {@link enableWasmTraining} registers XNNPACK-backed
 * replacements; {@link initWasmBackend} also selects the backend, multithreaded in Node.
 * Importing this entry has no side effects.
 *
 * @packageDocumentation
 */

export { enableWasmTraining, WASM_TRAINING_KERNELS, type WasmTrainingStatus } from './enable_wasm_training.js';
export { initWasmBackend, type WasmBackendOptions, type WasmBackendInfo } from './init_wasm_backend.js';
export { WasmBackendError } from './failure_guard.js';
export {
  estimateWasmHeap,
  checkWasmCapacity,
  WASM_HEAP_LIMIT_BYTES,
  WASM_WORKLOADS,
  type WasmCapacityOptions,
  type WasmHeapEstimate,
  type WasmWorkload,
} from './capacity.js';
