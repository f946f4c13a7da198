// The wasm backend's worker scripts are never run from a file another user could have placed: a script
// planted in a shared sticky temp folder (where an earlier version wrote and reused fixed names) must
// never run, and the private per-process folder is gone when the process exits.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWasmEntry } from './wasm_helpers.js';

const root = resolve(__dirname, '../..');
const dir = join(root, 'node_modules', '.cache', `pix2pix-wasm-scripts-${process.pid}`);
let shared = '';

beforeAll(async () => {
  await mkdir(dir, { recursive: true });
  await bundleWasmEntry(dir);
  await writeFile(
    join(dir, 'threads.mjs'),
    [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { initWasmBackend } from './wasm.mjs';",
      'const info = await initWasmBackend({ threads: 2 });',
      "const y = tf.conv2d(tf.ones([1, 64, 64, 16]), tf.ones([3, 3, 16, 16]), 1, 'same');",
      'console.log(JSON.stringify({ threads: info.threads, v: y.dataSync()[(32 * 64 + 32) * 16] }));',
    ].join('\n'),
  );
  // A shared temp folder like /tmp: anyone may create entries (sticky bit: only owners delete them).
  shared = await mkdtemp(join(tmpdir(), 'pix2pix-shared-'));
  await chmod(shared, 0o1777);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(shared, { recursive: true, force: true });
});

const runThreads = () =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile('node', [join(dir, 'threads.mjs')], { cwd: dir, timeout: 60_000, killSignal: 'SIGKILL', env: { ...process.env, TMPDIR: shared } }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number }) | null;
      done({ code: e === null ? 0 : (e.code ?? null), stdout, stderr });
    });
  });

/** Every file under `d`, recursively. */
async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('wasm worker scripts', () => {
  it('never runs a script planted in a shared temp folder, and leaves no script behind', async () => {
    // Another user (uid 65534) creates the folder and script names an earlier version used, first.
    const planted = join(shared, 'pix2pix-wasm-threads');
    await mkdir(planted, { recursive: true });
    await chown(planted, 65534, 65534);
    const first = await runThreads();
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ threads: 2, v: 144 });
    // Whatever script files a run left anywhere in the shared folder, the other user now replaces with
    // code that leaves a mark; plus one at a name of the kind the earlier version used.
    const marker = join(shared, 'ran-planted-code');
    const evil = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'pwned');\n`;
    const left = await filesUnder(shared);
    for (const f of [...left, join(planted, '00000000-1.cjs')]) {
      await writeFile(f, evil);
      await chmod(f, 0o666);
      await chown(f, 65534, 65534);
    }
    const second = await runThreads();
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ threads: 2, v: 144 });
    expect(await stat(marker).then(() => 'planted code ran', () => 'not run')).toBe('not run');
    // The scripts lived in a private folder of each process, removed when it exited.
    expect(left).toEqual([]);
    expect((await readdir(shared)).sort()).toEqual(['pix2pix-wasm-threads']);
  }, 120_000);
});
