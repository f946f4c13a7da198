/**
 * `evaluate`: runs a generator over a paired data set (or inputs alone) through `translateImage` (each
 * image at its own size) and scores
 * every output against its target on the 8-bit images (as a results page writes them): L1 and L2 in
 * [-1, 1] units, MAE in 0-255, PSNR and SSIM as scikit-image computes them on uint8 images; plus mean and
 * standard deviation, and optionally the facades segmentation score.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Direction } from '../data/batches.js';
import { DIRECTIONS } from '../data/batches.js';
import { colorizeImage, DATASET_MODES, type DatasetMode } from '../data/colorization.js';
import { facadeRgbToLabel } from '../data/facades/palette.js';
import { convertChannels, imageToTensor, tensorToImage, to8Bit, type ImageChannels, type ImageLike, type RawImage } from '../data/image.js';
import type { GeneratorEngine } from '../generator/engine.js';
import { GENERATION_MODES, type GenerationMode } from '../generator/generate.js';
import { translateImage } from '../generator/translate_image.js';
import { deriveSeed } from '../util/random.js';
import { check, checkInt, checkKeys, checkOneOf } from '../util/validate.js';
import { addToConfusionMatrix, type ConfusionMatrix } from './confusion_matrix.js';
import { predictLabels } from './segmentation_network.js';
import { segmentationScores, type SegmentationScores } from './segmentation_scores.js';
import { ssim, ssimWindowSize, type SsimVariant } from './ssim.js';

/** The per-image metric names, in the order files list them. */
export const EVALUATION_METRICS = ['l1', 'l2', 'mae', 'psnr', 'ssim', 'ssimGaussian'] as const;
/** One of {@link EVALUATION_METRICS}. */
export type EvaluationMetric = (typeof EVALUATION_METRICS)[number];
/**
 * Metric values of one image (or their mean / standard deviation), all computed on the 8-bit images
 * (see {@link EVALUATION_METRIC_CONVENTIONS}): `l1` and `l2` in [-1, 1] units (`v / 127.5 - 1`, what
 * the L1 loss sees), `mae` in 0-255 levels, `psnr` in dB with data range 255 (`Infinity` for identical
 * images), `ssim` as scikit-image's default (7x7 uniform window) and `ssimGaussian` with the 11x11
 * Gaussian window (`NaN` for images smaller than the window).
 */
export type MetricSet = Record<EvaluationMetric, number>;

/** How each evaluation metric is computed, as `metrics.json` and the results page state it. */
export const EVALUATION_METRIC_CONVENTIONS: Readonly<Record<EvaluationMetric, string>> = {
  l1: 'mean |output - target| of the 8-bit images mapped to [-1, 1] (v / 127.5 - 1), the units of the L1 loss',
  l2: 'mean (output - target)^2 in the same [-1, 1] units',
  mae: 'mean absolute error in 8-bit levels (0-255)',
  psnr: 'dB, data range 255, on the 8-bit images (skimage.metrics.peak_signal_noise_ratio of the uint8 images)',
  ssim: 'uint8 images, data range 255, 7x7 uniform window, sample covariances (skimage.metrics.structural_similarity(a, b, channel_axis=-1): its defaults)',
  ssimGaussian: 'uint8 images, data range 255, 11x11 Gaussian window sigma 1.5, population covariances (structural_similarity(a, b, channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False))',
};

/** The SSIM variant behind each SSIM metric of {@link MetricSet}. */
const SSIM_METRICS = { ssim: 'uniform7', ssimGaussian: 'gaussian11' } as const satisfies Partial<Record<EvaluationMetric, SsimVariant>>;

/**
 * What {@link evaluate} reads: pairs (any `PairSource`), or inputs alone (`b` absent: outputs only, no
 * metrics). `a` and `b` are the data set's A and B; `direction` says which is the input.
 */
export interface EvaluationSource {
  /** Number of examples. */
  readonly length: number;
  /** A name for example `index` (e.g. a file name). */
  name(index: number): string;
  /** Loads example `index`. */
  load(index: number): Promise<{
    /** The A image. */
    a: ImageLike;
    /** The B image; absent for inputs-only data. */
    b?: ImageLike;
  }>;
}

/** One translated example, as handed to {@link EvaluateOptions.onImage}. */
export interface EvaluatedImage {
  /** Position in the source. */
  index: number;
  /** The source's name for it. */
  name: string;
  /** The input as fed to the generator (converted to its channels), 8-bit. */
  input: RawImage;
  /** The generator's output, 8-bit (what a results page writes). */
  output: RawImage;
  /** The target at the output's size, 8-bit; absent for inputs-only data. */
  target?: RawImage;
  /** The metrics of `output` against `target`; absent without a target. */
  metrics?: MetricSet;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Which side of each pair is the input: `'AtoB'` (A -> B) or `'BtoA'`. Default `'AtoB'`. */
  direction?: Direction;
  /**
   * Test-time mode (see `generate`). Default `'paper'`, the reference's `test.py` default (dropout on,
   * batch statistics); `'inference'` is its `--eval`.
   */
  mode?: GenerationMode;
  /** Base dropout seed of paper mode: image i uses `deriveSeed(seed, 'evaluate', i)`. Default 0. */
  seed?: number;
  /** Evaluate only the first `count` examples (the reference's `--num_test`). Default: all. */
  count?: number;
  /**
   * A facades segmentation network (`trainFacadeSegmenter`, `cachedFacadeSegmenter`): when given,
   * outputs are segmented and scored against the labels of the input label maps (the paper's FCN-score;
   * inputs must be facade label maps in the bundled palette). Default: none.
   */
  segmenter?: tfl.LayersModel;
  /** Called with every translated example, in order (e.g. to write it to disk). Default: none. */
  onImage?: (image: EvaluatedImage) => void | Promise<void>;
  /**
   * The engine that runs the generator (see `translateImage`'s `engine`; e.g. `onnxruntimeEngine(G)` from
   * `@acme/pix2pix/node`, inference mode only; not with `datasetMode: 'colorization'`). Not disposed here.
   * Default: none, tfjs (`generate`).
   */
  engine?: GeneratorEngine;
  /**
   * `'colorization'`: the generator maps L to ab (1 -> 2 channels, see `colorizeImage`); the input's L
   * with the predicted ab is the RGB output, scored against the target as RGB. Default `'aligned'`.
   */
  datasetMode?: DatasetMode;
}

/** What {@link evaluate} returns (plain numbers; no pixel data). */
export interface EvaluationResult {
  /** The mode the images were generated in. */
  mode: GenerationMode;
  /** Per example: its name and metrics (absent without a target). */
  images: Array<{
    /** The source's name for the example. */
    name: string;
    /** Its metrics; absent without a target. */
    metrics?: MetricSet;
  }>;
  /** Number of examples with a target (the ones scored). */
  scored: number;
  /** Mean over the scored examples; `null` when none had a target. */
  mean: MetricSet | null;
  /** Population standard deviation (divide by n) over the scored examples; `null` when none. */
  std: MetricSet | null;
  /** Facades segmentation score of the outputs (pooled over all pixels), when a segmenter was given. */
  segmentation?: SegmentationScores;
}

const EVALUATE_KEYS = ['direction', 'mode', 'seed', 'count', 'segmenter', 'onImage', 'engine', 'datasetMode'] as const;

/** An 8-bit image as a `[1, h, w, c]` tensor in [-1, 1]. */
const batchOf = (img: RawImage) => tf.tidy(() => tf.expandDims(imageToTensor(img), 0) as tf.Tensor4D);

/** An image converted to `channels` and resized (bilinear, half-pixel centres) to `h x w`, as 8-bit. */
function fitImage(img: ImageLike, channels: ImageChannels, h: number, w: number): RawImage {
  const raw = to8Bit(convertChannels(img, channels)); // 16-bit targets are scored (and written) as 8-bit
  if (raw.height === h && raw.width === w) return raw;
  const t = imageToTensor(raw);
  const r = tf.image.resizeBilinear(t, [h, w], false, true);
  try {
    return tensorToImage(r);
  } finally {
    tf.dispose([t, r]);
  }
}

/** The generator's output for an 8-bit input at its own size, as 8-bit. */
async function translated(generator: tfl.LayersModel, input: RawImage, mode: GenerationMode, seed: number, engine: GeneratorEngine | undefined): Promise<{ input: RawImage; output: RawImage }> {
  const x = imageToTensor(input);
  let y3: tf.Tensor3D;
  try {
    y3 = engine ? await translateImage(generator, x, { mode, seed, engine }) : translateImage(generator, x, { mode, seed });
  } finally {
    x.dispose();
  }
  const output = tensorToImage(y3);
  y3.dispose();
  return { input, output };
}

/**
 * Metrics of one 8-bit output against its 8-bit target; see {@link MetricSet} and
 * {@link EVALUATION_METRIC_CONVENTIONS}. L1, L2, MAE and PSNR are computed exactly (float64) from the
 * 8-bit values; SSIM with {@link ssim} on them (`range: '[0,255]'`).
 *
 * @param output - The output image (8-bit).
 * @param target - The target, same size and channels.
 */
export async function imagePairMetrics(output: RawImage, target: RawImage): Promise<MetricSet> {
  check(output.width === target.width && output.height === target.height && output.channels === target.channels, 'target', `of the output's size ${output.width}x${output.height}x${output.channels}`, `${target.width}x${target.height}x${target.channels}`);
  check((output.bitDepth ?? 8) === 8 && (target.bitDepth ?? 8) === 8, 'output and target', '8-bit images', [output.bitDepth, target.bitDepth]);
  let sumAbs = 0;
  let sumSq = 0;
  const n = output.data.length;
  for (let i = 0; i < n; i++) {
    const d = output.data[i]! - target.data[i]!;
    sumAbs += Math.abs(d);
    sumSq += d * d;
  }
  const mae = sumAbs / n;
  const mse = sumSq / n;
  const m: MetricSet = { l1: mae / 127.5, l2: mse / 127.5 ** 2, mae, psnr: 10 * Math.log10((255 * 255) / mse), ssim: NaN, ssimGaussian: NaN };
  const shape: [number, number, number, number] = [1, output.height, output.width, output.channels];
  for (const [key, variant] of Object.entries(SSIM_METRICS) as Array<[keyof typeof SSIM_METRICS, SsimVariant]>) {
    const size = ssimWindowSize(variant);
    if (output.width < size || output.height < size) continue;
    const a = tf.tensor4d(Float32Array.from(output.data), shape);
    const b = tf.tensor4d(Float32Array.from(target.data), shape);
    const v = ssim(a, b, { range: '[0,255]', variant });
    m[key] = (await v.data())[0]!;
    tf.dispose([a, b, v]);
  }
  return m;
}

/** Mean and population standard deviation of each metric over `sets` (non-empty). */
export function summarizeMetrics(sets: readonly MetricSet[]): {
  /** Mean of each metric. */
  mean: MetricSet;
  /** Population standard deviation of each metric. */
  std: MetricSet;
} {
  check(sets.length > 0, 'sets', 'non-empty', sets.length);
  const mean = {} as MetricSet;
  const std = {} as MetricSet;
  for (const k of EVALUATION_METRICS) {
    const v = sets.map((s) => s[k]);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    mean[k] = m;
    std[k] = Number.isFinite(m) ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length) : NaN;
  }
  return { mean, std };
}

/**
 * Evaluates a generator on a data set, one example at a time: translates the input (converted to the
 * generator's input channels) at its own size with `translateImage` in `options.mode` (padded to the
 * generator's divisor and cropped back), rounds the output to 8 bits, and scores it against the target
 * (converted to the output's channels, resized to its size only when the two differ, rounded to 8 bits)
 * with {@link imagePairMetrics}, so the numbers can be recomputed from the written PNGs (with
 * scikit-image: see {@link EVALUATION_METRIC_CONVENTIONS}).
 *
 * @example
 * ```ts
 * import { evaluate, facadePairs, unetGenerator } from '@acme/pix2pix';
 *
 * const G = unetGenerator({ imageSize: 64, seed: 1 });
 * const result = await evaluate(G, facadePairs({ count: 4, size: 64, seed: 9 }), { mode: 'inference' });
 * console.log(result.mean?.psnr, result.mean?.ssim); // means over the pairs, on the 8-bit images
 * ```
 * @param generator - The generator.
 * @param data - Pairs (`PairSource`, e.g. `folderPairs(dir)` from `@acme/pix2pix/node`, `facadePairs()`)
 *   or inputs alone (see {@link EvaluationSource}).
 * @param options - See {@link EvaluateOptions}.
 * @returns Per-image metrics, their mean and standard deviation, and the segmentation score if asked.
 */
export async function evaluate(generator: tfl.LayersModel, data: EvaluationSource, options: EvaluateOptions = {}): Promise<EvaluationResult> {
  checkKeys(options, EVALUATE_KEYS, 'evaluate');
  const direction = options.direction ?? 'AtoB';
  checkOneOf(direction, 'direction', DIRECTIONS);
  const mode = options.mode ?? 'paper';
  checkOneOf(mode, 'mode', GENERATION_MODES);
  const seed = options.seed ?? 0;
  checkInt(seed, 'seed', 0);
  if (options.count !== undefined) checkInt(options.count, 'count', 0);
  const count = Math.min(options.count ?? data.length, data.length);
  const datasetMode = options.datasetMode ?? 'aligned';
  checkOneOf(datasetMode, 'datasetMode', DATASET_MODES);
  const colorization = datasetMode === 'colorization';
  if (colorization && options.engine && options.engine.name !== 'tfjs') {
    throw new RangeError(`evaluate: datasetMode 'colorization' runs on tfjs only (got engine '${options.engine.name}')`);
  }
  const inC = (generator.inputs[0]!.shape[3] ?? 3) as ImageChannels;
  const outC = (colorization ? 3 : (generator.outputs[0]!.shape[3] ?? 3)) as ImageChannels;
  const seg = options.segmenter;
  const cm: ConfusionMatrix | null = seg ? { numClasses: seg.outputs[0]!.shape[3] as number, counts: new Float64Array((seg.outputs[0]!.shape[3] as number) ** 2) } : null;
  const images: EvaluationResult['images'] = [];
  const scored: MetricSet[] = [];
  for (let i = 0; i < count; i++) {
    const name = data.name(i);
    const pair = await data.load(i);
    const [src, tgt] = direction === 'AtoB' ? [pair.a, pair.b] : [pair.b, pair.a];
    check(src !== undefined, `example ${name}`, `to have its ${direction === 'AtoB' ? 'A' : 'B'} image (the input)`, src);
    const seedI = deriveSeed(seed, 'evaluate', i);
    const { input, output } = colorization ? colorizeImage(generator, src!, { mode, seed: seedI }) : await translated(generator, convertChannels(src!, inC), mode, seedI, options.engine);
    const target = tgt === undefined ? undefined : fitImage(tgt, outC, output.height, output.width);
    const metrics = target ? await imagePairMetrics(output, target) : undefined;
    if (metrics) scored.push(metrics);
    if (seg && cm) {
      const truth = facadeRgbToLabel(convertChannels(input, 3).data, 3);
      const photo = batchOf(convertChannels(output, 3));
      const pred = predictLabels(seg, photo);
      const p = await pred.data();
      tf.dispose([photo, pred]);
      addToConfusionMatrix(cm, truth, p);
    }
    images.push(metrics ? { name, metrics } : { name });
    await options.onImage?.({ index: i, name, input, output, ...(target ? { target } : {}), ...(metrics ? { metrics } : {}) });
  }
  const summary = scored.length > 0 ? summarizeMetrics(scored) : null;
  return {
    mode,
    images,
    scored: scored.length,
    mean: summary?.mean ?? null,
    std: summary?.std ?? null,
    ...(cm ? { segmentation: segmentationScores(cm) } : {}),
  };
}
