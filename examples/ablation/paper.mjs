// The paper's FCN-scores that our three studies mirror, for orientation only.
//
// Source: Isola, Zhu, Zhou, Efros, "Image-to-Image Translation with Conditional Adversarial Networks",
// CVPR 2017 (arXiv:1611.07004v3), Tables 1, 2 and 3. All three are FCN-scores (per-pixel accuracy,
// per-class accuracy, class IoU of an FCN-8s trained on real Cityscapes photos, applied to generated
// photos) on Cityscapes labels -> photo at 256x256. They are NOT facade numbers: the paper reports no
// FCN-score for facades, so only the ordering of the variants can be compared with ours, never the values.

/** @typedef {{ pixelAccuracy: number, classAccuracy: number, classIoU: number }} PaperScore */

export const PAPER_SOURCE = 'Isola et al. 2017, arXiv:1611.07004v3';

/** Table 1: "FCN-scores for different losses, evaluated on Cityscapes labels<->photos" (U-Net, 70x70 PatchGAN). */
export const PAPER_TABLE_1 = {
  table: 'Table 1',
  rows: {
    L1: { pixelAccuracy: 0.42, classAccuracy: 0.15, classIoU: 0.11 },
    GAN: { pixelAccuracy: 0.22, classAccuracy: 0.05, classIoU: 0.01 },
    cGAN: { pixelAccuracy: 0.57, classAccuracy: 0.22, classIoU: 0.16 },
    'L1+GAN': { pixelAccuracy: 0.64, classAccuracy: 0.2, classIoU: 0.15 },
    'L1+cGAN': { pixelAccuracy: 0.66, classAccuracy: 0.23, classIoU: 0.17 },
    'ground truth': { pixelAccuracy: 0.8, classAccuracy: 0.26, classIoU: 0.21 },
  },
};

/**
 * Table 2: "FCN-scores for different generator architectures (and objectives), evaluated on Cityscapes
 * labels<->photos" (the paper notes its U-Net (L1+cGAN) row used batch size 10, unlike Table 1).
 */
export const PAPER_TABLE_2 = {
  table: 'Table 2',
  rows: {
    'encoder-decoder (L1)': { pixelAccuracy: 0.35, classAccuracy: 0.12, classIoU: 0.08 },
    'encoder-decoder (L1+cGAN)': { pixelAccuracy: 0.29, classAccuracy: 0.09, classIoU: 0.05 },
    'U-Net (L1)': { pixelAccuracy: 0.48, classAccuracy: 0.18, classIoU: 0.13 },
    'U-Net (L1+cGAN)': { pixelAccuracy: 0.55, classAccuracy: 0.2, classIoU: 0.14 },
  },
};

/** Table 3: "FCN-scores for different receptive field sizes of the discriminator, evaluated on Cityscapes labels->photos" (L1+cGAN, 256x256 inputs). */
export const PAPER_TABLE_3 = {
  table: 'Table 3',
  rows: {
    'RF 1 (PixelGAN)': { pixelAccuracy: 0.39, classAccuracy: 0.15, classIoU: 0.1 },
    'RF 16': { pixelAccuracy: 0.65, classAccuracy: 0.21, classIoU: 0.17 },
    'RF 70': { pixelAccuracy: 0.66, classAccuracy: 0.23, classIoU: 0.17 },
    'RF 286 (ImageGAN)': { pixelAccuracy: 0.42, classAccuracy: 0.16, classIoU: 0.11 },
  },
};
