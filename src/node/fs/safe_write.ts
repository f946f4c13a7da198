// The one write path of the package: every file the CLI and the Node helpers write goes through here.
// Files: a temp file beside the target (created with O_EXCL, so never through a link), written, fsynced,
// renamed over the target (which replaces a link instead of following it), then the folder fsynced; an
// existing file is replaced only when the folder's record says the program wrote it. Folders: built in a
// temp folder beside the target and renamed into place when complete, replacing only an empty folder or
// one of the same kind that the program wrote. A killed or failed write leaves only temp entries, which
// the next write of the same target removes.
import fs, { constants } from 'node:fs';
import { lstat, mkdtemp, readdir, rename, rm, chmod, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { refused, writeFailure, WriteError } from './errors.js';
import { checkOutputPath, makeDirs, refuseInputs } from './paths.js';
import { readRecord, renderRecord, WRITE_RECORD, WRITTEN_BY, type WriteRecord } from './record.js';

/** Options of {@link writeFileSafe}. */
export interface WriteFileOptions {
  /** How errors name the target, e.g. `'--out model.pth'`. Default: the path. */
  label?: string;
  /** Files and folders the command reads: the target must not be (or be inside) one of them. Default none. */
  inputs?: ReadonlyArray<{
    /** An input file or folder of the command. */
    path: string;
    /** How errors name it (e.g. `'--input'`). */
    label: string;
  }>;
  /** Record the file in its folder's {@link WRITE_RECORD}, so a later run may replace it. Default true. */
  record?: boolean;
  /** Fsync the file and its folder. Default true. */
  durable?: boolean;
  /** Which existing file may be replaced: `'recorded'` (one the folder's record lists; default) or `'never'`. */
  overwrite?: 'recorded' | 'never';
}

const CHUNK = 1 << 20;

/** Writes `data` to an open handle in chunks, counting bytes for the full-disk message. */
async function writeAll(h: FileHandle, data: Uint8Array, progress: { written: number }): Promise<void> {
  for (let off = 0; off < data.byteLength; ) {
    const { bytesWritten } = await h.write(data, off, Math.min(CHUNK, data.byteLength - off));
    off += bytesWritten;
    progress.written += bytesWritten;
  }
}

const bytesOf = (data: Uint8Array | string) => (typeof data === 'string' ? Buffer.from(data) : data);

/** Fsyncs a folder (its entries: the rename that just happened). Platforms that cannot are skipped. */
export async function syncFolder(dir: string): Promise<void> {
  let h: FileHandle | null = null;
  try {
    h = await fs.promises.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await h.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    await h?.close();
  }
}

/** True when process `pid` is running (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The temp name prefix of `target` (`.<name>.tmp-`), followed by the writer's pid. */
const tmpPrefix = (target: string) => `.${basename(target)}.tmp-`;

/**
 * Removes temp files and folders that killed writers of `target` left beside it (their pid is gone);
 * when `target` itself is missing (killed between the two renames of a folder write), first moves the
 * previous folder (`<temp>-old`) back into place.
 */
export async function removeLeftovers(target: string): Promise<void> {
  const parent = dirname(target);
  const prefix = tmpPrefix(target);
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => {
    if (!n.startsWith(prefix)) return false;
    return !processAlive(Number(/^(\d+)-/.exec(n.slice(prefix.length))?.[1]));
  });
  const old = names.find((n) => n.endsWith('-old'));
  if (old !== undefined && (await lstat(target).catch(() => null)) === null) await rename(join(parent, old), target);
  for (const n of names) if (n !== old || (await lstat(join(parent, n)).catch(() => null)) !== null) await rm(join(parent, n), { recursive: true, force: true });
}

/** Writes a small file inside a folder the caller owns (no record, no checks): O_EXCL, fsynced. */
async function putNew(file: string, data: Uint8Array, progress: { written: number }, durable: boolean): Promise<void> {
  const h = await fs.promises.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
  try {
    await writeAll(h, data, progress);
    if (durable) await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `data` to `target` through a temp file beside it and a rename; the folder must exist. */
async function replaceAtomically(target: string, data: Uint8Array, label: string, durable: boolean): Promise<void> {
  const tmp = join(dirname(target), `${tmpPrefix(target)}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const progress = { written: 0 };
  try {
    await putNew(tmp, data, progress, durable);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw writeFailure(label, target, e, { written: progress.written, total: data.byteLength });
  }
  if (durable) await syncFolder(dirname(target)).catch(() => {});
}

/** Adds `names` to the record of `dir` (written atomically, before the files themselves appear). */
export async function addToRecord(dir: string, names: readonly string[], label = dir): Promise<void> {
  const r: WriteRecord = (await readRecord(dir)) ?? { writtenBy: WRITTEN_BY, files: [] };
  const missing = names.filter((n) => !r.files.includes(n));
  if (missing.length === 0) return;
  r.files.push(...missing);
  await replaceAtomically(join(dir, WRITE_RECORD), Buffer.from(renderRecord(r)), label, false);
}

/**
 * Why `target` may not be written, or null when it may: it is a folder, or an existing file (or link)
 * that the folder's record does not list.
 */
async function blocker(target: string, overwrite: 'recorded' | 'never' = 'recorded'): Promise<string | null> {
  const st = await lstat(target).catch(() => null);
  if (st === null) return null;
  if (st.isDirectory()) return 'is a folder';
  if (overwrite === 'never') return 'exists; refusing to overwrite it (give a new file name)';
  const record = await readRecord(dirname(target));
  if (record?.files.includes(basename(target))) return null;
  return st.isSymbolicLink()
    ? 'is a symbolic link this program did not create: refusing to replace it (nothing written through it either)'
    : 'exists and was not written by pix2pix: refusing to overwrite it (give a new name, or remove it yourself)';
}

/**
 * The checks of {@link writeFileSafe} without writing (for commands that check all their outputs
 * before any work): a non-empty path, not an input, not a folder, not a file the program did not write.
 * @returns The absolute target path.
 * @throws WriteError naming the path and why.
 */
export async function checkWritable(file: string, options: WriteFileOptions = {}): Promise<string> {
  const label = options.label ?? file;
  checkOutputPath(file, label);
  const target = resolve(file);
  if (options.inputs) await refuseInputs([target], options.inputs, label);
  const why = await blocker(target, options.overwrite);
  if (why !== null) throw refused(label === file ? label : `${label}: ${file}`, target, why);
  return target;
}

/**
 * Writes one file safely: refuses an empty path, an input of the command, a folder, and an existing file
 * (or link) the program did not write; creates the folder; writes a temp file beside the target, fsyncs
 * it, renames it over the target and fsyncs the folder; records the name in the folder's record.
 * @throws WriteError naming the path and the cause (a full disk: the bytes written; nothing is kept).
 */
export async function writeFileSafe(file: string, data: Uint8Array | string, options: WriteFileOptions = {}): Promise<void> {
  const label = options.label ?? file;
  const target = await checkWritable(file, options);
  await makeDirs(dirname(target), label);
  await removeLeftovers(target);
  if (options.record !== false) await addToRecord(dirname(target), [basename(target)], label);
  await replaceAtomically(target, bytesOf(data), label, options.durable !== false);
}

/**
 * Appends to a file the program writes (a step log): never through a link (O_NOFOLLOW), never to a file
 * the folder's record does not list.
 * @throws WriteError naming the path and the cause.
 */
export async function appendFileSafe(file: string, data: string, label = file): Promise<void> {
  const target = resolve(file);
  const why = await blocker(target);
  if (why !== null) throw refused(label, target, why);
  try {
    const h = await fs.promises.open(target, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o666);
    try {
      await h.write(data);
    } finally {
      await h.close();
    }
  } catch (e) {
    throw writeFailure(label, target, e);
  }
}

/** Writes files into a folder being built by {@link writeFolderSafe}. */
export interface FolderWriter {
  /** The temp folder (renamed to the target when the fill function returns). */
  readonly dir: string;
  /** Writes a new file `name` (may contain `/`: subfolders are created) into the folder. */
  put(name: string, data: Uint8Array | string): Promise<void>;
}

/** Options of {@link writeFolderSafe}. */
export interface WriteFolderOptions {
  /** What kind of folder this is (stored in its record, e.g. `'combine'`): an existing folder of this kind that the program wrote may be replaced. */
  kind: string;
  /** How errors name the target. Default: the path. */
  label?: string;
  /** Files and folders the command reads: the target must not be, hold, or be inside one of them. */
  inputs?: ReadonlyArray<{
    /** An input file or folder of the command. */
    path: string;
    /** How errors name it (e.g. `'--input'`). */
    label: string;
  }>;
  /**
   * Decides whether an existing non-empty folder may be replaced (default: its record names `kind` and
   * lists every file in it). Give `() => false` to refuse any non-empty folder.
   */
  replaceable?: (dir: string) => Promise<boolean>;
  /** Write a record into the folder. Default true. */
  record?: boolean;
  /** Bytes the folder will hold, when known: a full-disk error then says how much of it was written. */
  expectedBytes?: number;
}

/** Every file under `dir`, relative and `/`-separated (folders are not listed). */
async function filesUnder(dir: string, base = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, base), { withFileTypes: true })) {
    const rel = base === '' ? e.name : `${base}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** The default {@link WriteFolderOptions.replaceable}: the folder's record is of `kind` and lists all its files. */
export function recordedFolderOf(kind: string): (dir: string) => Promise<boolean> {
  return async (dir) => {
    const r = await readRecord(dir);
    if (r?.kind !== kind) return false;
    const own = new Set([...r.files, WRITE_RECORD]);
    return (await filesUnder(dir)).every((f) => own.has(f));
  };
}

/**
 * Records folder `dir` as a `kind` output the program wrote, listing its regular files (for folders a
 * version without write records made, recognised by the caller). Does nothing when it has a record.
 */
export async function adoptFolder(dir: string, kind: string, label = dir): Promise<void> {
  if ((await readRecord(dir)) !== null) return;
  const files = [];
  for (const f of await filesUnder(dir)) if ((await lstat(join(dir, f))).isFile()) files.push(f);
  await replaceAtomically(join(dir, WRITE_RECORD), Buffer.from(renderRecord({ writtenBy: WRITTEN_BY, kind, files })), label, false);
}

/** The process umask, read without changing it for longer than the call. */
function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}

/**
 * Writes a whole folder atomically: `fill` writes the files into a temp folder beside `dir`; when it
 * returns, the files are fsynced and the temp folder is renamed into place (replacing an empty folder,
 * or one {@link WriteFolderOptions.replaceable} accepts), and the parent is fsynced. On any failure or
 * kill, `dir` is as it was; the temp folder is removed (by the next write of `dir` after a kill).
 * @returns What `fill` returned.
 * @throws WriteError naming the path and the cause; or what `fill` threw.
 */
export async function writeFolderSafe<T>(dir: string, fill: (w: FolderWriter) => Promise<T>, options: WriteFolderOptions): Promise<T> {
  const label = options.label ?? dir;
  checkOutputPath(dir, label);
  const target = resolve(dir);
  if (options.inputs) await refuseInputs([target], options.inputs, label);
  const parent = dirname(target);
  await makeDirs(parent, label);
  await removeLeftovers(target);
  const st = await lstat(target).catch(() => null);
  let existing = false;
  if (st !== null) {
    if (st.isSymbolicLink()) throw refused(label, target, 'is a symbolic link: refusing to replace it or write through it (give the real folder)');
    if (!st.isDirectory()) throw refused(label, target, 'exists and is not a folder');
    existing = (await readdir(target)).length > 0;
    const replaceable = options.replaceable ?? recordedFolderOf(options.kind);
    if (existing && !(await replaceable(target).catch((e: Error) => Promise.reject(refused(label, target, e.message))))) {
      throw refused(label, target, `exists and is not empty, and is not an earlier ${options.kind} folder written by pix2pix: give a new or empty folder`);
    }
  }
  let tmp: string;
  try {
    tmp = await mkdtemp(join(parent, `${tmpPrefix(target)}${process.pid}-`));
    await chmod(tmp, 0o777 & ~currentUmask()); // mkdtemp makes 0700; the folder gets what mkdir would
  } catch (e) {
    throw writeFailure(label, target, e);
  }
  const progress = { written: 0 };
  const names: string[] = [];
  const writer: FolderWriter = {
    dir: tmp,
    put: async (name, data) => {
      const file = join(tmp, name);
      try {
        if (name.includes('/')) await makeDirs(dirname(file));
        await putNew(file, bytesOf(data), progress, true);
      } catch (e) {
        throw writeFailure(label, join(target, name), e, { written: progress.written, ...(options.expectedBytes === undefined ? {} : { total: options.expectedBytes }) });
      }
      names.push(name);
    },
  };
  let moved: string | null = null;
  try {
    const result = await fill(writer);
    if (options.record !== false) await writer.put(WRITE_RECORD, renderRecord({ writtenBy: WRITTEN_BY, kind: options.kind, files: names.slice() }));
    await syncFolder(tmp);
    if (st !== null) {
      moved = `${tmp}-old`;
      await rename(target, moved);
    }
    try {
      await rename(tmp, target);
    } catch (e) {
      if (moved !== null) await rename(moved, target);
      moved = null;
      throw e;
    }
    await syncFolder(parent).catch(() => {});
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof WriteError || !(e as NodeJS.ErrnoException).code ? e : writeFailure(label, target, e, { written: progress.written });
  } finally {
    if (moved !== null) await rm(moved, { recursive: true, force: true });
  }
}
