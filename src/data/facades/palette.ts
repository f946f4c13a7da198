/**
 * The fixed label palette of the bundled procedural facades data set ({@link facadeSample}).
 */

/**
 * The semantic classes of the facades data set, in class-id order (`FACADE_CLASSES[id]`). Class ids are
 * stable: they are the values stored in {@link FacadeSample.label} and in the label maps on disk.
 *
 * | id | class | RGB |
 * |---|---|---|
 * | 0 | background (sky and street) | 0, 0, 170 |
 * | 1 | wall | 0, 0, 255 |
 * | 2 | window | 0, 170, 255 |
 * | 3 | door | 170, 255, 85 |
 * | 4 | balcony | 255, 85, 0 |
 * | 5 | cornice | 255, 255, 0 |
 * | 6 | sill | 85, 255, 170 |
 * | 7 | pillar | 255, 0, 0 |
 * | 8 | shop | 170, 0, 0 |
 * | 9 | shutter | 0, 255, 255 |
 */
export const FACADE_CLASSES = [
  'background',
  'wall',
  'window',
  'door',
  'balcony',
  'cornice',
  'sill',
  'pillar',
  'shop',
  'shutter',
] as const;

/** One class name of the facades data set (see {@link FACADE_CLASSES}). */
export type FacadeClass = (typeof FACADE_CLASSES)[number];

/**
 * The label-map colour of each class, `[r, g, b]` in 0..255, indexed by class id (same order as
 * {@link FACADE_CLASSES}). Colours are far apart so that a label map survives JPEG compression and
 * resizing and can be mapped back with {@link facadeRgbToLabel}.
 */
export const FACADE_PALETTE: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 170],
  [0, 0, 255],
  [0, 170, 255],
  [170, 255, 85],
  [255, 85, 0],
  [255, 255, 0],
  [85, 255, 170],
  [255, 0, 0],
  [170, 0, 0],
  [0, 255, 255],
];

/** Class id of a class name, e.g. `facadeClassId('window') === 2`. */
export function facadeClassId(name: FacadeClass): number {
  return FACADE_CLASSES.indexOf(name);
}

/**
 * Colours a class-id map with {@link FACADE_PALETTE}.
 * @param label - class ids, one byte per pixel (row-major).
 * @returns RGB bytes, 3 per pixel (row-major, interleaved).
 */
export function facadeLabelToRgb(label: Uint8Array): Uint8Array {
  const out = new Uint8Array(label.length * 3);
  for (let i = 0; i < label.length; i++) {
    const c = FACADE_PALETTE[label[i]!];
    if (c === undefined) throw new RangeError(`label id must be < ${FACADE_PALETTE.length} (got ${label[i]} at pixel ${i})`);
    out[3 * i] = c[0];
    out[3 * i + 1] = c[1];
    out[3 * i + 2] = c[2];
  }
  return out;
}

/**
 * Maps colours back to class ids by the nearest palette colour (squared RGB distance), so label maps
 * that went through resizing or lossy compression, or generated label maps, can be scored.
 * @param rgb - pixel bytes, `channels` per pixel (only the first three are read).
 * @param channels - bytes per pixel in `rgb` (default 3; 4 for RGBA / ImageData).
 * @returns class ids, one byte per pixel.
 */
export function facadeRgbToLabel(rgb: ArrayLike<number>, channels = 3): Uint8Array {
  const n = Math.floor(rgb.length / channels);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rgb[i * channels]!;
    const g = rgb[i * channels + 1]!;
    const b = rgb[i * channels + 2]!;
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < FACADE_PALETTE.length; k++) {
      const c = FACADE_PALETTE[k]!;
      const d = (r - c[0]) ** 2 + (g - c[1]) ** 2 + (b - c[2]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    out[i] = best;
  }
  return out;
}
