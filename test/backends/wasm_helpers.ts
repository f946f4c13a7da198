// Shared helpers for the wasm backend tests: run a computation on a named backend and compare arrays.
import * as tf from '@tensorflow/tfjs-core';
import { build } from 'esbuild';
import { join, resolve } from 'node:path';
import { Rng } from '../../src/util/random.js';

/**
 * Bundles `@acme/pix2pix/wasm` from src into `<dir>/wasm.mjs` (tfjs external), for scripts run in child
 * processes; `extra` adds export lines of other modules of src/backends/wasm (e.g. internals a test reads).
 */
export async function bundleWasmEntry(dir: string, extra: string[] = []): Promise<void> {
  const wasmDir = join(resolve(__dirname, '../..'), 'src/backends/wasm');
  await build({
    stdin: { contents: ["export * from './index.ts';", ...extra].join('\n'), resolveDir: wasmDir, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    external: ['@tensorflow/*'],
    outfile: join(dir, 'wasm.mjs'),
    logLevel: 'silent',
  });
}

/** Runs `fn` with `backend` as the current backend and returns its (synchronously read) result. */
export async function on<T>(backend: string, fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  return fn();
}

/** Normwise relative error `max|a - b| / max|b|` (absolute when `b` is all zeros). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Uniform floats in [-1, 1) from a seeded stream. */
export function randomData(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rng.next() - 1;
  return out;
}
