/**
 * `@acme/pix2pix/node`: Node-only helpers: file-system checkpoints, PNG/JPEG decoding and encoding,
 * paired data sets on disk, and the pieces of the `pix2pix` CLI.
 *
 * @packageDocumentation
 */

export {};
