/**
 * `@acme/pix2pix`: the platform-neutral core. Building blocks of pix2pix (Isola et al., CVPR 2017) on
 * TensorFlow.js: generators, PatchGAN discriminators, losses and a backend-agnostic Trainer.
 *
 * This entry imports no backend and touches no file system; pick a backend in your app
 * (`@tensorflow/tfjs-backend-webgl`, `-webgpu`, `-wasm`, `-cpu`, or tfjs-node) and it runs there.
 * Node helpers (files, image decoding, CLI) live in `@acme/pix2pix/node`; wasm training kernels in
 * `@acme/pix2pix/wasm`.
 *
 * @packageDocumentation
 */

// --- generator ---------------------------------------------------------------------------------
export { unetGenerator } from './generator/unet_generator.js';
export { encoderDecoderGenerator } from './generator/encoder_decoder_generator.js';
export { unetNumDowns, DROPOUT_PLACEMENTS } from './generator/builder.js';
export type { GeneratorOptions, DropoutPlacement } from './generator/builder.js';

// --- discriminator -----------------------------------------------------------------------------

// --- layers ------------------------------------------------------------------------------------
export { InstanceNormalization } from './layers/instance_norm.js';
export type { InstanceNormalizationArgs } from './layers/instance_norm.js';
export { NORM_KINDS, BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM } from './layers/norm.js';
export type { NormKind } from './layers/norm.js';

// --- losses ------------------------------------------------------------------------------------

// --- trainer -----------------------------------------------------------------------------------

// --- data --------------------------------------------------------------------------------------

// --- io (checkpoint formats) -------------------------------------------------------------------

// --- metrics -----------------------------------------------------------------------------------

export {};
