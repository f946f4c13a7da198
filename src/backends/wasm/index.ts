/**
 * `@acme/pix2pix/wasm`: makes the tfjs wasm backend trainable (`enableWasmTraining()`).
 *
 * @packageDocumentation
 */

export {};
