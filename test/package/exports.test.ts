// Imports the BUILT package (dist/, through the package.json `exports` map) as ESM and as CommonJS in plain
// Node child processes, exactly as a user's app would, so a broken exports map, a missing entry or a CJS/ESM
// mismatch cannot land. `npm test` builds before vitest runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENTRY_NAMES, probeArgs, specifierOf } from '../../scripts/package/entries.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string;
  exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } }>;
  bin: Record<string, string>;
  typesVersions: Record<string, Record<string, string[]>>;
  scripts: Record<string, string>;
  files: string[];
};

const required = ENTRY_NAMES;

/** Loads `spec` as ESM or CommonJS in a fresh Node process in the repository root: its export names and types. */
function exportsOf(spec: string, mode: 'esm' | 'cjs'): Record<string, string> {
  const args = probeArgs(spec, mode);
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

  it('every subpath has node10 types (typesVersions), and a pack builds first and ships the LICENSE', () => {
    for (const entry of Object.keys(required).filter((e) => e !== '.')) {
      expect(pkg.typesVersions['*']![entry.slice(2)], entry).toEqual([pkg.exports[entry]!.import.types]);
    }
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'LICENSE']));
    expect(existsSync(`${root}LICENSE`)).toBe(true);
  });

  for (const [entry, names] of Object.entries(required)) {
    const spec = specifierOf(pkg.name, entry);
    it(`${spec}: ESM import and CommonJS require expose the same names`, () => {
      const esm = exportsOf(spec, 'esm');
      const cjs = exportsOf(spec, 'cjs');
      expect(esm).toEqual(cjs);
      for (const name of names) expect(esm[name], `${spec} exports ${name}`).toBe('function');
    });
  }
});
