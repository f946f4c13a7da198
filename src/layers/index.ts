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
export { ReflectionPadding2D, ReplicationPadding2D } from './padding.js';
export type { SpatialPaddingArgs } from './padding.js';
export { LeadingCrop2D } from './crop.js';
export type { LeadingCrop2DArgs } from './crop.js';
export { SpatialSizeCheck } from './size_check.js';
export type { SpatialSizeCheckArgs } from './size_check.js';
export { ReferenceInitializer } from './init.js';
export type { ReferenceInitializerArgs } from './init.js';
