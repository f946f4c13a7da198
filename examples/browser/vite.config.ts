// Vite config of the browser example (`npx vite examples/browser` to develop, `npx vite build
// examples/browser` to build into examples/browser/dist). The package comes from the repository's
// sources through src/pix2pix.ts.
import { fileURLToPath, URL } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});
