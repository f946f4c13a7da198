// The output folder of `pix2pix train`: created (or reported as read-only), locked, checked for what it
// already holds (a checkpoint to resume, a previous run's files that a fresh run must not overwrite, a
// folder that is not a checkpoint), with interrupted saves recovered first.
import { access, constants, lstat, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkReplaceable, CHECKPOINT_JSON, recoverInterruptedSave } from '../../node/checkpoint.js';
import type { HistoryEntry } from '../../node/report.js';
import { CliError } from '../backend.js';
import { addToRecord, makeDirs, readRecord } from '../../node/fs/index.js';
import { lockRun, type TrainLock } from './lock.js';

/** The checkpoint folder inside a training output folder. */
export const checkpointDir = (out: string) => join(out, 'checkpoint');
/** The options file of a training output folder. */
export const RUN_JSON = 'run.json';
/** The step log of a training output folder. */
export const HISTORY_JSONL = 'history.jsonl';

/** Whether `p` exists. */
export const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/** The nearest folder of `p` (itself or a parent) that exists. */
async function nearestExisting(p: string): Promise<string> {
  let d = resolve(p);
  while (!(await exists(d)) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Creates `dir` (and parents); a folder that cannot be written is reported as such, naming it. */
export async function makeWritableDir(dir: string, flag: string): Promise<void> {
  try {
    await makeDirs(dir);
    await access(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const at = await nearestExisting(dir);
    const writable = await access(at, constants.W_OK).then(() => true, () => false);
    if (!writable || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new CliError(`${flag}: ${at} is read-only (cannot create or write ${dir}: ${code ?? e})`);
    }
    throw new CliError(`${flag}: cannot create ${dir} (${code ?? (e as Error).message})`);
  }
}

/** What {@link openOutFolder} found. */
export interface OutFolder {
  /** The held lock (release it when the run ends). */
  lock: TrainLock;
  /** The checkpoint folder. */
  checkpoint: string;
  /** A previous checkpoint moved back into place (a save was killed between its two renames), or null. */
  recovered: string | null;
}

/**
 * Prepares `out` for a run: creates it, takes its lock, recovers an interrupted save, and refuses
 * (with the lock released) what would lose work: a fresh run where a checkpoint or a previous run's
 * files are, `--resume` without a checkpoint, a checkpoint folder that is not a Trainer checkpoint.
 */
export async function openOutFolder(out: string, resume: boolean): Promise<OutFolder> {
  await makeWritableDir(out, `--out ${out}`);
  const lock = await lockRun(out);
  try {
    const ckpt = checkpointDir(out);
    const recovered = await recoverInterruptedSave(ckpt);
    try {
      await checkReplaceable(ckpt, 'trainer');
    } catch (e) {
      throw new CliError(`--out ${out}: ${(e as Error).message}`);
    }
    const hasCkpt = await exists(join(ckpt, CHECKPOINT_JSON));
    if (hasCkpt && !resume) throw new CliError(`${out} already holds a checkpoint: pass --resume to continue it, or choose another --out`);
    if (!hasCkpt && resume) throw new CliError(`--resume: no checkpoint in ${ckpt}`);
    if (!resume) {
      // An earlier run that stopped before its first checkpoint (killed, a data error, a full disk) left
      // files this program recorded as its own: the new run replaces them. Anything else is refused.
      const own = new Set((await readRecord(out))?.files ?? []);
      const previous = [];
      for (const f of [RUN_JSON, HISTORY_JSONL]) if ((await exists(join(out, f))) && !own.has(f)) previous.push(f);
      if (previous.length > 0) {
        throw new CliError(`${out} holds ${previous.join(' and ')} of an earlier run but no checkpoint: choose another --out (nothing was overwritten)`);
      }
    } else {
      await adoptRunFiles(out);
    }
    return { lock, checkpoint: ckpt, recovered };
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** The files a run writes besides its checkpoints (report, log, options), and its sample grids. */
const RUN_FILES = [RUN_JSON, HISTORY_JSONL, 'report.html'];
const SAMPLE_NAME = /^step-\d+\.png$/;

/**
 * Records as the program's own the files of a run that a version without write records made (so a
 * resume may rewrite them); only regular files with the names a run writes, never links.
 */
async function adoptRunFiles(out: string): Promise<void> {
  const regular = async (p: string) => (await lstat(p).catch(() => null))?.isFile() === true;
  const own = [];
  for (const f of RUN_FILES) if (await regular(join(out, f))) own.push(f);
  if (own.length > 0) await addToRecord(out, own, `--out ${out}`);
  const samples = join(out, 'samples');
  const grids = [];
  for (const f of await readdir(samples).catch(() => [] as string[])) if (SAMPLE_NAME.test(f) && (await regular(join(samples, f)))) grids.push(f);
  if (grids.length > 0 && (await readRecord(samples)) === null) await addToRecord(samples, grids, `--out ${out}`);
}

/** Reads `run.json` of a run being resumed. */
export async function readRunJson(out: string): Promise<Record<string, unknown>> {
  const p = join(out, RUN_JSON);
  try {
    const saved = JSON.parse(await readFile(p, 'utf8')) as unknown;
    if (saved === null || typeof saved !== 'object' || Array.isArray(saved)) throw new Error('not a JSON object');
    return saved as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`--resume: cannot read ${p} (${(e as Error).message})`);
  }
}

/** Reads the history of a resumed run, up to `step` (steps after the checkpoint were lost with the process). */
export async function readHistory(out: string, step: number): Promise<HistoryEntry[]> {
  const p = join(out, HISTORY_JSONL);
  if (!(await exists(p))) return [];
  return (await readFile(p, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as HistoryEntry];
      } catch {
        return []; // a line cut short by a kill
      }
    })
    .filter((e) => e.step <= step);
}

/** What a fresh run created in its `--out` before its first step, for {@link undoFreshRun}. */
export interface FreshRunTrace {
  /** Whether `--out` existed before the run. */
  outExisted: boolean;
  /** Whether `<out>/samples/` existed before the run. */
  samplesExisted: boolean;
  /** Files the run wrote (run.json, history.jsonl, the step-0 sample grid), absolute or relative to the cwd. */
  files: string[];
}

/**
 * Leaves `out` as it was before a fresh run that failed before its first step: removes the files the run
 * wrote and the folders it created, but a folder only when it is empty (never a file the run did not write).
 */
export async function undoFreshRun(out: string, trace: FreshRunTrace): Promise<void> {
  for (const f of trace.files) await rm(f, { force: true });
  const dirs = [...(trace.samplesExisted ? [] : [join(out, 'samples')]), ...(trace.outExisted ? [] : [out])];
  for (const d of dirs) await rmdir(d).catch(() => undefined); // not empty: something else is there, keep it
}
