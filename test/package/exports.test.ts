// Imports the BUILT package (dist/, through the package.json `exports` map) as ESM and as CommonJS in plain
// Node child processes, exactly as a user's app would, so a broken exports map, a missing entry or a CJS/ESM
// mismatch cannot land. `npm test` builds before vitest runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string;
  exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } }>;
  bin: Record<string, string>;
};

// Public names DESIGN.md section 2 and the issues fix for each entry point.
const required: Record<string, string[]> = {
  '.': ['unetGenerator', 'encoderDecoderGenerator', 'resnetGenerator', 'patchDiscriminator', 'compositeLoss', 'Trainer', 'generate', 'translateImage', 'evaluate', 'exportTfjsGenerator', 'tfjsEngine', 'checkEngineMode'],
  './node': ['translateFolder', 'writeTfjsExport', 'onnxruntimeEngine', 'createEngine'],
  './wasm': ['enableWasmTraining', 'initWasmBackend', 'checkWasmCapacity', 'WasmBackendError'],
  './layers': ['InstanceNormalization', 'SeededDropout', 'ReflectionPadding2D', 'ReplicationPadding2D', 'LeadingCrop2D', 'SpatialSizeCheck', 'ReferenceInitializer'],
};

/** Runs `code` in a fresh Node process in the repository root; it prints JSON of the export names and types. */
function exportsOf(spec: string, mode: 'esm' | 'cjs'): Record<string, string> {
  const body =
    mode === 'esm'
      ? `const m = await import(${JSON.stringify(spec)});`
      : `const m = require(${JSON.stringify(spec)});`;
  const code = `${body} const o = {}; for (const k of Object.keys(m)) if (k !== 'default' && k !== 'module.exports') o[k] = typeof m[k]; console.log(JSON.stringify(o));`;
  const args = mode === 'esm' ? ['--input-type=module', '-e', code] : ['--input-type=commonjs', '-e', code];
  const out = execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, string>;
}

describe('package exports map', () => {
  it('declares the three entry points with import, require and types, all built', () => {
    for (const entry of Object.keys(required)) {
      const e = pkg.exports[entry];
      expect(e, entry).toBeDefined();
      for (const file of [e!.import.types, e!.import.default, e!.require.types, e!.require.default]) {
        expect(existsSync(`${root}${file}`), `${entry} -> ${file} exists (run npm run build)`).toBe(true);
      }
    }
    expect(existsSync(`${root}${pkg.bin.pix2pix}`)).toBe(true);
  });

  for (const [entry, names] of Object.entries(required)) {
    const spec = entry === '.' ? pkg.name : `${pkg.name}${entry.slice(1)}`;
    it(`${spec}: ESM import and CommonJS require expose the same names`, () => {
      const esm = exportsOf(spec, 'esm');
      const cjs = exportsOf(spec, 'cjs');
      expect(esm).toEqual(cjs);
      for (const name of names) expect(esm[name], `${spec} exports ${name}`).toBe('function');
    });
  }
});
