// The wasm backend never fails silently and never keeps Node alive: an XNNPACK failure and a heap
// allocation the 4 GiB heap cannot satisfy throw WasmBackendError (tfjs only prints / aliases address 0),
// and a script that used initWasmBackend({ threads: 2 }) exits by itself.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWasmBackend } from '../../src/backends/wasm/index.js';
import { WasmBackendError, xnnFailureMessage } from '../../src/backends/wasm/failure_guard.js';
import { bundleWasmEntry } from './wasm_helpers.js';

const root = resolve(__dirname, '../..');
const dir = join(root, 'node_modules', '.cache', `pix2pix-wasm-exit-${process.pid}`);

beforeAll(async () => {
  await initWasmBackend({ threads: 1 });
  await mkdir(dir, { recursive: true });
  await bundleWasmEntry(dir);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Takes (almost) all free wasm heap with raw mallocs, then gives back the last `spare` blocks (64 KB
 * each); returns a function that frees the rest.
 */
function exhaustHeap(spare = 0): () => void {
  const wasm = (tf.backend() as unknown as { wasm: { _malloc(n: number): number; _free(p: number): void } }).wasm;
  const held: number[] = [];
  for (let chunk = 512 * 2 ** 20; chunk >= 2 ** 16; chunk /= 2) {
    for (;;) {
      const p = wasm._malloc(chunk) >>> 0;
      if (p === 0) break;
      held.push(p);
    }
  }
  held.splice(held.length - spare).forEach((p) => wasm._free(p));
  return () => held.forEach((p) => wasm._free(p));
}

describe('wasm backend failures', () => {
  it('names the XNNPACK status in the error message', () => {
    const line = 'XNN status for xnn_setup_convolution2d_nhwc_f32 is not successful. Got status 6. Use -c dbg to see XNN logs.';
    expect(xnnFailureMessage(line)).toMatch(/xnn_setup_convolution2d_nhwc_f32 failed with XNNPACK status 6 \(xnn_status_out_of_memory\)/);
    expect(xnnFailureMessage('some other warning')).toBeNull();
  });

  it('throws WasmBackendError when XNNPACK runs out of heap, and works again once memory is free', () => {
    const x = tf.ones([1, 32, 32, 8]) as tf.Tensor4D;
    // 4 output channels: too few for our GEMM path (preferWeightGemm), so XNNPACK runs it.
    const w = tf.ones([4, 4, 8, 4]) as tf.Tensor4D;
    // 64 KB left: the 16 KB output fits, XNNPACK's 64 KB indirection buffer does not.
    const release = exhaustHeap(1);
    let error: unknown;
    try {
      tf.conv2d(x, w, 1, 'same');
    } catch (e) {
      error = e;
    } finally {
      release();
    }
    expect(error).toBeInstanceOf(WasmBackendError);
    expect((error as Error).message).toMatch(/xnn_(create|setup)_convolution2d_nhwc_f32 failed with XNNPACK status 6 \(xnn_status_out_of_memory\)/);
    const again = tf.conv2d(x, w, 1, 'same');
    // Interior pixel: 4x4 taps x 8 channels of ones.
    expect(again.dataSync()[(16 * 32 + 16) * 4]).toBe(128);
    tf.dispose([x, w, again]);
  });

  it('throws WasmBackendError for a tensor the heap cannot hold', () => {
    const release = exhaustHeap();
    try {
      expect(() => tf.zeros([1, 256, 256, 64])).toThrow(/out of memory allocating 16\.0 MB for a float32 tensor of shape \[1, 256, 256, 64\]/);
    } finally {
      release();
    }
  });
});

describe('initWasmBackend in a Node script', () => {
  it('lets the process exit by itself after using 2 threads', async () => {
    const script = join(dir, 'exits.mjs');
    await writeFile(
      script,
      [
        "import * as tf from '@tensorflow/tfjs-core';",
        "import { initWasmBackend } from './wasm.mjs';",
        'const info = await initWasmBackend({ threads: 2 });',
        "const y = tf.conv2d(tf.ones([1, 64, 64, 16]), tf.ones([3, 3, 16, 16]), 1, 'same');",
        'console.log(JSON.stringify({ threads: info.threads, v: y.dataSync()[(32 * 64 + 32) * 16] }));',
      ].join('\n'),
    );
    const result = await new Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }>((done) => {
      execFile('node', [script], { cwd: dir, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        const e = err as (Error & { code?: number; killed?: boolean }) | null;
        done({ code: e === null ? 0 : (e.code ?? null), killed: e?.killed ?? false, stdout, stderr });
      });
    });
    expect(result.killed, 'still running after 60 s: the worker threads keep it alive').toBe(false);
    expect(result.code, result.stderr).toBe(0);
    // 3x3 taps x 16 channels of ones; the script ran its work on 2 threads before exiting.
    expect(JSON.parse(result.stdout)).toEqual({ threads: 2, v: 144 });
  }, 90_000);
});
