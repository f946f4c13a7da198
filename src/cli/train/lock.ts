// The lock file of a training output folder: one `pix2pix train` per --out at a time. The lock holds the
// owner's pid; a lock whose process is gone (killed, crashed) is stale and replaced.
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../node/checkpoint.js';
import { CliError } from '../backend.js';

/** Name of the lock file inside a training output folder. */
export const LOCK_FILE = 'train.lock';

/** A held lock; `release()` removes the file (idempotent). */
export interface TrainLock {
  /** Path of the lock file. */
  path: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

interface LockContent {
  pid: number;
  host: string;
  started: string;
}

async function readLock(path: string): Promise<LockContent | null> {
  try {
    const c = JSON.parse(await readFile(path, 'utf8')) as Partial<LockContent>;
    return typeof c.pid === 'number' ? { pid: c.pid, host: String(c.host ?? ''), started: String(c.started ?? '') } : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock of training output folder `out` (which must exist).
 * @throws CliError when another live process holds it.
 */
export async function lockRun(out: string): Promise<TrainLock> {
  const path = join(out, LOCK_FILE);
  const mine: LockContent = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await open(path, 'wx');
      try {
        await h.writeFile(JSON.stringify(mine) + '\n');
      } finally {
        await h.close();
      }
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          const now = await readLock(path);
          if (now?.pid === process.pid) await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = await readLock(path);
    // Another host's pid cannot be checked from here: trust its lock.
    if (held !== null && (held.host !== mine.host || processAlive(held.pid))) {
      throw new CliError(`${out} is in use by another pix2pix train (pid ${held.pid}${held.host !== mine.host ? ` on ${held.host}` : ''}, since ${held.started}); wait for it, or choose another --out`);
    }
    await rm(path, { force: true }); // stale (its process is gone) or unreadable: replace it
  }
  throw new CliError(`${out}: cannot take the lock ${path}`);
}
