import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { splitAB } from '../data/split.js';
import { stackChannels } from '../data/image.js';
import { checkOneOf } from '../util/validate.js';
import type { PairSource } from '../data/source.js';
import { IMAGE_EXTENSIONS, readImage } from './image_io.js';

/**
 * The image files of a folder (by extension: `.png`, `.jpg`, `.jpeg`, any case), sorted by name,
 * hidden files skipped. Not recursive.
 * @throws Error naming the folder when it cannot be read or holds no image.
 */
export async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => !e.name.startsWith('.') && !e.isDirectory() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())).map((e) => e.name);
  } catch (e) {
    throw new Error(`${dir}: cannot read folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (names.length === 0) throw new Error(`${dir}: no images in folder (looked for ${IMAGE_EXTENSIONS.join(', ')})`);
  return names.sort();
}

/**
 * Paired data in the A|B layout: a folder of images each holding A on its left half and B on its right
 * (the layout of the public pix2pix data sets and of `pix2pix make-dataset`). Files are read when a
 * pair is loaded.
 * @throws Error naming the folder when it is missing or empty; loads throw naming the file when it is
 *   unreadable, not an image, or of odd width (halves of any aspect are fine).
 */
export async function abFolderPairs(dir: string): Promise<PairSource> {
  const files = (await listImages(dir)).map((n) => join(dir, n));
  return {
    length: files.length,
    name: (i) => files[i]!,
    load: async (i) => splitAB(await readImage(files[i]!), files[i]!),
  };
}

/** One matched pair of files of the two-folder layout. */
export interface TwoFolderFile {
  /** The shared file name without extension. */
  stem: string;
  /** Path of the A image. */
  a: string;
  /** Path of the B image. */
  b: string;
}

/**
 * Matches the images of `dirA` and `dirB` by file name without extension (`0001.png` in A pairs with
 * `0001.jpg` in B), sorted by that name.
 * @throws Error listing unmatched names (up to 5 per side), two images of one folder sharing a name, or an
 *   empty or missing folder.
 */
export async function twoFolderFiles(dirA: string, dirB: string): Promise<TwoFolderFile[]> {
  const stemMap = async (dir: string) => {
    const m = new Map<string, string>();
    for (const n of await listImages(dir)) {
      const stem = basename(n, extname(n));
      const prev = m.get(stem);
      if (prev !== undefined) throw new Error(`${dir}: two images share the name '${stem}' (${prev}, ${n})`);
      m.set(stem, n);
    }
    return m;
  };
  const a = await stemMap(dirA);
  const b = await stemMap(dirB);
  const onlyA = [...a.keys()].filter((s) => !b.has(s));
  const onlyB = [...b.keys()].filter((s) => !a.has(s));
  if (onlyA.length > 0 || onlyB.length > 0) {
    const show = (xs: string[], m: Map<string, string>) => xs.slice(0, 5).map((s) => m.get(s)).join(', ') + (xs.length > 5 ? `, ... (${xs.length} in all)` : '');
    const parts: string[] = [];
    if (onlyA.length > 0) parts.push(`in ${dirA} but not in ${dirB}: ${show(onlyA, a)}`);
    if (onlyB.length > 0) parts.push(`in ${dirB} but not in ${dirA}: ${show(onlyB, b)}`);
    throw new Error(`unmatched file names in the two-folder layout: ${parts.join('; ')}`);
  }
  return [...a.keys()].sort().map((stem) => ({ stem, a: join(dirA, a.get(stem)!), b: join(dirB, b.get(stem)!) }));
}

/**
 * Paired data in two folders: A images in `dirA`, B images in `dirB`, paired by file name without
 * extension (see {@link twoFolderFiles}). A and B may have any size and aspect.
 * @throws Error listing unmatched names (up to 5 per side) or naming an empty or missing folder.
 */
export async function twoFolderPairs(dirA: string, dirB: string): Promise<PairSource> {
  const files = await twoFolderFiles(dirA, dirB);
  return {
    length: files.length,
    name: (i) => `${files[i]!.a} + ${files[i]!.b}`,
    load: async (i) => {
      const [imgA, imgB] = await Promise.all([readImage(files[i]!.a), readImage(files[i]!.b)]);
      return { a: imgA, b: imgB };
    },
  };
}

/**
 * Paired data in aligned folders whose images are stacked along channels: input channels from `dirsA`
 * (e.g. `A/` RGB + `A2/` depth = 4 channels), target channels from `dirsB`, all paired by file name
 * without extension. With one folder per side it is {@link twoFolderPairs}.
 * @throws Error listing names missing from a folder, or naming an empty or missing folder; loads throw
 *   naming the files when stacked images differ in size.
 */
export async function stackedFolderPairs(dirsA: readonly string[], dirsB: readonly string[]): Promise<PairSource> {
  if (dirsA.length === 0 || dirsB.length === 0) throw new Error('stackedFolderPairs: give at least one A and one B folder');
  const base = await twoFolderFiles(dirsA[0]!, dirsB[0]!);
  const extra = async (dirs: readonly string[]) => Promise.all(dirs.slice(1).map(async (d) => new Map((await twoFolderFiles(dirsA[0]!, d)).map((f) => [f.stem, f.b]))));
  const moreA = await extra(dirsA);
  const moreB = await extra([dirsA[0]!, ...dirsB.slice(1)]);
  const filesOf = (i: number) => ({
    a: [base[i]!.a, ...moreA.map((m) => m.get(base[i]!.stem)!)],
    b: [base[i]!.b, ...moreB.map((m) => m.get(base[i]!.stem)!)],
  });
  return {
    length: base.length,
    name: (i) => [...filesOf(i).a, ...filesOf(i).b].join(' + '),
    load: async (i) => {
      const f = filesOf(i);
      const [a, b] = await Promise.all([Promise.all(f.a.map(readImage)), Promise.all(f.b.map(readImage))]);
      return { a: stackChannels(a, f.a.join(' + ')), b: stackChannels(b, f.b.join(' + ')) };
    },
  };
}

/**
 * On-disk layouts of a paired data set: `'ab'` one folder of A|B images; `'folders'` subfolders `A` and `B`
 * with matching names, plus optional `A2`, `A3`, ... and `B2`, ... whose images are stacked onto A's and
 * B's channels ({@link stackedFolderPairs}).
 */
export type FolderLayout = 'ab' | 'folders';

const OPEN_LAYOUT: Record<FolderLayout, (dir: string) => Promise<PairSource>> = {
  ab: (dir) => abFolderPairs(dir),
  folders: async (dir) => {
    const subs = new Set((await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name));
    const more = (side: string) => {
      const dirs = [join(dir, side)];
      for (let k = 2; subs.has(`${side}${k}`); k++) dirs.push(join(dir, `${side}${k}`));
      return dirs;
    };
    const [a, b] = [more('A'), more('B')];
    return a.length === 1 && b.length === 1 ? twoFolderPairs(a[0]!, b[0]!) : stackedFolderPairs(a, b);
  },
};

/** Options of {@link folderPairs}. */
export interface FolderPairsOptions {
  /** The layout. Default: `'folders'` when `dir` has subfolders `A` and `B`, else `'ab'`. */
  layout?: FolderLayout;
}

/**
 * Opens a paired data set folder in either layout: `dir` of A|B images, or `dir/A` + `dir/B` with
 * matching names (chosen automatically unless `layout` says).
 * @example
 * ```ts
 * import { pairedBatches } from '@acme/pix2pix';
 * import { folderPairs } from '@acme/pix2pix/node';
 *
 * // datasets/facades/train: A|B images side by side, or subfolders A/ and B/ with matching names.
 * const pairs = await folderPairs('datasets/facades/train');
 * const batches = pairedBatches(pairs, { batchSize: 1, loadSize: 286, cropSize: 256, seed: 1 });
 * ```
 */
export async function folderPairs(dir: string, options: FolderPairsOptions = {}): Promise<PairSource> {
  let layout = options.layout;
  if (layout === undefined) {
    let entries: string[] = [];
    try {
      entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (e) {
      throw new Error(`${dir}: cannot read folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    layout = entries.includes('A') && entries.includes('B') ? 'folders' : 'ab';
  }
  checkOneOf(layout, 'layout', ['ab', 'folders'] as const);
  return OPEN_LAYOUT[layout](dir);
}
