/**
 * `@acme/pix2pix/node`: Node-only helpers: file-system checkpoints, PNG/JPEG decoding and encoding,
 * paired data sets on disk, and the pieces of the `pix2pix` CLI.
 *
 * @packageDocumentation
 */

// --- data, images, reports (data/CLI) ---
export { decodeImage, readImage, encodePng, encodeJpeg, writeImage, sniffImageFormat, IMAGE_EXTENSIONS } from './image_io.js';
export { ImageDecodeError, MAX_IMAGE_PIXELS, checkImageHeader } from './image_io.js';
export type { ImageFormat } from './image_io.js';
export { listImages, abFolderPairs, twoFolderPairs, twoFolderFiles, stackedFolderPairs, folderPairs } from './folder_pairs.js';
export type { FolderPairsOptions, FolderLayout, TwoFolderFile } from './folder_pairs.js';
export { sampleGrid, writeSampleGrid } from './sample_grid.js';
export type { SampleGridOptions } from './sample_grid.js';
export { writeReport, renderReport, lineChartSvg } from './report.js';
export type { HistoryEntry, ReportContent } from './report.js';
export { writeFacadeDataset } from './facade_dataset.js';
export { translateFolder, DATA_FOLDER_LAYOUTS } from './translate_folder.js';
export type { TranslateFolderOptions, TranslateFolderResult, DataFolderLayout } from './translate_folder.js';
export { renderResultsPage, renderMetricsCsv, renderMetricsJson, prepareResultsFolder, isOwnResultsFolder, RESULTS_FILES, RESULTS_GENERATOR } from './results_page.js';
export type { ResultsRow, ResultsContent } from './results_page.js';
export { writeTfjsExport, writeNewFile } from './write_export.js';
export { onnxruntimeEngine, ONNXRUNTIME_INSTALL } from './onnxruntime_engine.js';
export type { OnnxruntimeEngineOptions } from './onnxruntime_engine.js';
export { createEngine } from './engine.js';
export type { WriteFacadeDatasetOptions } from './facade_dataset.js';

// --- the one write path (every file the package writes) ---
export { writeFileSafe, writeFolderSafe, appendFileSafe, checkWritable, makeDirs, refuseInputs, WriteError, WRITE_RECORD } from './fs/index.js';
export type { WriteFileOptions, WriteFolderOptions, FolderWriter } from './fs/index.js';

// --- checkpoints (trainer) ---
export { fileCheckpoint, fileCheckpointRouter, checkReplaceable, modelFolderKind, recoverInterruptedSave, CHECKPOINT_JSON, CHECKPOINT_WEIGHTS } from './checkpoint.js';
export type { ModelFolderKind } from './checkpoint.js';

// --- metrics (segmentation scorer cache) ---
export { cachedModel, cachedFacadeSegmenter } from '../metrics/cached_model.js';
export type { CachedModel, CachedModelOptions, CachedFacadeSegmenterOptions } from '../metrics/cached_model.js';
