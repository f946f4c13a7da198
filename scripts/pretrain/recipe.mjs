// The recipe of the pretrained facade model shipped with the browser example (MODEL.md there): one place
// for its data, network and schedule, read by pretrain.mjs (which trains it) and evaluate.mjs (which scores it).
export const RECIPE = {
  /** Working folder (gitignored): data sets, the training run, exports, the demo run, the evaluation. */
  dir: 'runs/pretrain',
  /** Where the shipped export lives (model.json + weights.bin + MODEL.md), served by the example's Vite. */
  shipDir: 'examples/browser/public/pretrained',
  /** Bundled procedural facades (label map -> photo): seed, training pairs 0..trainCount-1, held-out pairs from testOffset. */
  dataSeed: 0,
  trainCount: 400,
  testCount: 40,
  testOffset: 1_000_000,
  /** Image side: data sets are written at this size and the U-Net trains on it (unet_128). */
  size: 128,
  /** Generator and discriminator filters (--ngf, --ndf). */
  ngf: 16,
  /** Seed of weights, data order, jitter and dropout. */
  seed: 0,
  /**
   * Epochs at the base learning rate (400 steps each at batch 1), then epochs of linear decay (the
   * reference's per-epoch 'linear' policy: epoch 2 runs at half the rate), stopped after maxSteps: what a
   * busy shared 2-core machine trained in about an hour (see MODEL.md).
   */
  epochs: 1,
  epochsDecay: 1,
  maxSteps: 600,
};

/** The `pix2pix train` arguments of the recipe (everything else: the CLI's defaults, the reference's). */
export function trainArgs(out = `${RECIPE.dir}/train`) {
  const r = RECIPE;
  return [
    'train', '--dataroot', `${r.dir}/data/train`, '--crop-size', String(r.size), '--ngf', String(r.ngf), '--ndf', String(r.ngf),
    '--backend', 'wasm', '--seed', String(r.seed), '--n-epochs', String(r.epochs), '--n-epochs-decay', String(r.epochsDecay), '--max-steps', String(r.maxSteps),
    '--out', out, '--sample-every', '200', '--checkpoint-every', '100',
    '--val-data', `${r.dir}/data/test`, '--val-count', '8', '--val-every', '400',
  ];
}
