/**
 * Canny edge detection on a grayscale image, in plain TypeScript (no tensors), computed as
 * scikit-image's `feature.canny` computes it (0.19): Gaussian smoothing normalised at the borders,
 * Sobel gradients, non-maximum suppression with interpolation between the two neighbours along the
 * gradient, hysteresis by 8-connected components. Used by `make-dataset --task edges`.
 */
import { check, checkKeys, checkRange } from '../util/validate.js';

/** Options of {@link canny}. Thresholds are gradient magnitudes of the image scaled to [0, 1]. */
export interface CannyOptions {
  /** Standard deviation of the Gaussian smoothing, in pixels (skimage's `sigma`). Default 1. */
  sigma?: number;
  /**
   * Lower hysteresis threshold: weak edge pixels at or above it are kept when 8-connected to a strong
   * one (skimage's `low_threshold` for a float image, i.e. a fraction of the value range). Default 0.1.
   */
  lowThreshold?: number;
  /** Upper hysteresis threshold: edge pixels at or above it are strong. Default 0.2 (skimage's). */
  highThreshold?: number;
  /**
   * Read the two thresholds as quantiles of the gradient magnitude (in [0, 1]; skimage's
   * `use_quantiles`, numpy's linear percentile), which adapts them to each photo. Default false.
   */
  useQuantiles?: boolean;
}

/** The defaults of {@link CannyOptions} (scikit-image's). */
export const CANNY_DEFAULTS: Readonly<Required<CannyOptions>> = { sigma: 1, lowThreshold: 0.1, highThreshold: 0.2, useQuantiles: false };

const CANNY_KEYS = ['sigma', 'lowThreshold', 'highThreshold', 'useQuantiles'] as const;

/** numpy's pairwise sum of a short array (8 partial sums, then the rest in order), for bit parity. */
function numpySum(v: readonly number[]): number {
  if (v.length < 8) return v.reduce((s, x) => s + x, 0);
  const r = v.slice(0, 8);
  let i = 8;
  for (; i + 8 <= v.length; i += 8) for (let k = 0; k < 8; k++) r[k]! += v[i + k]!;
  let s = (r[0]! + r[1]! + (r[2]! + r[3]!)) + (r[4]! + r[5]! + (r[6]! + r[7]!));
  for (; i < v.length; i++) s += v[i]!;
  return s;
}

/** scipy's Gaussian kernel: radius `round(4 sigma)`, weights `exp(-x^2 / 2 sigma^2)` normalised. Index 0 is the centre. */
function gaussianHalfKernel(sigma: number): number[] {
  const radius = Math.floor(4 * sigma + 0.5);
  const full: number[] = [];
  for (let x = -radius; x <= radius; x++) full.push(Math.exp((-0.5 / (sigma * sigma)) * x * x));
  const sum = numpySum(full);
  return full.slice(radius).map((w) => w / sum);
}

/**
 * One pass of a symmetric 1-D correlation along rows (`axis` 1) or columns (`axis` 0), summed in
 * scipy's order (centre first, then pairs from the outermost in); `reflect` mirrors at the border
 * (d c b a | a b c d), otherwise values past the border are 0.
 */
function symmetric1d(src: Float64Array, h: number, w: number, half: readonly number[], axis: 0 | 1, reflect: boolean): Float64Array {
  const out = new Float64Array(h * w);
  const n = axis === 1 ? w : h;
  const stride = axis === 1 ? 1 : w;
  const lines = axis === 1 ? h : w;
  const r = half.length - 1;
  const at = (base: number, k: number): number => {
    if (k < 0 || k >= n) {
      if (!reflect) return 0;
      // Half-sample symmetric reflection, repeated for kernels longer than the line.
      const period = 2 * n;
      k = ((k % period) + period) % period;
      if (k >= n) k = period - 1 - k;
    }
    return src[base + k * stride]!;
  };
  for (let line = 0; line < lines; line++) {
    const base = axis === 1 ? line * w : line;
    for (let i = 0; i < n; i++) {
      let s = at(base, i) * half[0]!;
      for (let j = r; j >= 1; j--) s += (at(base, i - j) + at(base, i + j)) * half[j]!;
      out[base + i * stride] = s;
    }
  }
  return out;
}

/** scipy's `ndimage.sobel` along `axis` (derivative [-1, 0, 1] there, smoothing [1, 2, 1] across), mode 'reflect'. */
function sobel(src: Float64Array, h: number, w: number, axis: 0 | 1): Float64Array {
  const n = axis === 1 ? w : h;
  const stride = axis === 1 ? 1 : w;
  const lines = axis === 1 ? h : w;
  const d = new Float64Array(h * w);
  const reflect = (k: number) => (k < 0 ? -k - 1 : k >= n ? 2 * n - 1 - k : k);
  for (let line = 0; line < lines; line++) {
    const base = axis === 1 ? line * w : line;
    for (let i = 0; i < n; i++) d[base + i * stride] = src[base + reflect(i + 1) * stride]! - src[base + reflect(i - 1) * stride]!;
  }
  return symmetric1d(d, h, w, [2, 1], axis === 1 ? 0 : 1, true);
}

/** numpy's `percentile` (linear interpolation) of `v` at `q` in [0, 100]. */
function percentile(v: Float64Array, q: number): number {
  const s = Float64Array.from(v).sort();
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * The four gradient-direction sectors of non-maximum suppression, in skimage's order (a pixel in two
 * sectors takes the later one's verdict): which diagonal sign pairs it needs, whether |gy| >= |gx|
 * (mostly horizontal normal), the two neighbours `[dy, dx]` interpolated on the positive side (the
 * negative side mirrors them), and whether the weight is |gx| / |gy| (else |gy| / |gx|).
 */
const SECTORS = [
  { diagonal: true, horizontal: true, n1: [1, 0], n2: [1, 1], wxOverY: true },
  { diagonal: true, horizontal: false, n1: [0, 1], n2: [1, 1], wxOverY: false },
  { diagonal: false, horizontal: false, n1: [0, 1], n2: [-1, 1], wxOverY: false },
  { diagonal: false, horizontal: true, n1: [-1, 0], n2: [-1, 1], wxOverY: true },
] as const;

/**
 * Canny edges of a grayscale image with values in [0, 1] (`width * height` values, row-major), as
 * scikit-image's `feature.canny(image, sigma, low_threshold, high_threshold)` finds them on a float image:
 * returns 1 for edge pixels, 0 elsewhere. The one-pixel border is never an edge (skimage's eroded mask).
 *
 * @param gray - The image, values in [0, 1] (divide 8-bit values by 255).
 * @param width - Its width in pixels.
 * @param height - Its height in pixels.
 * @param options - See {@link CannyOptions}.
 * @throws RangeError quoting the value for a bad size, sigma or thresholds (`lowThreshold > highThreshold`).
 */
export function canny(gray: ArrayLike<number>, width: number, height: number, options: CannyOptions = {}): Uint8Array {
  checkKeys(options, CANNY_KEYS, 'canny');
  const o = { ...CANNY_DEFAULTS, ...options };
  check(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1, 'canny: width and height', 'positive integers', [width, height]);
  check(gray.length === width * height, 'canny: gray.length', `width * height = ${width * height}`, gray.length);
  check(Number.isFinite(o.sigma) && o.sigma > 0, 'canny: sigma', 'a number > 0', o.sigma);
  if (o.useQuantiles) {
    checkRange(o.lowThreshold, 'canny: lowThreshold (a quantile)', 0, 1);
    checkRange(o.highThreshold, 'canny: highThreshold (a quantile)', 0, 1);
  } else {
    check(Number.isFinite(o.lowThreshold) && o.lowThreshold >= 0, 'canny: lowThreshold', 'a number >= 0', o.lowThreshold);
    check(Number.isFinite(o.highThreshold), 'canny: highThreshold', 'a finite number', o.highThreshold);
  }
  check(o.lowThreshold <= o.highThreshold, 'canny: lowThreshold', `<= highThreshold = ${o.highThreshold}`, o.lowThreshold);
  const h = height;
  const w = width;
  const n = w * h;

  // 1. Gaussian smoothing ('constant' 0 outside), divided by the smoothed all-ones image so the border
  // is not darkened.
  const half = gaussianHalfKernel(o.sigma);
  const img = Float64Array.from(gray);
  const smooth = (a: Float64Array) => symmetric1d(symmetric1d(a, h, w, half, 0, false), h, w, half, 1, false);
  const blurred = smooth(img);
  const bleed = smooth(new Float64Array(n).fill(1));
  for (let i = 0; i < n; i++) blurred[i] = blurred[i]! / (bleed[i]! + Number.EPSILON);

  // 2. Sobel gradients: gy along rows (axis 0), gx along columns (axis 1), and their magnitude.
  const gy = sobel(blurred, h, w, 0);
  const gx = sobel(blurred, h, w, 1);
  const mag = new Float64Array(n);
  for (let i = 0; i < n; i++) mag[i] = Math.hypot(gy[i]!, gx[i]!);
  let low = o.lowThreshold;
  let high = o.highThreshold;
  if (o.useQuantiles) {
    low = percentile(mag, 100 * o.lowThreshold);
    high = percentile(mag, 100 * o.highThreshold);
  }

  // 3. Non-maximum suppression on the interior: keep a pixel whose magnitude is >= both interpolated
  // neighbours along the gradient.
  const maxima = new Uint8Array(n);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const m = mag[i]!;
      if (!(m > 0)) continue;
      const ay = Math.abs(gy[i]!);
      const ax = Math.abs(gx[i]!);
      const up = gy[i]! >= 0;
      const down = gy[i]! <= 0;
      const right = gx[i]! >= 0;
      const left = gx[i]! <= 0;
      const diag = (up && right) || (down && left);
      const anti = (down && right) || (up && left);
      for (const s of SECTORS) {
        if (!(s.diagonal ? diag : anti) || !(s.horizontal ? ay >= ax : ay <= ax)) continue;
        const wt = s.wxOverY ? ax / ay : ay / ax;
        const side = (sign: 1 | -1) => {
          const c1 = mag[(y + sign * s.n1[0]) * w + x + sign * s.n1[1]]!;
          const c2 = mag[(y + sign * s.n2[0]) * w + x + sign * s.n2[1]]!;
          return c2 * wt + c1 * (1 - wt) <= m;
        };
        maxima[i] = side(1) && side(-1) ? 1 : 0;
      }
    }
  }

  // 4. Hysteresis: the 8-connected components of the weak maxima that hold a strong one.
  const edges = new Uint8Array(n);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    if (maxima[i] && mag[i]! >= high && !edges[i]) {
      edges[i] = 1;
      stack.push(i);
      while (stack.length > 0) {
        const p = stack.pop()!;
        const py = Math.floor(p / w);
        const px = p - py * w;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const qy = py + dy;
            const qx = px + dx;
            if (qy < 0 || qy >= h || qx < 0 || qx >= w) continue;
            const q = qy * w + qx;
            if (!edges[q] && maxima[q] && mag[q]! >= low) {
              edges[q] = 1;
              stack.push(q);
            }
          }
        }
      }
    }
  }
  return edges;
}
