/**
 * `enableWasmTraining()`: registers the kernels that make tfjs' wasm backend trainable.
 */

import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, adamUpdateWasmConfig } from './adam_update.js';
import { greaterWasmConfig, leakyReluWasmConfig, selectWasmConfig } from './activation.js';
import { concatWasmConfig, splitVWasmConfig } from './concat_split.js';
import { conv2DWasmConfig, fusedConv2DWasmConfig } from './conv2d.js';
import { conv2DBackpropFilterWasmConfig } from './conv2d_backprop_filter.js';
import { conv2DBackpropInputWasmConfig } from './conv2d_backprop_input.js';
import { identityWasmConfig } from './identity.js';
import { rememberBaseKernel } from './kernel_scope.js';
import { meanWasmConfig, sumWasmConfig } from './reduce.js';
import { tileWasmConfig } from './tile.js';
import { transposeWasmConfig } from './transpose.js';

/**
 * The names of the kernels `enableWasmTraining()` installs on the wasm backend:
 * - `Conv2DBackpropFilter` (missing from tfjs-backend-wasm 4.22, tfjs issue #8474): the weight
 *   gradient of every convolution and transposed convolution, as one GEMM of ours that packs the
 *   input straight from its pixels (or im2col first, then the GEMM).
 * - `Conv2DBackpropInput` (replaces the backend's scalar C++ loop): the input gradient of every
 *   convolution and the forward pass of every transposed convolution, as one GEMM plus col2im, or
 *   (a layer with very few output channels) `stride²` XNNPACK stride-1 convolutions.
 * - `Tile` (replaces the backend's per-element loop): tfjs' batch-norm gradient tiles per-channel
 *   vectors to full activation size several times per step; this one copies whole blocks.
 * - `Conv2D` and `FusedConv2D` (wrap XNNPACK's): where our GEMM beats XNNPACK (every layer with 8+
 *   output channels and a multiple of 4 input channels, with a new filter as in training or with the
 *   filter's panels kept from an earlier call as in inference), one GEMM that packs the input straight
 *   from its pixels, instead of XNNPACK's filter packing and convolution.
 * - `Identity` (replaces a copy): shares the input's data, as the cpu and webgl backends do; tfjs
 *   clones every tensor a gradient saves, so the copies doubled a training step's saved activations.
 * - `Concat` and `SplitV` (replace a per-run `set` and a strided slice): the U-Net's channel
 *   concatenations and their gradients copy short runs in a loop.
 * - `Transpose` (replaces an element-by-element loop): axis rotations as SIMD 2D transposes.
 * - `Sum` and `Mean` over leading axes (the batch-norm gradient's per-channel sums) or all axes (the
 *   Trainer's finiteness markers), as SIMD passes with float64 sums instead of the backend's
 *   transpose first or its scalar float32 loop.
 * - `LeakyRelu`, and `Greater` against a scalar and `Select` (its gradient): branch-free SIMD loops.
 * - `Pix2pixAdamUpdate` (new): one variable's whole Adam update in one pass over the heap, bit for
 *   bit the op sequence's result; the Trainer's Adam update uses it when the backend has it.
 *
 * Every other kernel a pix2pix training step dispatches (U-Net and PatchGAN of any receptive field,
 * batch and instance norm in training mode, (Leaky)ReLU/tanh/sigmoid and their gradients, dropout,
 * concat, pad, the vanilla/lsgan/wgangp losses and the gradient penalty's second-order gradients,
 * Adam) is already registered by tfjs-backend-wasm: `test/backends` runs Trainer steps (vanilla,
 * lsgan) and a second-order gradient penalty on wasm against the cpu backend.
 */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  tf.Conv2DBackpropFilter,
  tf.Conv2DBackpropInput,
  tf.Conv2D,
  tf.FusedConv2D,
  tf.Tile,
  tf.Identity,
  tf.Concat,
  tf.SplitV,
  tf.Transpose,
  tf.Sum,
  tf.Mean,
  tf.LeakyRelu,
  tf.Greater,
  tf.Select,
  ADAM_UPDATE_KERNEL,
];

/**
 * The config of each kernel in {@link WASM_TRAINING_KERNELS}. The ones that replace a backend kernel
 * and fall back to it call it through `runBaseKernel`.
 */
const CONFIGS: Record<string, tf.KernelConfig> = {
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilterWasmConfig,
  [tf.Conv2DBackpropInput]: conv2DBackpropInputWasmConfig,
  [tf.Conv2D]: conv2DWasmConfig,
  [tf.FusedConv2D]: fusedConv2DWasmConfig,
  [tf.Tile]: tileWasmConfig,
  [tf.Identity]: identityWasmConfig,
  [tf.Concat]: concatWasmConfig,
  [tf.SplitV]: splitVWasmConfig,
  [tf.Transpose]: transposeWasmConfig,
  [tf.Sum]: sumWasmConfig,
  [tf.Mean]: meanWasmConfig,
  [tf.LeakyRelu]: leakyReluWasmConfig,
  [tf.Greater]: greaterWasmConfig,
  [tf.Select]: selectWasmConfig,
  [ADAM_UPDATE_KERNEL]: adamUpdateWasmConfig,
};

/** Marks the kernel functions registered here, so that a second call recognises them. */
const MARK = 'pix2pixWasmTraining';

function isOurs(config: tf.KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as unknown as Record<string, unknown>)[MARK] === true;
}

function configFor(name: string, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  const config = CONFIGS[name];
  if (config === undefined) throw new Error(`enableWasmTraining: no config for kernel '${name}'`);
  const marked = ((args: Parameters<tf.KernelFunc>[0]) => config.kernelFunc(args)) as tf.KernelFunc;
  (marked as unknown as Record<string, unknown>)[MARK] = true;
  // The replaced kernel's setup still runs when a backend starts: other backend kernels call its
  // module-internal function directly (e.g. the reductions call Transpose's).
  const setupFunc = previous?.setupFunc;
  return { ...config, kernelFunc: marked, ...(setupFunc ? { setupFunc } : {}) };
}

/** What {@link enableWasmTraining} did. */
export interface WasmTrainingStatus {
  /** Kernel names newly registered by this call (empty when they were already in place). */
  readonly registered: string[];
  /** Kernel names whose previous wasm implementation this call replaced. */
  readonly replaced: string[];
}

/**
 * Makes the tfjs wasm backend able to train pix2pix (and other conv nets), fast.
 *
 * Registers, for the `'wasm'` backend only, the kernels listed in {@link WASM_TRAINING_KERNELS}. It is
 * explicit (importing `@acme/pix2pix/wasm` registers nothing) and idempotent (a second call finds
 * its kernels in place and changes nothing). Call it after importing `@tensorflow/tfjs-backend-wasm`
 * (which registers the wasm kernels this builds on); before or after `tf.setBackend('wasm')` both work.
 * {@link initWasmBackend} does both steps, with threads in Node.
 *
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { enableWasmTraining } from '@acme/pix2pix/wasm';
 * enableWasmTraining();
 * await tf.setBackend('wasm');
 * ```
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { enableWasmTraining } from '@acme/pix2pix/wasm';
 *
 * const status = enableWasmTraining(); // registers the training kernels tfjs-backend-wasm lacks
 * await tf.setBackend('wasm');
 * console.log(status.registered.length, 'kernels registered');
 * ```
 * @returns which kernels were registered or replaced by this call.
 * @throws Error when tfjs-backend-wasm's kernels are not registered (the package was not imported).
 */
export function enableWasmTraining(): WasmTrainingStatus {
  if (tf.getKernel(tf.Conv2D, 'wasm') === undefined) {
    throw new Error(
      "enableWasmTraining: the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first (or use initWasmBackend())",
    );
  }
  const registered: string[] = [];
  const replaced: string[] = [];
  for (const name of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(name, 'wasm');
    if (isOurs(current)) continue;
    if (current !== undefined) {
      rememberBaseKernel(current);
      tf.unregisterKernel(name, 'wasm');
      replaced.push(name);
    }
    tf.registerKernel(configFor(name, current));
    registered.push(name);
  }
  return { registered, replaced };
}
