import { rm } from 'node:fs/promises';
import { defineConfig, type Options } from 'tsup';

// One build of four library entry points (ESM + CommonJS + declarations) and the CLI. Peer dependencies
// (tfjs-core, tfjs-layers, backends) and dependencies stay external, so an app that imports this package
// shares its single tfjs engine with it.
//
// - The CLI is an entry of the ESM build, so it imports the library's shared chunks instead of carrying a
//   second copy of the library (it was 417 KB on its own).
// - No source maps: dist/ is unminified ES2022 whose names and lines read like the source, and maps
//   embedding the sources were two thirds of the package (3.3 of 4.9 MB unpacked).
// - `ignoreAnnotations`: esbuild would otherwise read this package's own `sideEffects` (which lists the
//   shipped dist/ files only) while bundling src/, and drop modules imported for their side effect (the
//   layer classes register themselves with tfjs-layers so saved models load).
const library = {
  index: 'src/index.ts',
  node: 'src/node/index.ts',
  wasm: 'src/backends/wasm/index.ts',
  layers: 'src/layers/index.ts',
};

const common: Options = {
  dts: { entry: library },
  sourcemap: false,
  target: 'es2022',
  splitting: true,
  treeshake: true,
  esbuildOptions(options) {
    options.ignoreAnnotations = true;
  },
};

/** Makes dist/cli.js a runnable bin: the shebang line and the executable bit. */
const cliBin: NonNullable<Options['plugins']>[number] = {
  name: 'cli-bin',
  renderChunk(code, info) {
    if (!/[\\/]cli\.js$/.test(info.path)) return undefined;
    info.mode = 0o755;
    return { code: `#!/usr/bin/env node\n${code}` };
  },
};

// One ESM + CommonJS build (one declaration pass for both). The CLI rides in it to share the chunks; its
// CommonJS twin is not wanted (the bin is ESM) and is removed once written.
export default defineConfig({
  ...common,
  entry: { ...library, cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  clean: true,
  plugins: [cliBin],
  onSuccess: () => rm('dist/cli.cjs', { force: true }),
});
