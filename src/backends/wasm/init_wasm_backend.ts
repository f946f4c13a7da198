/**
 * `initWasmBackend()`: selects tfjs' wasm backend, multithreaded in Node, ready to train.
 */

import * as tf from '@tensorflow/tfjs-core';
import { check } from '../../util/validate.js';
import { enableWasmTraining } from './enable_wasm_training.js';
import { guardAllocations, unrefWorkers, withXnnFailureHook } from './failure_guard.js';
import { availableCores, withNodeThreads } from './node_threads.js';
import { backendThreads, setKernelThreads } from './gemm_simd.js';
import { helpersAvailable } from './gemm_threads.js';
import { backendMemory } from './wasm_module.js';

/** Options of {@link initWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Threads. Default: the number of logical CPUs (capped at 8, tfjs' pool size). In Node, more than 1
   * loads tfjs' threaded SIMD binary through `worker_threads` (tfjs itself never does there) and runs
   * the training kernels' matrix products and Adam updates on this many threads (the caller and
   * helper workers); in browsers tfjs picks threads on its own when the page is cross-origin isolated
   * and this value is passed to its `setThreadsCount` (XNNPACK's pool). `1` keeps the single-threaded
   * SIMD binary.
   */
  threads?: number;
  /**
   * XNNPACK's own thread pool (tfjs' `setThreadsCount`). Default: 1 in Node when `threads > 1` and
   * `training` is on, `threads` otherwise. With the training kernels, every convolution of 8+ output
   * channels runs on our multithreaded GEMM; what XNNPACK still runs (element-wise ops, batch norm,
   * the 3- and 6-channel first layers) made steps faster on one thread than on a pool of two
   * (`node bench/ab.mjs`, see the README's Performance section).
   */
  xnnpackThreads?: number;
  /**
   * Directory or URL prefix (ending in `/`) holding tfjs-backend-wasm's `.wasm` files, passed to its
   * `setWasmPaths`. Default: tfjs' own lookup (in Node, the installed package's `dist/`).
   */
  wasmPaths?: string;
  /** Also call {@link enableWasmTraining}. Default `true`. */
  training?: boolean;
}

/** What {@link initWasmBackend} set up. */
export interface WasmBackendInfo {
  /**
   * Threads the training kernels' matrix products and Adam updates use: `threads` where their helper
   * workers run (Node), else XNNPACK's count.
   */
  readonly threads: number;
  /** Threads XNNPACK uses (as reported by the backend). */
  readonly xnnpackThreads: number;
  /** Whether the SIMD binary is in use. */
  readonly simd: boolean;
  /** Whether the training kernels are registered. */
  readonly training: boolean;
}

/**
 * Imports `@tensorflow/tfjs-backend-wasm` (an optional peer dependency), registers the training
 * kernels ({@link enableWasmTraining}), initialises the wasm backend (multithreaded in Node when
 * `threads > 1`) and makes it the current backend.
 *
 * The thread count is fixed when the backend first initialises: later calls select the existing
 * backend and report its thread count.
 *
 * Failures of the backend surface as errors ({@link WasmBackendError}): an XNNPACK call that fails
 * (tfjs only prints "XNN status ... is not successful" and goes on) and a tensor the 4 GiB wasm heap
 * cannot hold (tfjs silently aliases address 0). Use {@link checkWasmCapacity} to refuse sizes up front.
 * In Node the worker threads are unreferenced: they never keep the process alive once its work is
 * done (`tf.removeBackend('wasm')` terminates them earlier, if needed).
 *
 * ```ts
 * import { initWasmBackend } from '@acme/pix2pix/wasm';
 * const { threads } = await initWasmBackend();   // tf.getBackend() === 'wasm', trainable
 * ```
 * @example
 * ```ts
 * import { initWasmBackend } from '@acme/pix2pix/wasm';
 *
 * // Sets the wasm backend up for training (threads, SIMD, the training kernels) and selects it.
 * const info = await initWasmBackend({ threads: 2 });
 * console.log(info.threads, info.xnnpackThreads, info.simd, info.training);
 * ```
 */
export async function initWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackendInfo> {
  const threads = options.threads ?? Math.min(8, availableCores());
  check(Number.isInteger(threads) && threads >= 1 && threads <= 8, 'threads', 'an integer in [1, 8]', options.threads);
  const training = options.training ?? true;
  const isNode = tf.env().getBool('IS_NODE');
  const xnnpackThreads = options.xnnpackThreads ?? (isNode && threads > 1 && training ? 1 : threads);
  check(Number.isInteger(xnnpackThreads) && xnnpackThreads >= 1 && xnnpackThreads <= 8, 'xnnpackThreads', 'an integer in [1, 8]', options.xnnpackThreads);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (training) enableWasmTraining();
  const alreadyUp = tf.engine().registry['wasm'] !== undefined;
  if (!alreadyUp) {
    if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths);
    wasm.setThreadsCount(xnnpackThreads);
    const init = async (): Promise<void> => {
      if (!(await tf.setBackend('wasm'))) throw new Error('initWasmBackend: the wasm backend failed to initialise');
    };
    await withXnnFailureHook(async () => {
      const threaded = isNode && Math.max(threads, xnnpackThreads) > 1 && (await withNodeThreads(Math.max(threads, xnnpackThreads), init));
      if (!threaded) await init();
    });
    // Our kernels' threads, where their helpers can run (the threaded binary's shared memory and
    // worker_threads); elsewhere they follow XNNPACK's (a browser: our GEMM steps aside for XNNPACK's pool).
    const memory = backendMemory(tf.backend());
    if (memory !== undefined && helpersAvailable(memory)) setKernelThreads(tf.backend(), threads);
  } else if (!(await tf.setBackend('wasm'))) {
    throw new Error('initWasmBackend: the wasm backend failed to initialise');
  }
  await tf.ready();
  guardAllocations(tf.backend());
  unrefWorkers(tf.backend());
  const backend = tf.backend() as unknown as { wasm: { tfjs: { getThreadsCount(): number } } };
  return {
    threads: backendThreads(backend),
    xnnpackThreads: backend.wasm.tfjs.getThreadsCount(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') as boolean,
    training,
  };
}
