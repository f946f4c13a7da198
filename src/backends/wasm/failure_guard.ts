/**
 * Turns the wasm backend's silent failures into Errors, and keeps its threads from holding Node open.
 *
 * tfjs-backend-wasm 4.22 swallows two kinds of failure:
 * - an XNNPACK call that fails (e.g. `xnn_setup_convolution2d_nhwc_f32` out of memory on a large image)
 *   is only printed ("XNN status for ... is not successful. Got status 6.") through the Emscripten
 *   module's `printErr`, which is `console.warn` bound when the module is created; the kernel then
 *   goes on with an operator that was never set up and returns garbage (or spins);
 * - a tensor allocation that the 4 GiB heap cannot hold gets offset 0 from `malloc` and silently
 *   aliases the bottom of the heap.
 * {@link withXnnFailureHook} wraps backend initialisation so that the module's `printErr` throws a
 * {@link WasmBackendError} on an XNN failure (the exception unwinds out of the kernel to the caller);
 * {@link guardAllocations} makes failed allocations throw. {@link unrefWorkers} stops the XNNPACK
 * thread pool's workers (Node `worker_threads`) from keeping the event loop alive.
 *
 * @internal
 */

import type * as tf from '@tensorflow/tfjs-core';

/** An error raised by the wasm backend (XNNPACK failure or heap exhaustion). */
export class WasmBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmBackendError';
  }
}

/** XNNPACK's `xnn_status` values. */
const XNN_STATUS: readonly string[] = [
  'success',
  'uninitialized',
  'invalid_parameter',
  'invalid_state',
  'unsupported_parameter',
  'unsupported_hardware',
  'out_of_memory',
];

const XNN_FAILURE = /XNN status for (\S+) is not successful\. Got status (\d+)/;

/** The message of the error thrown for a printed XNN failure line, or `null` for any other line. */
export function xnnFailureMessage(line: string): string | null {
  const m = XNN_FAILURE.exec(line);
  if (m === null) return null;
  const code = Number(m[2]);
  const name = XNN_STATUS[code] ?? 'unknown';
  const hint = code === 6 ? ': the wasm heap (4 GiB at most) cannot hold this computation; use a smaller image size' : '';
  return `wasm backend: ${m[1]} failed with XNNPACK status ${code} (xnn_status_${name})${hint}`;
}

/**
 * Runs `init` (which creates the wasm module, e.g. `tf.setBackend('wasm')`) with `console.warn`
 * replaced, so that the module binds its `printErr` to a function that throws a
 * {@link WasmBackendError} for XNN failure lines and forwards every other line to the `console.warn`
 * in place before the call. `console.warn` itself is restored when `init` ends.
 */
export async function withXnnFailureHook<T>(init: () => Promise<T>): Promise<T> {
  const saved = console.warn;
  console.warn = function xnnFailureHook(...args: unknown[]): void {
    const message = xnnFailureMessage(args.map(String).join(' '));
    if (message !== null) throw new WasmBackendError(message);
    saved.apply(console, args);
  };
  try {
    return await init();
  } finally {
    console.warn = saved;
  }
}

/** The parts of tfjs-backend-wasm's `BackendWasm` touched here (structural, no import). */
interface BackendInternals {
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  disposeData(dataId: object, force?: boolean): boolean;
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
  wasm: { HEAPU8: Uint8Array; PThread?: PThreadLike } | null;
}

const GUARDED = Symbol('pix2pixGuarded');

/**
 * Makes every allocation of `backend` (a tfjs wasm backend) that `malloc` cannot satisfy throw a
 * {@link WasmBackendError} naming the shape and size, instead of aliasing address 0. Idempotent.
 */
export function guardAllocations(backend: tf.KernelBackend): void {
  const b = backend as unknown as BackendInternals & { [GUARDED]?: true };
  if (b[GUARDED] === true || typeof b.move !== 'function') return;
  const move = b.move.bind(b);
  b.move = (dataId, values, shape, dtype, refCount) => {
    move(dataId, values, shape, dtype, refCount);
    if (dtype === 'string' || b.dataIdMap.get(dataId)?.memoryOffset !== 0) return;
    const bytes = shape.reduce((a, d) => a * d, 1) * (dtype === 'bool' ? 1 : 4);
    if (bytes === 0) return;
    b.disposeData(dataId, true);
    const heapMb = Math.round((b.wasm?.HEAPU8.length ?? 0) / 2 ** 20);
    throw new WasmBackendError(
      `wasm backend: out of memory allocating ${(bytes / 2 ** 20).toFixed(1)} MB for a ${dtype} tensor of shape [${shape.join(', ')}] ` +
        `(heap ${heapMb} MB, 4096 MB at most); use a smaller image size`,
    );
  };
  b[GUARDED] = true;
}

/** The Emscripten pthread pool of the threaded wasm module. */
interface PThreadLike {
  unusedWorkers: WorkerLike[];
  runningWorkers: WorkerLike[];
  allocateUnusedWorker?: () => void;
}

interface WorkerLike {
  ref?: () => void;
  unref?: () => void;
}

/**
 * Unreferences the worker threads of `backend`'s threaded wasm module (a no-op for the single-threaded
 * binary and outside Node), and keeps Emscripten from referencing them again when it starts a thread
 * on one, so that they never keep the Node process alive. The workers keep running while the process
 * lives; `tf.removeBackend('wasm')` terminates them.
 */
export function unrefWorkers(backend: tf.KernelBackend): void {
  const pthread = (backend as unknown as BackendInternals).wasm?.PThread;
  if (pthread === undefined) return;
  const release = (w: WorkerLike): void => {
    if (typeof w.unref !== 'function') return;
    w.ref = () => {};
    w.unref();
  };
  pthread.unusedWorkers.forEach(release);
  pthread.runningWorkers.forEach(release);
  const allocate = pthread.allocateUnusedWorker;
  if (typeof allocate === 'function' && !(allocate as { [GUARDED]?: true })[GUARDED]) {
    const wrapped = (): void => {
      allocate.call(pthread);
      const w = pthread.unusedWorkers[pthread.unusedWorkers.length - 1];
      if (w !== undefined) release(w);
    };
    (wrapped as { [GUARDED]?: true })[GUARDED] = true;
    pthread.allocateUnusedWorker = wrapped;
  }
}
