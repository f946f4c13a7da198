/**
 * Translation of one image of any size by a fully convolutional generator: at its native size (reflect-
 * padded up to the generator's divisor, cropped back), at a fixed size (`resize`), or in overlapping tiles
 * blended with feathered weights so that memory is bounded by the tile, not the image. The padding and
 * tiling are written once, as a plan that asks for generator calls; a synchronous driver answers them with
 * `generate` (tfjs), an asynchronous one with a {@link GeneratorEngine} (e.g. onnxruntime).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';
import { checkGeneratorInput, generatorDivisor } from './divisor.js';
import { checkEngineMode, type GeneratorEngine } from './engine.js';
import { generate, GENERATION_MODES, type GenerationMode } from './generate.js';

/** Default pixel budget of one generator call: larger (padded) images are tiled automatically. */
export const DEFAULT_MAX_PIXELS = 1024 * 1024;

/** Options of {@link translateImage}. */
export interface TranslateImageOptions {
  /**
   * Test-time mode ({@link GenerationMode}); in `'paper'` mode each tile is normalized with its own
   * statistics. Default `'inference'`.
   */
  mode?: GenerationMode;
  /** Dropout seed of `'paper'` mode (integer >= 0); the same seed gives the same result. Default 0. */
  seed?: number;
  /** `[width, height]`: resize the image to this size first and return that size. Default: keep the image's size. */
  resize?: readonly [number, number];
  /**
   * Side of square tiles (a multiple of the generator's divisor): the image is translated tile by tile and
   * the tiles blended. Default: no tiles, unless the padded image has more than `maxPixels` pixels; then
   * the largest multiple of the divisor whose square fits `maxPixels`.
   */
  tile?: number;
  /** Overlap of neighbouring tiles in pixels (>= 0, < tile), blended with linear ramps. Default `tile / 8`. */
  overlap?: number;
  /** Pixel budget of one generator call, for automatic tiling. Default {@link DEFAULT_MAX_PIXELS} (1024 x 1024). */
  maxPixels?: number;
  /**
   * The engine that runs the generator (made for this generator, e.g. `onnxruntimeEngine(G)` from
   * `@acme/pix2pix/node`); with one, `translateImage` returns a Promise. Default: none, the generator runs
   * synchronously through tfjs (`generate`).
   */
  engine?: GeneratorEngine;
}

const TRANSLATE_IMAGE_KEYS: ReadonlyArray<keyof TranslateImageOptions> = ['mode', 'seed', 'resize', 'tile', 'overlap', 'maxPixels', 'engine'];

/**
 * The plan's steps: it yields a padded batch for the generator and is resumed with the output (which it
 * disposes, like the batch); it returns the translated image.
 */
type Plan = Generator<tf.Tensor4D, tf.Tensor3D, tf.Tensor4D>;

/** Reflect-pads an HWC tensor by `[top, bottom, left, right]`, in steps when a pad exceeds the size; returns `x` itself when nothing is padded. */
function reflectPad(x: tf.Tensor3D, pads: [number, number, number, number]): tf.Tensor3D {
  let [top, bottom, left, right] = pads;
  let t = x;
  while (top + bottom + left + right > 0) {
    const [h, w] = t.shape;
    // tfjs' 'reflect' needs a pad < the size; a 1-pixel side repeats ('symmetric').
    const mode = h > 1 && w > 1 ? 'reflect' : 'symmetric';
    const limH = mode === 'reflect' ? h - 1 : h;
    const limW = mode === 'reflect' ? w - 1 : w;
    const p: [number, number, number, number] = [Math.min(top, limH), Math.min(bottom, limH), Math.min(left, limW), Math.min(right, limW)];
    const next = tf.mirrorPad(t, [[p[0], p[1]], [p[2], p[3]], [0, 0]], mode);
    if (t !== x) t.dispose();
    t = next;
    [top, bottom, left, right] = [top - p[0], bottom - p[1], left - p[2], right - p[3]];
  }
  return t;
}

/** Tile start positions along an axis of `size` for tiles of `tile` and step `tile - overlap`; the last tile ends at `size`. */
function tileStarts(size: number, tile: number, overlap: number): number[] {
  if (size <= tile) return [0];
  const step = tile - overlap;
  const starts: number[] = [];
  for (let s = 0; s + tile < size; s += step) starts.push(s);
  starts.push(size - tile);
  return starts;
}

/** Blending weight along one axis of a tile: linear ramps over `overlap` on sides that have a neighbour. */
function ramp(length: number, overlap: number, before: boolean, after: boolean): Float32Array {
  const w = new Float32Array(length).fill(1);
  if (overlap <= 0) return w;
  for (let t = 0; t < length; t++) {
    if (before) w[t] = Math.min(w[t]!, (t + 0.5) / overlap);
    if (after) w[t] = Math.min(w[t]!, (length - t - 0.5) / overlap);
  }
  return w;
}

/** Throws unless every value of `y` is finite. */
function checkFinite(y: tf.Tensor, where: string): void {
  const ok = tf.tidy(() => tf.all(tf.isFinite(y)).dataSync()[0]);
  if (!ok) throw new RangeError(`the generator produced non-finite values (NaN or Infinity) ${where}: the model's weights or statistics are broken`);
}

/**
 * Translates one image of any size with a fully convolutional generator and returns an image of the same
 * size (or of `resize`): the image is reflect-padded up to multiples of the generator's divisor
 * ({@link generatorDivisor}), translated, and cropped back. Images larger than `maxPixels` (or any image
 * when `tile` is given) are translated in overlapping square tiles whose results are blended with
 * feathered (linearly ramped) weights, so the generator's memory is bounded by one tile. A tile sees only
 * its own pixels: where the output depends on local context the tiled result matches the whole-image
 * result closely, but a U-Net's deepest levels see a whole tile, so use tiles as large as memory allows
 * (README "Any image size" gives measured PSNRs). In `'paper'` mode each tile is normalized with its own
 * statistics. A generator with a fixed input size (saved by an earlier version) runs at that size and its
 * result is resized to the image's. With `options.engine` the generator calls go to that engine and the
 * result comes as a Promise.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { translateImage, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 256, seed: 1 });
 * const photo = tf.zeros([600, 800, 3]) as tf.Tensor3D;        // [h, w, c] in [-1, 1], any size
 * const out = translateImage(G, photo, { mode: 'inference' }); // reflect-padded to a multiple of 256 (its divisor), cropped back
 * const tiled = translateImage(G, photo, { tile: 256, overlap: 32 }); // in 256x256 tiles, blended
 * ```
 * @param generator - a generator (U-Net, encoder-decoder or any fully convolutional image-to-image model).
 * @param image - `[height, width, inputChannels]` in [-1, 1]; not disposed.
 * @param options - see {@link TranslateImageOptions}.
 * @returns `[height, width, outputChannels]` (or the `resize` size) in [-1, 1]; the caller disposes it.
 * @throws RangeError for bad options, a channel mismatch, a mode the engine cannot run, or non-finite
 *   generator output.
 */
export function translateImage(generator: tfl.LayersModel, image: tf.Tensor3D, options?: TranslateImageOptions & { engine?: undefined }): tf.Tensor3D;
export function translateImage(generator: tfl.LayersModel, image: tf.Tensor3D, options: TranslateImageOptions & { engine: GeneratorEngine }): Promise<tf.Tensor3D>;
export function translateImage(generator: tfl.LayersModel, image: tf.Tensor3D, options: TranslateImageOptions = {}): tf.Tensor3D | Promise<tf.Tensor3D> {
  if (options?.engine === undefined) {
    const { mode, seed } = runOptions(options);
    return runSync(plan(generator, image, options), (x) => generate(generator, x, { mode, seed }));
  }
  return translateWithEngine(generator, image, options);
}

/** Checks the options every path reads; returns the mode and seed. */
function runOptions(options: TranslateImageOptions): { mode: GenerationMode; seed: number } {
  checkKeys(options, TRANSLATE_IMAGE_KEYS, 'translateImage');
  const mode = options.mode ?? 'inference';
  checkOneOf(mode, 'mode', GENERATION_MODES);
  const seed = options.seed ?? 0;
  checkInt(seed, 'seed', 0);
  return { mode, seed };
}

/** {@link translateImage} through `options.engine`: every refusal rejects the Promise. */
async function translateWithEngine(generator: tfl.LayersModel, image: tf.Tensor3D, options: TranslateImageOptions): Promise<tf.Tensor3D> {
  const { mode, seed } = runOptions(options);
  const engine = options.engine!;
  check(typeof engine === 'object' && typeof engine.run === 'function', 'engine', 'a GeneratorEngine', engine);
  checkEngineMode(engine, mode);
  return runAsync(plan(generator, image, options), (x) => engine.run(x, { mode, seed }));
}

/** Drives a plan with a synchronous generator call. */
function runSync(p: Plan, call: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor3D {
  let step = p.next();
  while (!step.done) {
    const x = step.value;
    let y: tf.Tensor4D;
    try {
      y = call(x);
    } catch (e) {
      p.return(undefined as never);
      throw e;
    }
    step = p.next(y);
  }
  return step.value;
}

/** Drives a plan with an asynchronous generator call (an engine). */
async function runAsync(p: Plan, call: (x: tf.Tensor4D) => Promise<tf.Tensor4D>): Promise<tf.Tensor3D> {
  let step = p.next();
  while (!step.done) {
    const x = step.value;
    let y: tf.Tensor4D;
    try {
      y = await call(x);
    } catch (e) {
      p.return(undefined as never);
      throw e;
    }
    step = p.next(y);
  }
  return step.value;
}

/**
 * Asks for one generator call on `x` (which it then disposes) and returns the checked output, which the
 * caller disposes.
 */
function* call(x: tf.Tensor4D, where: string): Generator<tf.Tensor4D, tf.Tensor4D, tf.Tensor4D> {
  let y: tf.Tensor4D | undefined;
  try {
    y = yield x;
    checkFinite(y, where);
    return y;
  } catch (e) {
    y?.dispose();
    throw e;
  } finally {
    x.dispose();
  }
}

/** The translation of one image as a {@link Plan} (see {@link translateImage}). */
function* plan(generator: tfl.LayersModel, image: tf.Tensor3D, options: TranslateImageOptions): Plan {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  checkInt(maxPixels, 'maxPixels', 1);
  check(image instanceof tf.Tensor && image.rank === 3, 'image', 'a [height, width, channels] tensor', image?.shape);
  const divisor = generatorDivisor(generator);
  const channels = generator.inputs[0]?.shape[3];
  if (channels != null) check(image.shape[2] === channels, 'image channels', `the generator's input channels = ${channels}`, image.shape[2]);
  if (options.resize !== undefined) {
    const r = options.resize;
    check(Array.isArray(r) && r.length === 2 && r.every((v) => Number.isInteger(v) && v >= 1), 'resize', '[width, height], two integers >= 1', r);
  }
  const [h, w] = options.resize ? [options.resize[1], options.resize[0]] : [image.shape[0], image.shape[1]];
  const [fh, fw] = [generator.inputs[0]?.shape[1], generator.inputs[0]?.shape[2]];
  if (fh != null && fw != null && (fh !== h || fw !== w)) {
    // A model saved with a fixed input size (checkpoints of earlier versions): translate at its size, then
    // resize the result to the size asked for.
    const { resize: _r, tile: _t, ...rest } = options;
    const sized = tf.tidy(() => tf.image.resizeBilinear(image, [fh, fw], false, true));
    let y: tf.Tensor3D;
    try {
      y = yield* plan(generator, sized, rest);
    } finally {
      sized.dispose();
    }
    try {
      return tf.tidy(() => tf.image.resizeBilinear(y, [h, w], false, true));
    } finally {
      y.dispose();
    }
  }
  const ph = Math.ceil(h / divisor) * divisor;
  const pw = Math.ceil(w / divisor) * divisor;
  let tile = options.tile;
  if (tile !== undefined) {
    checkInt(tile, 'tile', 1);
    check(tile % divisor === 0, 'tile', `a multiple of the generator's divisor ${divisor}`, tile);
  } else if (ph * pw > maxPixels) {
    tile = Math.max(divisor, Math.floor(Math.sqrt(maxPixels) / divisor) * divisor);
  }
  const overlap = options.overlap ?? (tile === undefined ? 0 : Math.round(tile / 8));
  checkInt(overlap, 'overlap', 0);
  if (tile !== undefined) check(overlap < tile, 'overlap', `< tile = ${tile}`, overlap);

  // Resize (optional) and pad, centred, to multiples of the divisor.
  const top = Math.floor((ph - h) / 2);
  const left = Math.floor((pw - w) / 2);
  const padded = tf.tidy(() => {
    const sized = options.resize ? tf.image.resizeBilinear(image, [h, w], false, true) : image;
    return reflectPad(sized, [top, ph - h - top, left, pw - w - left]);
  });
  try {
    if (tile === undefined || (ph <= tile && pw <= tile)) {
      checkGeneratorInput(generator, [ph, pw]);
      const y = yield* call(tf.expandDims(padded, 0) as tf.Tensor4D, `on the ${w}x${h} image`);
      try {
        return tf.tidy(() => tf.slice(tf.squeeze(y, [0]) as tf.Tensor3D, [top, left, 0], [h, w, -1]));
      } finally {
        y.dispose();
      }
    }
    return yield* tiles(generator, padded, { tile, overlap, crop: [top, left, h, w] });
  } finally {
    if (padded !== image) padded.dispose();
  }
}

/** Tiled translation of an already padded image; returns the `crop` `[top, left, h, w]` of the blend. */
function* tiles(generator: tfl.LayersModel, padded: tf.Tensor3D, o: { tile: number; overlap: number; crop: [number, number, number, number] }): Plan {
  const [ph, pw] = padded.shape;
  const th = Math.min(o.tile, ph);
  const tw = Math.min(o.tile, pw);
  checkGeneratorInput(generator, [th, tw]);
  const ys = tileStarts(ph, th, o.overlap);
  const xs = tileStarts(pw, tw, o.overlap);
  const [top, left, h, w] = o.crop;
  let acc: Float32Array | null = null;
  let c = 0;
  const weight = new Float32Array(h * w);
  for (const [iy, y0] of ys.entries()) {
    const wy = ramp(th, o.overlap, iy > 0, iy < ys.length - 1);
    for (const [ix, x0] of xs.entries()) {
      const wx = ramp(tw, o.overlap, ix > 0, ix < xs.length - 1);
      const x = tf.tidy(() => tf.expandDims(tf.slice(padded, [y0, x0, 0], [th, tw, -1]), 0) as tf.Tensor4D);
      const out = yield* call(x, `in the ${tw}x${th} tile at x ${x0}, y ${y0} of the padded image`);
      const v = out.dataSync() as Float32Array;
      c = out.shape[3];
      out.dispose();
      acc ??= new Float32Array(h * w * c);
      // Accumulate the part of the tile inside the crop.
      for (let ty = 0; ty < th; ty++) {
        const iyImg = y0 + ty - top;
        if (iyImg < 0 || iyImg >= h) continue;
        for (let tx = 0; tx < tw; tx++) {
          const ixImg = x0 + tx - left;
          if (ixImg < 0 || ixImg >= w) continue;
          const wt = wy[ty]! * wx[tx]!;
          const p = iyImg * w + ixImg;
          weight[p] += wt;
          const src = (ty * tw + tx) * c;
          for (let k = 0; k < c; k++) acc[p * c + k] += wt * v[src + k]!;
        }
      }
    }
  }
  const result = acc!;
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) result[p * c + k] /= weight[p]!;
  return tf.tensor3d(result, [h, w, c]);
}
