import { check, checkInt } from '../../util/validate.js';
import { Rng, deriveSeed } from '../../util/random.js';
import { facadeLabelToRgb } from './palette.js';
import { facadeLayout } from './layout.js';
import { renderFacade } from './render.js';

/** Options of {@link facadeSample}. */
export interface FacadeSampleOptions {
  /** Width and height of the images in pixels (square). Any integer >= 16. Default 256. */
  size?: number;
  /** Base seed of the data set; sample `index` of seed `seed` is always the same. Default 0. */
  seed?: number;
}

/** One sample of the procedural facades data set: a label map and the rendered photo of the same facade. */
export interface FacadeSample {
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels (equal to `width`). */
  height: number;
  /** Class ids (see `FACADE_CLASSES`), one byte per pixel, row-major. The ground truth of the photo. */
  label: Uint8Array;
  /** The label map coloured with `FACADE_PALETTE`: RGB bytes, 3 per pixel, row-major. */
  labelRgb: Uint8Array;
  /** The rendered "photo" of the facade: RGB bytes, 3 per pixel, row-major. */
  photo: Uint8Array;
}

/**
 * Sample `index` of the bundled procedural facades data set: a random but plausible building facade
 * (floors with a grid of windows, sills, shutters, balconies, cornices, pilasters, a door, shop fronts)
 * as a label map in a fixed palette, paired with a rendered photo of it (per-building colours, brick or
 * render textures, glass, shading, cast shadows, noise). No download: everything is generated from
 * `(seed, index)`, deterministically, at any size.
 *
 * The pix2pix task is label map -> photo (the paper's "labels -> facades"), so in the A|B layout written
 * by `pix2pix make-dataset`, A is `labelRgb` and B is `photo`, and direction `AtoB` is the usual one.
 *
 * ```ts
 * const { labelRgb, photo } = facadeSample(7, { size: 128, seed: 1 });
 * ```
 */
export function facadeSample(index: number, options: FacadeSampleOptions = {}): FacadeSample {
  const size = options.size ?? 256;
  const seed = options.seed ?? 0;
  checkInt(index, 'index', 0);
  checkInt(size, 'size', 16);
  check(Number.isInteger(seed), 'seed', 'an integer', seed);
  const rng = new Rng(deriveSeed(seed, 'facades', index));
  const layout = facadeLayout(size, rng);
  const label = new Uint8Array(size * size);
  for (const r of layout.rects) {
    for (let y = r.y0; y < r.y1; y++) label.fill(r.cls, y * size + r.x0, y * size + r.x1);
  }
  const photo = renderFacade(layout, label, rng);
  return { width: size, height: size, label, labelRgb: facadeLabelToRgb(label), photo };
}
