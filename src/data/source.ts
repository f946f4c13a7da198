import type { ImageLike } from './image.js';

/** One paired example before preprocessing: image A and image B of the same scene. */
export interface ImagePair {
  /** Image A (e.g. the label map). */
  a: ImageLike;
  /** Image B (e.g. the photo). */
  b: ImageLike;
}

/**
 * A random-access collection of image pairs that loads one pair at a time, so a data set never has to
 * fit in memory. The Node entry offers sources over folders (A|B files or two folders); the facades data
 * set is one too ({@link facadePairs}); any object with this shape works.
 */
export interface PairSource {
  /** Number of pairs. */
  readonly length: number;
  /** A name for pair `index` (a file name), quoted in errors. */
  name(index: number): string;
  /** Loads (reads and decodes) pair `index`. Errors should name the file. */
  load(index: number): Promise<ImagePair>;
}
