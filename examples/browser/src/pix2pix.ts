// The package, as this example uses it. In your own app these are plain imports of the published
// package: `import { ... } from '@acme/pix2pix'` and `import { enableWasmTraining } from '@acme/pix2pix/wasm'`.
// Here they come straight from the repository's sources, so the example (and its test) always runs the
// code next to it and typechecks on a clean clone before anything is built.
export { CHECKPOINT_FORMAT, compositeLoss, facadeBatches, FACADE_CLASSES, FACADE_PALETTE, facadeSample, generatorDivisor, patchDiscriminator, Trainer, unetGenerator } from '../../../src/index.js';
export { enableWasmTraining } from '../../../src/backends/wasm/index.js';
