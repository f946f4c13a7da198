/**
 * Which input sizes a (fully convolutional) generator runs on, read from the model itself (the product of
 * the strides along its deepest path), so it holds for a model built here, saved and loaded, or imported
 * from PyTorch alike. The one place that knows a generator's divisor and checks a size against it.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { check, checkInt } from '../util/validate.js';

/** A layer's own stride in each spatial axis, for the layers that shrink their input (1 for every other layer). */
function ownStrides(layer: tfl.layers.Layer): [number, number] {
  if (!/^(Conv2D|DepthwiseConv2D|SeparableConv2D|MaxPooling2D|AveragePooling2D)$/.test(layer.getClassName())) return [1, 1];
  const strides = (layer as unknown as { strides?: number | number[] }).strides;
  if (strides == null) return [1, 1];
  return Array.isArray(strides) ? [strides[0] ?? 1, strides[1] ?? strides[0] ?? 1] : [strides, strides];
}

/**
 * The number H and W of a generator's input must be multiples of: the largest product of the strides of
 * its shrinking layers along any path from input to output (`2^numDowns` for a U-Net or encoder-decoder:
 * 256 for `unet_256`, 128 for `unet_128`; 4 for a ResNet generator). Read from the model's layers, so it
 * works on built, loaded and imported models; layers it cannot see into (nested models) count as stride 1.
 * Sizes from the divisor up are supported.
 * @param model - the generator.
 */
export function generatorDivisor(model: tfl.LayersModel): number {
  const product = new Map<tfl.layers.Layer, number>();
  let best = 1;
  for (const layer of model.layers) {
    let inbound = 1;
    for (const node of (layer as unknown as { inboundNodes?: Array<{ inboundLayers?: tfl.layers.Layer[] }> }).inboundNodes ?? []) {
      for (const from of node.inboundLayers ?? []) inbound = Math.max(inbound, product.get(from) ?? 1);
    }
    const own = inbound * Math.max(...ownStrides(layer));
    product.set(layer, own);
    best = Math.max(best, own);
  }
  return best;
}

/**
 * The supported sizes nearest to `size` for `divisor`: the multiples of `divisor` just below and just
 * above (only one when `size` is below the divisor or already a multiple).
 */
export function nearestValidSizes(size: number, divisor: number): number[] {
  const lo = Math.max(divisor, Math.floor(size / divisor) * divisor);
  const hi = Math.max(divisor, Math.ceil(size / divisor) * divisor);
  return lo === hi ? [lo] : [lo, hi];
}

/**
 * Checks that a generator runs on an `[h, w]` input (and, when given, `channels` channels) before any
 * kernel runs, instead of failing deep inside tfjs (a skip concat of mismatched sizes).
 * @param model - the generator.
 * @param size - `[height, width]` of the input.
 * @param channels - the input's channel count, checked against the model's input when given.
 * @throws RangeError naming the size received, the model's divisor and the nearest valid sizes, e.g.
 *   "input size 300x200 (height x width) does not fit generator 'unet_generator': height and width must be
 *   multiples of 32; nearest valid sizes: 288x192, 320x224".
 */
export function checkGeneratorInput(model: tfl.LayersModel, size: readonly [number, number], channels?: number): void {
  const [h, w] = size;
  checkInt(h, 'input height', 1);
  checkInt(w, 'input width', 1);
  const d = generatorDivisor(model);
  if (h % d !== 0 || w % d !== 0) {
    const hs = nearestValidSizes(h, d);
    const ws = nearestValidSizes(w, d);
    const options = hs.length === 1 && ws.length === 1 ? [`${hs[0]}x${ws[0]}`] : [`${hs[0]}x${ws[0]}`, `${hs[hs.length - 1]}x${ws[ws.length - 1]}`];
    throw new RangeError(
      `input size ${h}x${w} (height x width) does not fit generator '${model.name}': height and width must be multiples of ${d}; ` +
        `nearest valid sizes: ${options.join(', ')} (pad, crop or resize the image; translateImage pads automatically)`,
    );
  }
  const want = model.inputs[0]?.shape[3];
  if (channels !== undefined && want != null) {
    check(channels === want, `input channels of generator '${model.name}'`, `${want}`, channels);
  }
}
