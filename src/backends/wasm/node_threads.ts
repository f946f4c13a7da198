/**
 * Multithreaded tfjs wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD binary whose Emscripten glue supports Node's
 * `worker_threads`, but the backend never uses it in Node (its `WASM_HAS_MULTITHREAD_SUPPORT` flag
 * returns false there, tfjs issue #3830), for three reasons this module works around, only while the
 * backend initialises:
 * 1. the worker script and the main script are handed to workers as `Blob` object URLs, which Node's
 *    `Worker` cannot load: `Blob` and `URL.createObjectURL` are replaced by versions that write the
 *    scripts (content-addressed, ~100 KB) to `<tmpdir>/pix2pix-wasm-threads/` and return their paths;
 * 2. the main script is the bundled factory's source and refers to the bundle's module variables
 *    (`require$$0`... and `commonjsGlobal`): a prelude in each script defines them;
 * 3. the thread pool size is capped to `os.cpus().length / 2` (it assumes hyper-threading): `os.cpus`
 *    reports twice the requested thread count while the module starts.
 * Everything is restored when initialisation ends, successful or not.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';

/** Node built-ins used here, obtained without a static import so that bundles stay platform neutral. */
interface NodeBuiltins {
  fs: {
    mkdirSync(p: string, o: object): unknown;
    existsSync(p: string): boolean;
    writeFileSync(file: string, data: string): void;
    renameSync(from: string, to: string): void;
  };
  os: { tmpdir(): string; cpus(): unknown[] };
  path: { join(...parts: string[]): string };
}

/** Node's built-in modules, or `null` outside Node (or in Node versions without `getBuiltinModule`). */
export function nodeBuiltins(): NodeBuiltins | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (proc?.versions?.node === undefined || typeof proc.getBuiltinModule !== 'function') return null;
  return {
    fs: proc.getBuiltinModule('fs') as NodeBuiltins['fs'],
    os: proc.getBuiltinModule('os') as NodeBuiltins['os'],
    path: proc.getBuiltinModule('path') as NodeBuiltins['path'],
  };
}

/** The number of logical CPUs Node reports (1 outside Node). */
export function availableCores(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  if (os === undefined) return 1;
  return os.availableParallelism?.() ?? os.cpus().length;
}

/** 32-bit FNV-1a hash of a string, as 8 hex digits. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const PRELUDE =
  'var require$$0=require("fs"),require$$1=require("path"),require$$2=require("worker_threads"),' +
  'require$$3=require("perf_hooks"),require$$4=require("os"),commonjsGlobal=globalThis;' +
  'URL.createObjectURL=function(b){return b&&b.__pix2pixPath};URL.revokeObjectURL=function(){};\n';

/**
 * Runs `init` (which must initialise the wasm backend, e.g. `tf.setBackend('wasm')`) with the
 * threaded binary enabled for `threads` threads in Node. Returns `false` without calling `init`
 * when this Node cannot do it (no `process.getBuiltinModule`).
 */
export async function withNodeThreads(threads: number, init: () => Promise<unknown>): Promise<boolean> {
  const node = nodeBuiltins();
  if (node === null) return false;
  const { fs, os, path } = node;
  // Scripts are content-addressed in one directory, so repeated runs reuse them instead of piling up.
  const dir = path.join(os.tmpdir(), 'pix2pix-wasm-threads');
  fs.mkdirSync(dir, { recursive: true });
  class FileBlob {
    readonly __pix2pixPath: string;
    constructor(parts: unknown[]) {
      const text = PRELUDE + parts.map(String).join('');
      this.__pix2pixPath = path.join(dir, `${fnv1a(text)}-${text.length}.cjs`);
      if (!fs.existsSync(this.__pix2pixPath)) {
        const tmp = `${this.__pix2pixPath}.${Math.random().toString(36).slice(2)}.tmp`;
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, this.__pix2pixPath); // atomic: concurrent processes never see half a file
      }
    }
  }
  const g = globalThis as unknown as { Blob: unknown };
  const savedBlob = g.Blob;
  const savedCreate = URL.createObjectURL;
  const savedCpus = os.cpus;
  const cpu0 = savedCpus.call(os)[0];
  g.Blob = FileBlob;
  URL.createObjectURL = ((b: FileBlob) => b.__pix2pixPath) as unknown as typeof URL.createObjectURL;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpu0);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  try {
    await init();
  } finally {
    g.Blob = savedBlob;
    URL.createObjectURL = savedCreate;
    os.cpus = savedCpus;
  }
  return true;
}
