/**
 * Multithreaded tfjs wasm backend in Node.
 *
 * tfjs-backend-wasm 4.22 ships a threaded SIMD binary whose Emscripten glue supports Node's
 * `worker_threads`, but the backend never uses it in Node (its `WASM_HAS_MULTITHREAD_SUPPORT` flag
 * returns false there, tfjs issue #3830), for three reasons this module works around, only while the
 * backend initialises:
 * 1. the worker script and the main script are handed to workers as `Blob` object URLs, which Node's
 *    `Worker` cannot load: `Blob` and `URL.createObjectURL` are replaced by versions that write the
 *    scripts (~100 KB) into a private folder of this process (`mkdtemp`, mode 0700, removed when the
 *    process exits) and return their paths, after checking the folder and each file (owner, mode, content):
 *    no file that another user could have placed or changed is ever run (a fixed name in the shared temp
 *    folder was: anyone who created it first had their code run by the next training);
 * 2. the main script is the bundled factory's source and refers to the bundle's module variables
 *    (`require$$0`... and `commonjsGlobal`): a prelude in each script defines them;
 * 3. the thread pool size is capped to `os.cpus().length / 2` (it assumes hyper-threading): `os.cpus`
 *    reports twice the requested thread count while the module starts.
 * Everything is restored when initialisation ends, successful or not.
 *
 * @internal
 */

import * as tf from '@tensorflow/tfjs-core';
import { fnv1aHex } from '../../util/hash.js';

/** Node built-ins used here, obtained without a static import so that bundles stay platform neutral. */
interface NodeBuiltins {
  fs: {
    mkdtempSync(prefix: string): string;
    writeFileSync(file: string, data: string, o: { flag: string; mode: number }): void;
    readFileSync(file: string, encoding: 'utf8'): string;
    lstatSync(p: string): { uid: number; mode: number; isFile(): boolean; isDirectory(): boolean };
    readdirSync(p: string): string[];
    rmSync(p: string, o: { recursive: boolean; force: boolean }): void;
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

/** The uid of this process (-1 where there are none). */
function currentUid(): number {
  const proc = (globalThis as { process?: { getuid?: () => number } }).process;
  return proc?.getuid?.() ?? -1;
}

/** True when process `pid` runs. */
function alive(pid: number): boolean {
  try {
    (globalThis as unknown as { process: { kill(pid: number, s: number): void } }).process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

const FOLDER_PREFIX = 'pix2pix-wasm-';
let privateFolder: string | null = null;

/**
 * This process' private folder for the worker scripts: created once with `mkdtemp` (mode 0700, owned by
 * this user), removed when the process exits; folders of this user's dead processes are removed first.
 */
function scriptFolder(node: NodeBuiltins): string {
  const { fs, os, path } = node;
  if (privateFolder !== null) return privateFolder;
  const tmp = os.tmpdir();
  for (const n of fs.readdirSync(tmp)) {
    const pid = Number(/^pix2pix-wasm-(\d+)-/.exec(n)?.[1]);
    if (!(pid > 0) || alive(pid)) continue;
    try {
      const st = fs.lstatSync(path.join(tmp, n));
      if (st.isDirectory() && st.uid === currentUid()) fs.rmSync(path.join(tmp, n), { recursive: true, force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
  const proc = (globalThis as unknown as { process: { pid: number; once(e: string, f: () => void): void } }).process;
  const dir = fs.mkdtempSync(path.join(tmp, `${FOLDER_PREFIX}${proc.pid}-`));
  privateFolder = dir;
  proc.once('exit', () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  });
  return dir;
}

/** Throws unless `p` is owned by this user and no one else may write it (or, for a folder, enter it). */
function checkPrivate(node: NodeBuiltins, p: string, kind: 'folder' | 'file'): void {
  const st = node.fs.lstatSync(p);
  const okKind = kind === 'folder' ? st.isDirectory() : st.isFile();
  if (!okKind || st.uid !== currentUid() || (st.mode & (kind === 'folder' ? 0o077 : 0o022)) !== 0) {
    throw new Error(`wasm threads: ${p} is not a private ${kind} of this user (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}); refusing to run worker scripts from it`);
  }
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
  const builtins = node;
  const dir = scriptFolder(node);
  checkPrivate(node, dir, 'folder');
  class FileBlob {
    readonly __pix2pixPath: string;
    constructor(parts: unknown[]) {
      const text = PRELUDE + parts.map(String).join('');
      this.__pix2pixPath = path.join(dir, `${fnv1aHex(text)}-${text.length}.cjs`);
      try {
        fs.writeFileSync(this.__pix2pixPath, text, { flag: 'wx', mode: 0o600 });
      } catch (e) {
        if ((e as { code?: string }).code !== 'EEXIST') throw e; // written by this process' earlier init
      }
      // Checked before use: ours, private, and exactly the text this process means to run.
      checkPrivate(builtins, this.__pix2pixPath, 'file');
      if (fs.readFileSync(this.__pix2pixPath, 'utf8') !== text) throw new Error(`wasm threads: ${this.__pix2pixPath} does not hold the worker script this process wrote; refusing to run it`);
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
