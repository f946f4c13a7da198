// The one write path (see safe_write.ts): re-exports for the CLI and the Node helpers.
export { WriteError, writeFailure, refused } from './errors.js';
export { checkOutputPath, makeDirs, refuseInputs, realTarget } from './paths.js';
export { WRITE_RECORD, readRecord, type WriteRecord } from './record.js';
export {
  writeFileSafe,
  checkWritable,
  addToRecord,
  adoptFolder,
  appendFileSafe,
  writeFolderSafe,
  recordedFolderOf,
  removeLeftovers,
  syncFolder,
  processAlive,
  type WriteFileOptions,
  type WriteFolderOptions,
  type FolderWriter,
} from './safe_write.js';
