// Every main public function and class carries an `@example`, and every `@example` in the BUILT declarations
// (dist/*.d.ts, the TSDoc that ships to editors and the API docs) type-checks against the built package: each
// example becomes a module under .cache/examples that imports `@acme/pix2pix` by name (a package resolves its own
// name through its exports map), and one `tsc` run (nodenext, strict) checks them all. A deliberately wrong
// example must fail, so the check cannot pass on types that resolve to `any`. Examples are type-checked, not
// run (several read files a user would have). `npm test` builds before vitest runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = `${root}dist/`;
const dir = `${root}.cache/examples/`;

/** The main public names (the list) that must each document at least one example. */
const REQUIRED = [
  'unetGenerator', 'encoderDecoderGenerator', 'resnetGenerator', 'patchDiscriminator', 'compositeLoss', 'Trainer',
  'generate', 'translateImage', 'evaluate', 'exportTfjsGenerator', 'exportOnnxGenerator',
  'importTorchCheckpoint', 'importTorchWeights', 'exportTorchWeights', 'readTorchStateDict', 'writeTorchStateDict',
  'fileCheckpoint', 'readImage', 'writeImage', 'folderPairs', 'translateFolder', 'writeTfjsExport', 'writeSampleGrid',
  'writeFacadeDataset', 'enableWasmTraining', 'initWasmBackend',
];

/** Name -> the code of each `@example` in its doc comment, from every built .d.ts. */
function builtExamples(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const doc = /\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:function|class|const)\s+(\w+)/g;
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
    for (const [, body, name] of readFileSync(dist + file, 'utf8').matchAll(doc)) {
      const text = body!.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
      for (const section of text.split('@example').slice(1)) {
        const code = /```(?:ts|typescript)\n([\s\S]*?)```/.exec(section)?.[1];
        if (code !== undefined) out.set(name!, [...(out.get(name!) ?? []), code]);
      }
    }
  }
  return out;
}

const examples = builtExamples();
const files = [...examples].flatMap(([name, codes]) => codes.map((code, i) => ({ name, file: `${name}-${i + 1}.mts`, code })));
// Wrong on purpose: a string where unetGenerator takes a number, and a missing method.
const canary = { file: 'canary.mts', code: "import { unetGenerator } from '@acme/pix2pix';\nunetGenerator({ imageSize: 'big' }).noSuchMethod();\n" };

let diagnostics = '';
beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of [...files, canary]) writeFileSync(dir + f.file, f.code);
  const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] };
  writeFileSync(`${dir}tsconfig.json`, JSON.stringify({ compilerOptions, include: ['*.mts'] }, null, 2));
  try {
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${dir}tsconfig.json`], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    diagnostics = String((e as { stdout?: string }).stdout ?? e);
  }
}, 180_000);

const errorsIn = (file: string) => diagnostics.split('\n').filter((l) => l.startsWith(file));

describe('TSDoc @example blocks of the built package', () => {
  it('every main public function and class has one', () => {
    expect(REQUIRED.filter((n) => !examples.has(n))).toEqual([]);
  });

  it('a wrong example fails the type check (the check is real)', () => {
    expect(errorsIn(canary.file).join('\n')).toMatch(/TS2322|TS2339/);
  });

  it.each(files.map((f) => [f.file, f] as const))('%s type-checks', (_, f) => {
    expect(errorsIn(f.file)).toEqual([]);
  });
});
