// Output paths before anything is written: non-empty, folders created one level at a time (failing at
// once where the file system takes no new entries, e.g. /proc, instead of Node's endless recursive mkdir),
// and never equal to (or inside) a file or folder the same command reads.
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { refused, writeFailure } from './errors.js';

/**
 * Checks a user-given output path: refuses an empty one (which would name the current folder).
 * @param label - how the CLI names it, e.g. `'--out'`.
 */
export function checkOutputPath(path: string, label: string): void {
  if (typeof path === 'string' && path.trim() !== '') return;
  const flag = label.trim();
  const name = flag === '' || flag === path ? JSON.stringify(path) : `${flag} ${JSON.stringify(path)}`;
  throw refused(name, String(path), 'an empty path: give a file or folder name');
}

/**
 * Creates folder `dir` and its missing parents, one `mkdir` each; an existing non-folder in the way, or
 * a file system that refuses new entries, fails at once with the path and the cause.
 * @param label - how errors name it. Default: the path.
 */
export async function makeDirs(dir: string, label = dir): Promise<void> {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    const st = await lstat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw writeFailure(label, p, e);
    });
    if (st !== null) {
      if (!st.isDirectory() && !(st.isSymbolicLink() && (await isDirectory(p)))) throw writeFailure(label, p, Object.assign(new Error('not a folder'), { code: 'ENOTDIR' }));
      break;
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const d of missing.reverse()) {
    await mkdir(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw writeFailure(label, d, e);
    });
  }
}

const isDirectory = (p: string) => import('node:fs/promises').then((f) => f.stat(p)).then((s) => s.isDirectory(), () => false);

/** The real path of `p`: links in its folders resolved, its last part kept (a link there is replaced, never followed). */
export async function realTarget(p: string): Promise<string> {
  const abs = resolve(p);
  const parent = await realpath(dirname(abs)).catch(() => dirname(abs));
  return join(parent, basename(abs));
}

/** The real path of an input (links resolved), or its absolute path when it does not exist. */
const realInput = (p: string) => realpath(p).catch(() => resolve(p));

/**
 * Refuses outputs that would replace a file the command reads, land among the files of a folder it
 * reads, or (a folder output) hold an input (compared by real path, so `--out RUN/checkpoint/model.json`
 * and links are caught; a subfolder of an input folder is fine, the commands read no subfolders).
 * @param outputs - planned output files or folders.
 * @param inputs - the files and folders the command reads, each with how the CLI names it.
 * @param label - how the CLI names the outputs, e.g. `'--out x'`.
 */
export async function refuseInputs(outputs: readonly string[], inputs: ReadonlyArray<{ path: string; label: string }>, label: string): Promise<void> {
  const ins = await Promise.all(inputs.map(async (i) => ({ ...i, real: await realInput(i.path) })));
  for (const out of outputs) {
    const target = await realTarget(out);
    for (const i of ins) {
      if (target === i.real || dirname(target) === i.real || i.real.startsWith(target + sep)) {
        throw refused(label, out, `would write over ${i.label} (${i.path}), which this command reads; choose another output`);
      }
    }
  }
}
