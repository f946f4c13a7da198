// The per-folder record of what the program wrote (`.pix2pix-written.json`): a file the program finds in
// an output folder is replaced only when this record lists it, so a user's file never is.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Name of the record file in every folder the program writes files into. */
export const WRITE_RECORD = '.pix2pix-written.json';
/** `writtenBy` of a record. */
export const WRITTEN_BY = '@acme/pix2pix';

/** What a folder's record holds. */
export interface WriteRecord {
  /** Always {@link WRITTEN_BY}. */
  writtenBy: string;
  /** What kind of output the folder is when the program wrote all of it (`'combine'`, `'make-dataset'`, ...); absent for folders it only writes files into. */
  kind?: string;
  /** Names (relative to the folder, `/`-separated) of the files the program wrote there. */
  files: string[];
}

/** The record of `dir`, or null when it has none (or an unreadable one: then nothing there counts as ours). */
export async function readRecord(dir: string): Promise<WriteRecord | null> {
  try {
    const r = JSON.parse(await readFile(join(dir, WRITE_RECORD), 'utf8')) as Partial<WriteRecord>;
    if (r?.writtenBy !== WRITTEN_BY || !Array.isArray(r.files)) return null;
    return { writtenBy: WRITTEN_BY, ...(typeof r.kind === 'string' ? { kind: r.kind } : {}), files: r.files.map(String) };
  } catch {
    return null;
  }
}

/** The text of a record. */
export const renderRecord = (r: WriteRecord): string => `${JSON.stringify(r, null, 2)}\n`;
