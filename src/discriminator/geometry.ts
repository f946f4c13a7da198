/**
 * Geometry of the discriminators: receptive field <-> number of stride-2 layers, and the logit grid an
 * input size produces. The single source of these facts for the rest of the package (losses, Trainer,
 * checkpoint import): nobody else should recompute them.
 */
import { check, checkInt } from '../util/validate.js';
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
 * Height and width `[h, w]` of the logit grid the discriminator outputs for a square `imageSize` input:
 * `imageSize` for the PixelGAN, else `imageSize / 2^n - 2` (30 for the 70x70 PatchGAN on 256x256, 14 for
 * 142 and 6 for 286 on 256x256).
 * @throws RangeError unless `imageSize` is a multiple of `2^n` with `imageSize / 2^n >= 3` (smaller inputs
 *   leave no logit; other sizes make tfjs' 'same' padding differ from the reference's).
 */
export function discriminatorOutputShape(
  options: Pick<PatchDiscriminatorOptions, 'receptiveField'>,
  imageSize: number,
): [number, number] {
  const rf = resolveReceptiveField(options?.receptiveField);
  const n = discriminatorLayerCount(rf);
  checkInt(imageSize, 'imageSize', 1);
  if (n === 0) return [imageSize, imageSize];
  const step = 2 ** n;
  check(
    imageSize % step === 0 && imageSize / step >= 3,
    'imageSize',
    `a multiple of 2^${n} = ${step} and >= ${3 * step} for receptiveField ${rf}`,
    imageSize,
  );
  const side = imageSize / step - 2;
  return [side, side];
}
