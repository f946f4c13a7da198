/**
 * CIE Lab colour conversion (illuminant D65, 2-degree observer), computed as scikit-image's
 * `color.rgb2lab` / `color.lab2rgb` compute it: sRGB companding, the sRGB <-> XYZ matrix, the CIE
 * f(t) with the 0.008856 / 7.787 constants. The colorization mode (L in, ab out) is built on it.
 */
import { check } from '../util/validate.js';

/** sRGB (linear) to XYZ, D65 (skimage's `xyz_from_rgb`). */
const XYZ_FROM_RGB = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
] as const;

/** The inverse of a 3x3 matrix (cofactors over the determinant). */
function invert3(m: readonly (readonly number[])[]): number[][] {
  const [a, b, c] = m[0]!;
  const [d, e, f] = m[1]!;
  const [g, h, i] = m[2]!;
  const A = e! * i! - f! * h!;
  const B = -(d! * i! - f! * g!);
  const C = d! * h! - e! * g!;
  const det = a! * A + b! * B + c! * C;
  return [
    [A / det, -(b! * i! - c! * h!) / det, (b! * f! - c! * e!) / det],
    [B / det, (a! * i! - c! * g!) / det, -(a! * f! - c! * d!) / det],
    [C / det, -(a! * h! - b! * g!) / det, (a! * e! - b! * d!) / det],
  ];
}

/** XYZ to linear sRGB (skimage's `rgb_from_xyz`, the inverse of {@link XYZ_FROM_RGB}). */
const RGB_FROM_XYZ = invert3(XYZ_FROM_RGB);

/** The D65 white point, 2-degree observer (skimage's `illuminants['D65']['2']`). */
export const D65_WHITE: readonly [number, number, number] = [0.95047, 1.0, 1.08883];

/** Range of the Lab channels this package scales by: L in [0, 100] (scaled as `L / 50 - 1`), a and b by 1/110 (the reference's colorization). */
export const LAB_SCALE = {
  /** Half the range of L (0-100): the generator sees `L / 50 - 1`. */
  lHalf: 50,
  /** The scale of a and b: the generator predicts `ab / 110`. */
  ab: 110,
} as const;

const checkLength = (v: ArrayLike<number>, what: string) => check(v.length % 3 === 0, `${what}.length`, 'a multiple of 3 (interleaved triples)', v.length);

/**
 * sRGB to CIE Lab (D65, 2-degree), as scikit-image's `rgb2lab`: `rgb` holds interleaved R, G, B triples
 * in [0, 1] (divide 8-bit values by 255); returns interleaved L (0..100), a, b (about -86..98, -108..94).
 * @throws RangeError when the length is not a multiple of 3.
 */
export function rgbToLab(rgb: ArrayLike<number>): Float64Array {
  checkLength(rgb, 'rgbToLab: rgb');
  const out = new Float64Array(rgb.length);
  const lin = (v: number) => (v > 0.04045 ? Math.pow((v + 0.055) / 1.055, 2.4) : v / 12.92);
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  for (let p = 0; p < rgb.length; p += 3) {
    const r = lin(rgb[p]!);
    const g = lin(rgb[p + 1]!);
    const b = lin(rgb[p + 2]!);
    const m = XYZ_FROM_RGB;
    const x = f((r * m[0][0] + g * m[0][1] + b * m[0][2]) / D65_WHITE[0]);
    const y = f((r * m[1][0] + g * m[1][1] + b * m[1][2]) / D65_WHITE[1]);
    const z = f((r * m[2][0] + g * m[2][1] + b * m[2][2]) / D65_WHITE[2]);
    out[p] = 116 * y - 16;
    out[p + 1] = 500 * (x - y);
    out[p + 2] = 200 * (y - z);
  }
  return out;
}

/**
 * The neutral gray (R = G = B, in [0, 1]) of lightness `L` (0..100): the sRGB value whose luminance Y
 * is the L's, so that {@link rgbToLab} of it gives `L` back with a = b = 0 (up to skimage's matrix, whose
 * rows sum to 1 for Y). {@link labToRgb} of `(L, 0, 0)` is not exactly neutral, as its white point is D65.
 */
export function lightnessToGray(L: number): number {
  const fy = (L + 16) / 116;
  const y = fy > 0.2068966 ? Math.pow(fy, 3) : (fy - 16 / 116) / 7.787;
  const s = y > 0.0031308 ? 1.055 * Math.pow(y, 1 / 2.4) - 0.055 : y * 12.92;
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

/**
 * CIE Lab (D65, 2-degree) to sRGB in [0, 1], as scikit-image's `lab2rgb`: interleaved L, a, b triples in,
 * interleaved R, G, B out. Colours outside the sRGB gamut are clipped to [0, 1], and a negative Z
 * (a `b` too large for its L) is clamped to 0 first, as skimage does (without its warning).
 * @throws RangeError when the length is not a multiple of 3.
 */
export function labToRgb(lab: ArrayLike<number>): Float64Array {
  checkLength(lab, 'labToRgb: lab');
  const out = new Float64Array(lab.length);
  const finv = (t: number) => (t > 0.2068966 ? Math.pow(t, 3) : (t - 16 / 116) / 7.787);
  const gamma = (v: number) => {
    const s = v > 0.0031308 ? 1.055 * Math.pow(v, 1 / 2.4) - 0.055 : v * 12.92;
    return s < 0 ? 0 : s > 1 ? 1 : s;
  };
  const m = RGB_FROM_XYZ;
  for (let p = 0; p < lab.length; p += 3) {
    const fy = (lab[p]! + 16) / 116;
    const fx = lab[p + 1]! / 500 + fy;
    const fz = Math.max(0, fy - lab[p + 2]! / 200);
    const x = finv(fx) * D65_WHITE[0];
    const y = finv(fy) * D65_WHITE[1];
    const z = finv(fz) * D65_WHITE[2];
    out[p] = gamma(x * m[0]![0]! + y * m[0]![1]! + z * m[0]![2]!);
    out[p + 1] = gamma(x * m[1]![0]! + y * m[1]![1]! + z * m[1]![2]!);
    out[p + 2] = gamma(x * m[2]![0]! + y * m[2]![1]! + z * m[2]![2]!);
  }
  return out;
}
