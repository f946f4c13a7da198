/**
 * The reference's data layout: `--dataroot D --phase P` reads `D/P/` when that folder exists (how every
 * data set of junyanz/pytorch-CycleGAN-and-pix2pix is laid out: `train/`, `val/`, `test/`), and `D`
 * itself when it is a plain folder of data (A|B images, or `A/` + `B/`). One resolver for every command.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { IMAGE_EXTENSIONS } from './image_io.js';

/** The phases of the reference's data sets, in the order they are listed in errors. */
export const REFERENCE_PHASES: readonly string[] = ['train', 'val', 'test'];
/** The `--phase` each command reads by default: `train` trains on `train/`, `test` and `translate` read `test/`. */
export const DEFAULT_PHASE: Readonly<{ train: 'train'; test: 'test' }> = { train: 'train', test: 'test' };

/** Where {@link resolveDataroot} found the data. */
export interface ResolvedDataroot {
  /** The folder to read: `<root>/<phase>` or `<root>`. */
  dir: string;
  /** The phase folder used, or null when `root` itself is the data folder. */
  phase: string | null;
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/**
 * Resolves `--dataroot root --phase phase`: `<root>/<phase>/` when it is a folder; otherwise `root`
 * itself, unless the phase was given explicitly (then its absence is an error) or `root` holds other
 * phase folders and no data of its own (e.g. only `train/` when testing: an error naming them).
 *
 * @param root - The `--dataroot` folder.
 * @param phase - The phase (`train`, `val`, `test`, or any folder name).
 * @param explicit - Whether the user gave `--phase` (else it is the command's default).
 * @param flag - How errors name the data folder, e.g. `'--dataroot data/facades'`.
 * @throws Error naming the folder and what it holds.
 */
export async function resolveDataroot(root: string, phase: string, explicit: boolean, flag = `--dataroot ${root}`): Promise<ResolvedDataroot> {
  if (phase === '' || phase === '.' || phase === '..' || /[/\\]/.test(phase)) throw new Error(`--phase must be a folder name such as train, val or test (got '${phase}')`);
  if (!(await isDir(root))) throw new Error(`${flag}: no such folder`);
  const dir = join(root, phase);
  if (await isDir(dir)) return { dir, phase };
  const entries = await readdir(root, { withFileTypes: true });
  const subdirs = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const phases = REFERENCE_PHASES.filter((p) => subdirs.includes(p));
  const has = phases.length > 0 ? ` (it has ${phases.map((p) => `${p}/`).join(', ')})` : '';
  if (explicit) throw new Error(`--phase ${phase}: no folder ${dir}${has}`);
  // A plain data folder: images at the top, or the A/ + B/ layout.
  const plain = (subdirs.includes('A') && subdirs.includes('B')) || entries.some((e) => !e.isDirectory() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()));
  if (phases.length > 0 && !plain) throw new Error(`${flag} has no ${phase}/ folder${has}: give --phase ${phases[0]}, or that folder itself`);
  return { dir: root, phase: null };
}
