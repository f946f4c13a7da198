// The package's entry points and the public names each must export (DESIGN.md section 2 and the issues).
// One table for test/package/exports.test.ts (the built dist/) and scripts/package/consumer.mjs (the packed
// package installed in a fresh project).

/** Entry (as in package.json `exports`) -> names that must be functions or classes there. */
export const ENTRY_NAMES = {
  '.': ['unetGenerator', 'encoderDecoderGenerator', 'resnetGenerator', 'patchDiscriminator', 'compositeLoss', 'Trainer', 'generate', 'translateImage', 'evaluate', 'exportTfjsGenerator', 'exportOnnxGenerator', 'importTorchCheckpoint', 'tfjsEngine', 'checkEngineMode', 'canny', 'rgbToLab', 'labToRgb', 'colorizeImage'],
  './node': ['translateFolder', 'writeTfjsExport', 'onnxruntimeEngine', 'createEngine'],
  './wasm': ['enableWasmTraining', 'initWasmBackend', 'checkWasmCapacity', 'WasmBackendError'],
  './layers': ['InstanceNormalization', 'SeededDropout', 'ReflectionPadding2D', 'ReplicationPadding2D', 'LeadingCrop2D', 'SpatialSizeCheck', 'ReferenceInitializer'],
};

/** The import specifier of an entry: `@acme/pix2pix` for '.', `@acme/pix2pix/node` for './node'. */
export function specifierOf(packageName, entry) {
  return entry === '.' ? packageName : `${packageName}${entry.slice(1)}`;
}

/**
 * Node arguments that import (`esm`) or require (`cjs`) `spec` in a fresh process and print, as the last
 * line, JSON of its export names and their `typeof`.
 */
export function probeArgs(spec, mode) {
  const body = mode === 'esm' ? `const m = await import(${JSON.stringify(spec)});` : `const m = require(${JSON.stringify(spec)});`;
  const code = `${body} const o = {}; for (const k of Object.keys(m).sort()) if (k !== 'default' && k !== 'module.exports') o[k] = typeof m[k]; console.log(JSON.stringify(o));`;
  return [mode === 'esm' ? '--input-type=module' : '--input-type=commonjs', '-e', code];
}
