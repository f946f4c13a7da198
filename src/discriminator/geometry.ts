/**
 * Geometry of the discriminators: receptive field <-> number of stride-2 layers, and the logit grid an
 * input size produces. The single source of these facts for the rest of the package (losses, Trainer,
 * checkpoint import): nobody else should recompute them.
 */
import { check, checkInt, describe } from '../util/validate.js';
import { resolveReceptiveField, type PatchDiscriminatorOptions, type ReceptiveField } from './options.js';

/** Number of stride-2 4x4 convs n for each receptive field (0 marks the PixelGAN). */
const LAYER_COUNTS: { readonly [R in ReceptiveField]: number } = { 1: 0, 16: 1, 34: 2, 70: 3, 142: 4, 286: 5 };

/**
 * Number of stride-2 4x4 convolutions n of the PatchGAN with this receptive field (the reference's
 * `n_layers_D`): 16 -> 1, 34 -> 2, 70 -> 3, 142 -> 4, 286 -> 5; 0 for the PixelGAN (RF 1).
 * @throws RangeError for an unsupported receptive field.
 */
export function discriminatorLayerCount(receptiveField: ReceptiveField): number {
  return LAYER_COUNTS[resolveReceptiveField(receptiveField)];
}

/**
 * Receptive field in input pixels of one output logit of the discriminator these options build (default
 * 70), computed from its layers: 1 for the PixelGAN, else `9 * 2^n - 2` for n stride-2 4x4 convs followed by
 * two stride-1 4x4 convs.
 * @throws RangeError for an unsupported receptive field.
 */
export function receptiveFieldOf(options: Pick<PatchDiscriminatorOptions, 'receptiveField'> = {}): number {
  const n = discriminatorLayerCount(resolveReceptiveField(options.receptiveField));
  if (n === 0) return 1;
  // Backwards through the layers: logits (k4 s1) and conv n (k4 s1) add 3 each; each k4 s2 conv maps r -> 2r + 2.
  let r = 1 + 3 + 3;
  for (let k = 0; k < n; k++) r = 2 * r + 2;
  return r;
}

/**
 * Height and width `[h', w']` of the logit grid the discriminator outputs for an input of `size`: a square
 * side or `[h, w]`. Per side: the side itself for the PixelGAN, else `side / 2^n - 2` (30 for the 70x70
 * PatchGAN on 256, 14 for 142 and 6 for 286 on 256; `[30, 62]` for RF 70 on 256x512).
 * @throws RangeError naming the size unless each side is a multiple of `2^n` with `side / 2^n >= 3` (smaller
 *   inputs leave no logit; other sizes make tfjs' 'same' padding differ from the reference's), with the
 *   nearest valid sizes.
 */
export function discriminatorOutputShape(
  options: Pick<PatchDiscriminatorOptions, 'receptiveField'>,
  size: number | readonly [number, number],
): [number, number] {
  const rf = resolveReceptiveField(options?.receptiveField);
  const n = discriminatorLayerCount(rf);
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const what = typeof size === 'number' ? 'imageSize' : 'input size [h, w]';
  if (typeof size === 'number') checkInt(size, 'imageSize', 1);
  else check(Array.isArray(size) && size.length === 2 && [h, w].every((s) => Number.isInteger(s) && s >= 1), what, 'two integers >= 1', size);
  if (n === 0) return [h, w];
  const step = 2 ** n;
  const ok = (s: number) => s % step === 0 && s / step >= 3;
  if (!ok(h) || !ok(w)) {
    const near = (s: number) => Math.max(3 * step, Math.round(s / step) * step);
    const hint = typeof size === 'number' ? `${near(h)}` : `[${near(h)}, ${near(w)}]`;
    throw new RangeError(
      `${what} must be a multiple of 2^${n} = ${step} and >= ${3 * step} for receptiveField ${rf} (got ${describe(size)}); nearest valid: ${hint}`,
    );
  }
  return [h / step - 2, w / step - 2];
}
