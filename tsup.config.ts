import { defineConfig } from 'tsup';

// One build, five entry points. Peer dependencies (tfjs-core, tfjs-layers, backends) stay external,
// so an app that imports this package shares its single tfjs engine with it.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      node: 'src/node/index.ts',
      wasm: 'src/backends/wasm/index.ts',
      layers: 'src/layers/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: true,
    treeshake: true,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'es2022',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
