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

// --- discriminator -----------------------------------------------------------------------------

// --- layers ------------------------------------------------------------------------------------

// --- losses ------------------------------------------------------------------------------------

// --- trainer -----------------------------------------------------------------------------------

// --- data --------------------------------------------------------------------------------------

// --- io (checkpoint formats) -------------------------------------------------------------------

// --- metrics -----------------------------------------------------------------------------------

export {};
