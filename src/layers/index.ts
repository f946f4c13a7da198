/**
 * `@acme/pix2pix/layers`: registers this package's custom tfjs-layers classes with tfjs' serialization
 * (importing each module registers its class) and exports them, so an app can load an exported
 * generator with `tf.loadLayersModel` after `import '@acme/pix2pix/layers'`. Nothing else: no backend,
 * no file system, no trainer. A new custom layer is one more line here.
 *
 * @packageDocumentation
 */
export { InstanceNormalization } from './instance_norm.js';
export type { InstanceNormalizationArgs } from './instance_norm.js';
export { SeededDropout } from './seeded_dropout.js';
export type { SeededDropoutArgs } from './seeded_dropout.js';
