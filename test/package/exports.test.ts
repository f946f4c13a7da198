// Imports the BUILT package (dist/, via the package.json `exports` map) as ESM and as CommonJS, so a broken
// exports map, a missing entry or a CJS/ESM mismatch cannot land. `npm test` builds before vitest runs.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
};
const require = createRequire(`${root}package.json`);

// The public names DESIGN.md section 2 fixes for each entry point.
const required: Record<string, string[]> = {
  '.': ['unetGenerator', 'encoderDecoderGenerator', 'patchDiscriminator', 'compositeLoss', 'Trainer'],
  './node': [],
  './wasm': ['enableWasmTraining'],
};

describe('package exports map', () => {
  it('declares the three entry points with import, require and types', () => {
    for (const entry of Object.keys(required)) {
      const e = pkg.exports[entry] as { import: { types: string; default: string }; require: { types: string; default: string } };
      expect(e, entry).toBeDefined();
      for (const file of [e.import.types, e.import.default, e.require.types, e.require.default]) {
        expect(existsSync(`${root}${file}`), `${entry} -> ${file} exists (run npm run build)`).toBe(true);
      }
    }
    expect(existsSync(`${root}${pkg.bin.pix2pix}`)).toBe(true);
  });

  for (const [entry, names] of Object.entries(required)) {
    const spec = entry === '.' ? pkg.name : `${pkg.name}${entry.slice(1)}`;
    it(`${spec}: ESM import and CommonJS require expose the same names`, async () => {
      const esm = (await import(/* @vite-ignore */ spec)) as Record<string, unknown>;
      const cjs = require(spec) as Record<string, unknown>;
      const esmNames = Object.keys(esm).filter((k) => k !== 'default' && k !== 'module.exports').sort();
      const cjsNames = Object.keys(cjs).sort();
      expect(esmNames).toEqual(cjsNames);
      for (const name of names) {
        expect(typeof esm[name], `${spec} exports ${name}`).toBe('function');
      }
    });
  }
});
