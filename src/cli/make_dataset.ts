/**
 * `pix2pix make-dataset --from <photos>`: turns a folder of plain photos into a paired data set in the
 * reference's layout, `<out>/train/` and `<out>/test/` of A|B images (A made from the photo by Canny
 * edges, gray, or Lab L; B the photo), split by photo so that no photo gives pairs on both sides.
 */
import { basename, extname, join } from 'node:path';
import { canny, type CannyOptions } from '../data/canny.js';
import { photoPairs, type PhotoTask } from '../data/photo_pairs.js';
import { Rng, deriveSeed } from '../util/random.js';
import { listImages } from '../node/folder_pairs.js';
import { encodePng, readImage } from '../node/image_io.js';
import { writeFolderSafe } from '../node/fs/index.js';
import { CliError, selectBackend } from './backend.js';
import { CountProgress } from './progress.js';
import { outputNames } from './translate.js';

/** Options of `pix2pix make-dataset --from`. */
export interface MakePhotoDatasetOptions {
  /** Folder of photos (PNG / JPEG; not recursive). */
  from: string;
  /** Output folder: pairs go to `<out>/train/` and `<out>/test/`. */
  out: string;
  /** What A is. */
  task: PhotoTask;
  /** Shorter side of each photo after resizing. */
  loadSize: number;
  /** Side of the square crops (default `loadSize`). */
  cropSize?: number;
  /** Crops per photo (1: the centre square). */
  crops: number;
  /** Fraction of the photos held out for `test/` (used when `testCount` is not given). */
  testFraction: number;
  /** Number of photos held out for `test/` (overrides `testFraction`). */
  testCount?: number;
  /** Seed of the split and the crop places. */
  seed: number;
  /** Canny settings of the edges task. */
  canny: CannyOptions;
  log?: NodeJS.WriteStream;
}

/** What {@link runMakePhotoDataset} wrote. */
export interface MakePhotoDatasetResult {
  /** Pair files written to `train/`. */
  train: string[];
  /** Pair files written to `test/`. */
  test: string[];
  /** Files that could not be read or decoded, each with the reason. */
  skipped: Array<{ file: string; reason: string }>;
}

/** Photos held out for testing: `testCount`, else `round(fraction * n)` but at least 1 when there are 2 photos or more. */
function testPhotos(n: number, o: MakePhotoDatasetOptions): number {
  if (o.testCount !== undefined) {
    if (o.testCount >= n) throw new CliError(`--test-count ${o.testCount}: the folder has ${n} photo(s); keep at least one for train/`);
    return o.testCount;
  }
  if (!(o.testFraction >= 0 && o.testFraction < 1)) throw new CliError(`--test-fraction must be in [0, 1) (got ${o.testFraction})`);
  if (o.testFraction === 0 || n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(o.testFraction * n)));
}

/**
 * Runs `pix2pix make-dataset --from`: reads every photo of `from`, splits the photos (seeded shuffle)
 * into test and train, and writes each photo's pairs (`<name>.png`, or `<name>_<k>.png` with several
 * crops) into `<out>/test/` or `<out>/train/`. Unreadable files are skipped, each reported with its
 * reason, and the rest is written; `--out` is written as one folder through the one write path (it must
 * be new, empty, or an earlier data set of this command), and nothing is written when no photo could be read.
 */
export async function runMakePhotoDataset(o: MakePhotoDatasetOptions): Promise<MakePhotoDatasetResult> {
  const log = o.log ?? process.stderr;
  const cropSize = o.cropSize ?? o.loadSize;
  try {
    canny(new Float64Array(9), 3, 3, o.canny); // checks sigma and thresholds before any work
  } catch (e) {
    throw new CliError(`Canny settings: ${(e as Error).message}`);
  }
  if (cropSize > o.loadSize) throw new CliError(`--crop-size ${cropSize} is larger than --load-size ${o.loadSize} (the photos' shorter side after resizing)`);
  let names: string[];
  try {
    names = await listImages(o.from);
  } catch (e) {
    throw new CliError(`--from: ${(e as Error).message}`);
  }
  const files = names.map((n) => join(o.from, n));
  const nTest = testPhotos(files.length, o);
  const order = new Rng(deriveSeed(o.seed, 'photo split')).shuffle(files.map((_, i) => i));
  const isTest = new Set(order.slice(0, nTest));
  const stems = outputNames(files).map((n) => basename(n, extname(n)));
  const names2 = files.map((_, i) => {
    const split = isTest.has(i) ? 'test' : 'train';
    return Array.from({ length: o.crops }, (_, k) => `${split}/${o.crops === 1 ? `${stems[i]}.png` : `${stems[i]}_${k + 1}.png`}`);
  });
  await selectBackend('cpu'); // resizing runs tfjs ops

  log.write(
    `make-dataset: ${files.length} photo(s) from ${o.from} -> ${files.length - nTest} for train/, ${nTest} for test/ (split by photo, seed ${o.seed}); ` +
      `A = ${o.task}, B = photo, shorter side ${o.loadSize}, ${o.crops} crop(s) of ${cropSize}x${cropSize} per photo\n`,
  );
  const result: MakePhotoDatasetResult = { train: [], test: [], skipped: [] };
  // The whole data set is one folder written by the one write path: built beside --out and renamed into
  // place when complete (a kill, a full disk or no readable photo leaves --out as it was); an existing
  // --out is replaced only when it is an earlier data set of this command, never a folder of the user's.
  await writeFolderSafe(
    o.out,
    async (w) => {
      const progress = new CountProgress(files.length, 'make-dataset: photos', log);
      try {
        for (const [i, file] of files.entries()) {
          let photo;
          try {
            photo = await readImage(file);
          } catch (e) {
            result.skipped.push({ file, reason: (e as Error).message.replace(`${file}: `, '') });
            progress.tick();
            continue;
          }
          const pairs = photoPairs(photo, i, { task: o.task, loadSize: o.loadSize, cropSize, crops: o.crops, seed: o.seed, canny: o.canny });
          for (const [k, pair] of pairs.entries()) {
            const name = names2[i]![k]!;
            await w.put(name, encodePng(pair));
            (isTest.has(i) ? result.test : result.train).push(join(o.out, name));
          }
          progress.tick();
        }
      } finally {
        progress.stop();
      }
      if (result.train.length + result.test.length === 0) throw new CliError(`--from ${o.from}: none of the ${files.length} image file(s) could be read; nothing was written`);
    },
    { kind: 'make-dataset-photos', label: `--out ${o.out}`, inputs: [{ path: o.from, label: '--from' }] },
  );
  for (const s of result.skipped) log.write(`skipped ${s.file}: ${s.reason}\n`);
  log.write(
    `wrote ${result.train.length} pair(s) to ${join(o.out, 'train')} and ${result.test.length} to ${join(o.out, 'test')} (${2 * cropSize}x${cropSize}, A|B)` +
      `${result.skipped.length > 0 ? `; skipped ${result.skipped.length} unreadable file(s), listed above` : ''}\n`,
  );
  return result;
}
