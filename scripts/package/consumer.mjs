// The consumer check: what a new user does with the published package, on the Node that runs this script.
// Packs the repository (or takes PIX2PIX_TARBALL), installs the tarball into a fresh temporary project with
// only its peers (versions as in this repository, from npm's cache when they are there), then: imports every
// entry as ESM and as CommonJS; type-checks a consumer file under nodenext (ESM and CJS files), bundler and
// node10; runs the README's quick start; runs `npx pix2pix --help`; bundles a browser app with esbuild and
// checks the bundle budgets. Exits non-zero on the first failure. CI (.ci/run) runs it on Node 20 and 24:
//   node scripts/package/consumer.mjs [--keep]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { budgetProblems, measureBundles } from './bundles.mjs';
import { ENTRY_NAMES, probeArgs, specifierOf } from './entries.mjs';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const repoPkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const versionIn = (name) => JSON.parse(readFileSync(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
const node = process.execPath;
// `npx` and the bin's `#!/usr/bin/env node` find this Node first.
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}` };

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

function step(name, fn) {
  const t = Date.now();
  try {
    const note = fn();
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)${note ? `: ${note}` : ''}`);
  } catch (e) {
    console.error(`FAIL ${name}\n${e.stdout ?? ''}${e.stderr ?? ''}${e.stack ?? e}`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'pix2pix-consumer-'));
const app = join(work, 'app');
console.log(`consumer check on Node ${process.version} in ${work}`);

let tarball = process.env.PIX2PIX_TARBALL;
if (!tarball) {
  step('npm pack (prepack builds dist/)', () => {
    run('npm', ['pack', '--pack-destination', work], repo);
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
    return tarball;
  });
}

const peers = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'];
const tools = ['typescript', '@types/node'];
step('install the tarball with its peers into a fresh project', () => {
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pix2pix-consumer', private: true, version: '0.0.0' }, null, 2));
  const specs = [tarball, ...[...peers, ...tools].map((p) => `${p}@${versionIn(p)}`)];
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-exact', ...specs], app);
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', repoPkg.name, 'package.json'), 'utf8'));
  if (installed.version !== repoPkg.version) throw new Error(`installed ${installed.version}, expected ${repoPkg.version}`);
  return specs.slice(1).join(' ');
});

for (const [entry, names] of Object.entries(ENTRY_NAMES)) {
  const spec = specifierOf(repoPkg.name, entry);
  step(`import and require ${spec}`, () => {
    const [esm, cjs] = ['esm', 'cjs'].map((mode) => JSON.parse(run(node, probeArgs(spec, mode), app).trim().split('\n').pop()));
    if (JSON.stringify(esm) !== JSON.stringify(cjs)) throw new Error(`ESM and CJS export different names:\n${JSON.stringify(esm)}\n${JSON.stringify(cjs)}`);
    const missing = names.filter((n) => esm[n] !== 'function');
    if (missing.length > 0) throw new Error(`missing: ${missing.join(', ')}`);
    return `${Object.keys(esm).length} names`;
  });
}

// A consumer file that touches every entry; the @ts-expect-error lines fail the check if the types resolve to any.
const consumer = `import * as tf from '@tensorflow/tfjs-core';
import { unetGenerator, patchDiscriminator, compositeLoss, Trainer, type StepStats } from '@acme/pix2pix';
import { translateFolder } from '@acme/pix2pix/node';
import { enableWasmTraining } from '@acme/pix2pix/wasm';
import { InstanceNormalization } from '@acme/pix2pix/layers';

export async function main(): Promise<number> {
  const generator = unetGenerator({ imageSize: 32, filters: 4 });
  const discriminator = patchDiscriminator({ receptiveField: 16, filters: 4 });
  const trainer = new Trainer({ generator, discriminator, loss: compositeLoss({ lambda: 100 }) });
  const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
  const stats: StepStats = await trainer.trainStep({ input: x, target: x });
  // @ts-expect-error imageSize is a number
  unetGenerator({ imageSize: 'big' });
  // @ts-expect-error StepStats.gLoss is a number
  const wrong: string = stats.gLoss;
  void [wrong, translateFolder, enableWasmTraining, InstanceNormalization];
  return stats.gLoss;
}
`;
const tsc = join(app, 'node_modules/typescript/bin/tsc');
const tsconfigs = {
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext', files: ['consumer.mts', 'consumer.cts'] },
  bundler: { module: 'esnext', moduleResolution: 'bundler', files: ['consumer.ts'] },
  node10: { module: 'commonjs', moduleResolution: 'node10', files: ['consumer.ts'] },
};
for (const ext of ['ts', 'mts', 'cts']) writeFileSync(join(app, `consumer.${ext}`), consumer);
for (const [name, { module, moduleResolution, files }] of Object.entries(tsconfigs)) {
  step(`type-check a consumer under moduleResolution ${name} (${files.join(', ')})`, () => {
    const compilerOptions = { module, moduleResolution, target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] };
    writeFileSync(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions, files }, null, 2));
    run(node, [tsc, '-p', `tsconfig.${name}.json`], app);
  });
}

step("run the README's quick start (from the installed package's README)", () => {
  const readme = readFileSync(join(app, 'node_modules', repoPkg.name, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'));
  const block = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('no js block under "## Quick start"');
  writeFileSync(join(app, 'quickstart.mjs'), block);
  const out = run(node, ['quickstart.mjs'], app);
  if (!/step 1 G /.test(out)) throw new Error(`unexpected output:\n${out}`);
  return out.trim().split('\n').pop();
});

step('npx pix2pix --help', () => {
  const out = run('npx', ['--no-install', 'pix2pix', '--help'], app);
  if (!/Usage: pix2pix/.test(out) || !/\btrain\b/.test(out)) throw new Error(`unexpected help:\n${out}`);
  return out.split('\n')[0];
});

step('bundle a browser app (esbuild, platform browser, tfjs included)', () => {
  const code = `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { unetGenerator, translateImage } from '@acme/pix2pix';
await tf.setBackend('cpu');
const G = unetGenerator({ imageSize: 32, filters: 4 });
console.log(translateImage(G, tf.zeros([32, 32, 3])));
`;
  const r = esbuild.buildSync({
    stdin: { contents: code, resolveDir: app, sourcefile: 'browser.mjs', loader: 'js' },
    bundle: true, minify: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(r.metafile.inputs);
  const nodeOnly = inputs.filter((i) => /node_modules\/(pngjs|jpeg-js|commander|cli-progress|protobufjs)\//.test(i) || i.startsWith('node:'));
  if (nodeOnly.length > 0) throw new Error(`the browser bundle carries Node-only code: ${nodeOnly.join(', ')}`);
  return `${r.outputFiles[0].contents.length} bytes with tfjs-core, -layers and the cpu backend`;
});

await (async () => {
  const rows = await measureBundles(app);
  const problems = rows.flatMap(budgetProblems);
  for (const r of rows) console.log(`     bundle ${r.name}: ${r.bytes} B minified, ${r.gzip} B gzip (budget ${r.budget})`);
  if (problems.length > 0) {
    console.error(`FAIL bundle budgets\n${problems.join('\n')}`);
    process.exit(1);
  }
  console.log('ok   bundle budgets');
})();

if (process.argv.includes('--keep')) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`consumer check passed on Node ${process.version}`);
