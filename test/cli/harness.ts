// Shared by the CLI tests (train, test, demo): bundles the CLI from src (as test/cli/cli.test.ts does) into
// node_modules/.cache/, gives each test file a temporary working folder, and runs the CLI there.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';

export const root = resolve(__dirname, '../..');
const cacheDir = join(root, 'node_modules', '.cache', 'pix2pix-cli-test');
const run = promisify(execFile);

/** The bundled CLI and the temporary folder the CLI runs in (set by {@link useCli}). */
export const ctx = { cli: '', tmp: '' };

/** Registers the bundling and the temporary folder for the calling test file. */
export function useCli(tag: string): void {
  beforeAll(async () => {
    await mkdir(cacheDir, { recursive: true });
    const out = join(cacheDir, `cli-${tag}-${process.pid}`);
    await run('npx', ['tsup', 'src/cli/main.ts', '--no-config', '--format', 'esm', '--target', 'es2022', '--out-dir', out, '--silent'], { cwd: root });
    ctx.cli = join(out, 'main.js');
    ctx.tmp = await mkdtemp(join(cacheDir, `run-${tag}-`));
    // Two tiny A|B pairs, 32x32 halves, for every training test.
    const r = await pix2pix('make-dataset', '--out', 'ds', '--count', '2', '--size', '32', '--seed', '3');
    expect(r.code, r.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await rm(join(cacheDir, `cli-${tag}-${process.pid}`), { recursive: true, force: true });
    await rm(ctx.tmp, { recursive: true, force: true });
  });
}

/** Runs the CLI in the temporary folder; never throws. */
export async function pix2pix(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('node', [ctx.cli, ...args], { cwd: ctx.tmp });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** Starts the CLI in the background; `stderr()` returns what it printed so far. */
export function start(...args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn('node', [ctx.cli, ...args], { cwd: ctx.tmp });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { child, stderr: () => err, exit };
}

/** Waits until `history.jsonl` of `out` has at least `n` lines. */
export async function waitForSteps(out: string, n: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if ((await readFile(join(ctx.tmp, out, 'history.jsonl'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).length >= n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${out}: no ${n} steps after 120 s`);
}

/** The steps logged in `history.jsonl` of `out`. */
export async function historyOf(out: string): Promise<Array<Record<string, number>>> {
  return (await readFile(join(ctx.tmp, out, 'history.jsonl'), 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
}

export const exists = (p: string) => stat(join(ctx.tmp, p)).then(() => true, () => false);
export const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);
/** Tiny networks on the cpu backend. */
export const tiny = ['--crop-size', '32', '--ngf', '4', '--ndf', '4', '--backend', 'cpu', '--sample-every', '1'];
