// Browser harness shared by the browser test suite (test/browser/*.test.ts) and the browser bench rows
// (bench/browser.mjs): a tiny static HTTP server for the BUILT package (dist/) and tfjs' ESM bundles, an
// import map that resolves the bare `@tensorflow/*` and `@acme/pix2pix` specifiers to them, and a
// Chromium launcher with the flags that make WebGL and WebGPU work headless (SwiftShader software
// rendering, DESIGN.md section 4). Plain ESM JavaScript so that `node bench/browser.mjs` can use it
// without a TypeScript step; types are in harness.d.mts.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { Buffer } from 'node:buffer';

/** Repository root (this file lives in test/browser/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Chromium binary: Debian's package unless CHROMIUM_PATH says otherwise. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags every launch needs on these machines (no sandbox as root, no network chatter). */
export const baseFlags = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Flags that expose a WebGPU adapter (SwiftShader's Vulkan) in headless Chromium. */
export const webgpuFlags = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
  '--use-webgpu-adapter=swiftshader',
];

/** True when the Chromium binary exists. */
export function chromiumAvailable() {
  return existsSync(chromiumPath);
}

/**
 * Launches headless Chromium with the base and WebGPU flags (WebGL works under the same flags, through
 * ANGLE on SwiftShader). The caller closes the returned browser.
 */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: [...baseFlags, ...webgpuFlags] });
}

const tfjsPackages = {
  '@tensorflow/tfjs-core': 'tfjs-core/dist/tf-core.fesm.js',
  '@tensorflow/tfjs-layers': 'tfjs-layers/dist/tf-layers.fesm.js',
  '@tensorflow/tfjs-backend-cpu': 'tfjs-backend-cpu/dist/tf-backend-cpu.fesm.js',
  '@tensorflow/tfjs-backend-webgl': 'tfjs-backend-webgl/dist/tf-backend-webgl.fesm.js',
  '@tensorflow/tfjs-backend-webgpu': 'tfjs-backend-webgpu/dist/tf-backend-webgpu.fesm.js',
  '@tensorflow/tfjs-backend-wasm': 'tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js',
};

/**
 * The import map every harness page uses: tfjs' flat ESM bundles from node_modules, the built package
 * from dist/, empty modules for the Node built-ins the wasm backend's bundle imports for Node only (a
 * bundler stubs them in an app), and an ESM shim for `seedrandom` (a CommonJS dependency of the cpu backend's bundle).
 */
export function importMap() {
  const imports = {
    '@acme/pix2pix': '/dist/index.js',
    '@acme/pix2pix/wasm': '/dist/wasm.js',
    seedrandom: '/shim/seedrandom.js',
    ...Object.fromEntries(['fs', 'path', 'os', 'perf_hooks', 'worker_threads'].map((m) => [m, '/shim/empty.js'])),
    // Runtime dependencies of the built core (package.json "dependencies") that ship browser ESM.
    fflate: '/node_modules/fflate/esm/browser.js',
  };
  for (const [name, file] of Object.entries(tfjsPackages)) imports[name] = `/tfjs/${file}`;
  return { imports };
}

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** ESM wrapper around seedrandom's CommonJS `alea` (the only generator tfjs-backend-cpu uses). */
function seedrandomShim() {
  const alea = readFileSync(join(repoRoot, 'node_modules/seedrandom/lib/alea.js'), 'utf8');
  return `const module = { exports: {} };\n${alea}\nexport const alea = module.exports;\nexport default { alea };\n`;
}

/** Resolves `rel` inside `dir`, refusing paths that climb out of it. */
function inside(dir, rel) {
  const base = resolve(dir);
  const full = normalize(join(base, decodeURIComponent(rel)));
  return full === base || full.startsWith(base + sep) ? full : undefined;
}

/**
 * Starts a static server on 127.0.0.1 (random free port). Routes: `/dist/` -> the built package
 * (`distDir`, default PIX2PIX_DIST or the repository's dist/),
 * `/tfjs/<pkg>/dist/` -> node_modules/@tensorflow/<pkg>/dist, `/node_modules/`, `/shim/*.js`,
 * `/pages/` -> test/browser/pages, plus `extraRoots` (URL prefix -> directory). HTML responses get the import map
 * inserted where the page says `<!--importmap-->`.
 */
export async function startServer({ extraRoots = {}, distDir = process.env.PIX2PIX_DIST ?? join(repoRoot, 'dist') } = {}) {
  const roots = {
    '/dist/': distDir,
    '/tfjs/': join(repoRoot, 'node_modules/@tensorflow'),
    '/pages/': join(repoRoot, 'test/browser/pages'),
    '/node_modules/': join(repoRoot, 'node_modules'),
    ...extraRoots,
  };
  const mapTag = `<script type="importmap">${JSON.stringify(importMap())}</script>`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/shim/empty.js') {
      res.writeHead(200, { 'content-type': contentTypes['.js'] }).end('export default {};\n');
      return;
    }
    if (path === '/shim/seedrandom.js') {
      res.writeHead(200, { 'content-type': contentTypes['.js'] }).end(seedrandomShim());
      return;
    }
    // Longest prefix first, so '/app/x/' wins over '/app/'.
    const prefix = Object.keys(roots)
      .sort((a, b) => b.length - a.length)
      .find((p) => path.startsWith(p) || path === p.slice(0, -1));
    let file = prefix === undefined ? undefined : inside(roots[prefix], path.slice(prefix.length));
    if (file !== undefined && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (file === undefined || !existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    const type = contentTypes[extname(file)] ?? 'application/octet-stream';
    let body = readFileSync(file);
    if (extname(file) === '.html') body = Buffer.from(body.toString('utf8').replace('<!--importmap-->', mapTag));
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    url,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * Opens `path` (e.g. '/pages/backends.html') in a new page of `browser`, forwarding the page's console
 * errors and uncaught exceptions to `log` (default: stderr) so a failing page explains itself.
 */
export async function openPage(browser, baseUrl, path, log = (line) => process.stderr.write(`${line}\n`)) {
  const page = await browser.newPage();
  page.on('pageerror', (err) => log(`[page error] ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') log(`[page ${msg.type()}] ${msg.text()}`);
  });
  await page.goto(`${baseUrl}${path}`);
  return page;
}
