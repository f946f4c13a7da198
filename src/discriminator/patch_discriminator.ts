import * as tfl from '@tensorflow/tfjs-layers';
import { kernelInitializer } from '../layers/init.js';
import { convBias, createNorm } from '../layers/norm.js';
import { discriminatorLayerCount, discriminatorOutputShape } from './geometry.js';
import { resolveDiscriminatorOptions, type PatchDiscriminatorOptions, type ResolvedDiscriminatorOptions } from './options.js';

/**
 * The pix2pix PatchGAN discriminator (paper section 3.2.2, appendix 6.1.2): a fully convolutional net that
 * classifies every RF x RF patch of the (input, target) pair as real or fake, outputting raw logits.
 *
 * PatchGAN with n stride-2 convs (70x70: n = 3, C64-C128-C256-C512 then a 1-channel conv): conv k (k = 0..n)
 * has `filters * min(2^k, 8)` filters, 4x4; convs 0..n-1 stride 2 'same' (= padding 1 on even sizes), conv n
 * and the logits conv stride 1 with an explicit zero padding of 1 (tfjs 'same' would pad asymmetrically);
 * LeakyReLU 0.2; no norm after conv 0. PixelGAN (RF 1): 1x1 convs `filters` -> `2 * filters` -> 1.
 *
 * Inputs `[batch, h, w, inputChannels]` (`input`, when `conditional`) and `[batch, h, w, targetChannels]`
 * (`target`), images in [-1, 1]; output logits `[batch, h', w', 1]` with `[h', w']` =
 * {@link discriminatorOutputShape} (30x30 for RF 70 on 256x256; h x w for the PixelGAN). No sigmoid.
 * Trainable parameters with `filters: 64`, `norm: 'batch'`, 3 + 3 channels: 9,024 (RF 1), 139,585 (16),
 * 666,433 (34), 2,768,705 (70), 6,964,033 (142), 11,159,361 (286).
 *
 * Layer names (a contract: checkpoint import/export maps onto them):
 * - `input` and `target` (conditional), or `target` only; `concat`: channel concat `[input, target]`
 *   (conditional only).
 * - PatchGAN: `conv{k}` (k = 0..n; kernel HWIO; bias on `conv0` always, on the others only under instance
 *   norm), `norm{k}` (1 <= k <= n, absent for `norm: 'none'`), `lrelu{k}` (k = 0..n), `pad{n}` (zero
 *   padding before the stride-1 `conv{n}`), `logits_pad` (zero padding before the logits), `logits` (4x4
 *   stride 1, 1 channel, bias).
 * - PixelGAN: `conv0` (1x1, `filters`, bias), `lrelu0`, `conv1` (1x1, `2 * filters`, bias only under
 *   instance norm), `norm1`, `lrelu1`, `logits` (1x1, 1 channel, bias only under instance norm, as in the
 *   reference's `PixelDiscriminator`).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-cpu';
 * import * as tf from '@tensorflow/tfjs-core';
 * import { patchDiscriminator } from '@acme/pix2pix';
 *
 * const D = patchDiscriminator({ receptiveField: 70, filters: 64, seed: 2 }); // the 70x70 PatchGAN
 * const x = tf.zeros([1, 256, 256, 3]);
 * const logits = D.predict([x, x]) as tf.Tensor4D; // [1, 30, 30, 1] raw logits for (input, target)
 * ```
 * @param options see {@link PatchDiscriminatorOptions}; all optional.
 * @returns a `tf.LayersModel` taking `[input, target]` (or `target`) and returning logits.
 * @throws RangeError for invalid options, quoting the received value.
 */
export function patchDiscriminator(options: PatchDiscriminatorOptions = {}): tfl.LayersModel {
  const o = resolveDiscriminatorOptions(options);
  if (o.imageSize !== null) discriminatorOutputShape(o, o.imageSize);
  const size = o.imageSize;
  const target = tfl.input({ shape: [size, size, o.targetChannels], name: 'target' });
  let inputs: tfl.SymbolicTensor[];
  let x: tfl.SymbolicTensor;
  if (o.conditional) {
    const input = tfl.input({ shape: [size, size, o.inputChannels], name: 'input' });
    inputs = [input, target];
    x = tfl.layers.concatenate({ axis: -1, name: 'concat' }).apply([input, target]) as tfl.SymbolicTensor;
  } else {
    inputs = [target];
    x = target;
  }
  const n = discriminatorLayerCount(o.receptiveField);
  const logits = n === 0 ? pixelBody(o, x) : patchBody(o, n, x);
  return tfl.model({ inputs, outputs: logits, name: o.name });
}

function apply(layer: tfl.layers.Layer, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return layer.apply(x) as tfl.SymbolicTensor;
}

function conv(
  o: ResolvedDiscriminatorOptions,
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  useBias: boolean,
): tfl.layers.Layer {
  return tfl.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: strides === 2 ? 'same' : 'valid',
    useBias,
    kernelInitializer: kernelInitializer(o.seed, name, o.init),
    biasInitializer: 'zeros',
  });
}

function norm(o: ResolvedDiscriminatorOptions, name: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  const layer = createNorm(o.norm, name, o.seed, o.init.gain);
  return layer ? apply(layer, x) : x;
}

function lrelu(name: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return apply(tfl.layers.leakyReLU({ alpha: 0.2, name }), x);
}

function pad(name: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  return apply(tfl.layers.zeroPadding2d({ padding: 1, name }), x);
}

/** The reference's `NLayerDiscriminator` with n stride-2 layers. */
function patchBody(o: ResolvedDiscriminatorOptions, n: number, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  const bias = convBias(o.norm);
  let h = x;
  for (let k = 0; k <= n; k++) {
    const stride = k < n ? 2 : 1;
    if (stride === 1) h = pad(`pad${k}`, h);
    h = apply(conv(o, `conv${k}`, o.filters * Math.min(2 ** k, 8), 4, stride, k === 0 ? true : bias), h);
    if (k > 0) h = norm(o, `norm${k}`, h);
    h = lrelu(`lrelu${k}`, h);
  }
  h = pad('logits_pad', h);
  return apply(conv(o, 'logits', 1, 4, 1, true), h);
}

/** The reference's `PixelDiscriminator` (RF 1). */
function pixelBody(o: ResolvedDiscriminatorOptions, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  const bias = convBias(o.norm);
  let h = apply(conv(o, 'conv0', o.filters, 1, 1, true), x);
  h = lrelu('lrelu0', h);
  h = apply(conv(o, 'conv1', o.filters * 2, 1, 1, bias), h);
  h = norm(o, 'norm1', h);
  h = lrelu('lrelu1', h);
  return apply(conv(o, 'logits', 1, 1, 1, bias), h);
}
