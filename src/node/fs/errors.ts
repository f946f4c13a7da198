// Errors of the one write path: every failure to write names the path (or the flag that gave it) and the
// cause in one line, with the bytes written when a disk filled up.

/** A write that failed or was refused: `path` is the file or folder, `code` the system error code (or `'EREFUSED'`). */
export class WriteError extends Error {
  /** The file or folder the write was for. */
  readonly path: string;
  /** The system error code (`'ENOSPC'`, `'EACCES'`, ...), or `'EREFUSED'` when the write was refused on purpose. */
  readonly code: string;
  constructor(message: string, path: string, code: string) {
    super(message);
    this.name = 'WriteError';
    this.path = path;
    this.code = code;
  }
}

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder',
  ELOOP: 'is a symbolic link (never written through)',
  ENAMETOOLONG: 'name too long',
  EEXIST: 'already exists',
  ENOENT: 'cannot be created there (no such folder, or a file system that takes no new entries)',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
};

const mb = (n: number) => (n / 1e6).toFixed(n < 1e7 ? 2 : 1);

/**
 * The one-line error for `err` while writing `path` (named as `label`, e.g. `'--out run/exp'`).
 * @param bytes - bytes written so far and, when known, the total, for the full-disk message.
 */
export function writeFailure(label: string, path: string, err: unknown, bytes?: { written: number; total?: number }): WriteError {
  if (err instanceof WriteError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EUNKNOWN';
  let cause = CAUSES[code] ?? `${code}: ${(err as Error)?.message ?? String(err)}`;
  if ((code === 'ENOSPC' || code === 'EDQUOT') && bytes) {
    cause += ` (wrote ${mb(bytes.written)}${bytes.total === undefined ? '' : ` of ${mb(bytes.total)}`} MB; nothing kept)`;
  }
  const at = label === path ? path : `${label} (${path})`;
  return new WriteError(`${at}: ${cause}`, path, code);
}

/** A refusal (nothing was written): `label: why`. */
export function refused(label: string, path: string, why: string): WriteError {
  return new WriteError(`${label}: ${why}`, path, 'EREFUSED');
}
