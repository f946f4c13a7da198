/**
 * Do the generator, the discriminator, the objective and a batch fit together? Checked by the Trainer
 * at construction (channels of G and D) and before each step (the batch against both networks), so that
 * a mismatch reads as one sentence naming both sides instead of a tfjs kernel error ("Error in
 * concat4D", "expected axis 3 ... to have value 6"). Networks may be fully convolutional
 * (`[null, null, C]` inputs): sizes are only checked where the model fixes them, and against the
 * generator's divisor (`checkGeneratorInput` of generator/divisor).
 * @internal
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { checkGeneratorInput } from '../generator/divisor.js';
import type { Objective } from '../losses/types.js';

type Shape = readonly (number | null)[];

const shapeText = (s: Shape) => `[${s.map((d) => (d === null ? 'null' : d)).join(', ')}]`;
const channels = (s: Shape) => s[s.length - 1] ?? null;
const plural = (n: number | null) => (n === 1 ? '1 channel' : `${n} channels`);

/** Shapes of a model's inputs and of its (first) output. */
function io(model: tfl.LayersModel): { inputs: Shape[]; output: Shape } {
  return { inputs: model.inputs.map((t) => t.shape), output: model.outputs[0]!.shape };
}

/**
 * Checks at construction that G's channels and D's inputs agree: a conditional D (two inputs) takes
 * `[input, target]` with G's input and output channels, an unconditional D takes G's output channels.
 */
export function checkNetworksAgree(generator: tfl.LayersModel, discriminator: tfl.LayersModel | null, loss: Objective): void {
  const g = io(generator);
  if (generator.inputs.length !== 1 || generator.outputs.length !== 1) {
    throw new RangeError(`the generator must have one input and one output (got ${generator.inputs.length} inputs, ${generator.outputs.length} outputs)`);
  }
  const gIn = channels(g.inputs[0]!);
  const gOut = channels(g.output);
  if (discriminator === null || !loss.usesDiscriminator) return;
  const d = io(discriminator);
  const gText = `the generator takes ${plural(gIn)} (input ${shapeText(g.inputs[0]!)}) and outputs ${plural(gOut)} (output ${shapeText(g.output)})`;
  if (d.inputs.length === 2) {
    const [dIn, dTarget] = d.inputs.map(channels);
    if ((dIn !== null && gIn !== null && dIn !== gIn) || (dTarget !== null && gOut !== null && dTarget !== gOut)) {
      throw new RangeError(
        `the generator and the discriminator do not fit: the conditional discriminator takes [input, target] with ${dIn} + ${dTarget} channels (inputs ${d.inputs.map(shapeText).join(', ')}), but ${gText}; build the discriminator with inputChannels: ${gIn}, targetChannels: ${gOut}`,
      );
    }
  } else if (d.inputs.length === 1) {
    const dIn = channels(d.inputs[0]!);
    if (dIn !== null && gOut !== null && dIn !== gOut) {
      throw new RangeError(
        `the generator and the discriminator do not fit: the unconditional discriminator takes ${plural(dIn)} (input ${shapeText(d.inputs[0]!)}), but ${gText}; build it with targetChannels: ${gOut}`,
      );
    }
  } else {
    throw new RangeError(`the discriminator must take [input, target] or one image (got ${d.inputs.length} inputs)`);
  }
}

/** Checks that a batch fits both networks (channels, sizes where fixed, the generator's divisor). */
export function checkBatchFits(generator: tfl.LayersModel, discriminator: tfl.LayersModel | null, input: tf.Tensor4D, target: tf.Tensor4D): void {
  const g = io(generator);
  const [, h, w, cIn] = input.shape;
  const cOut = target.shape[3];
  const gIn = g.inputs[0]!;
  const fail = (what: string) => {
    throw new RangeError(`the batch does not fit the networks: ${what} (batch input ${shapeText(input.shape)}, target ${shapeText(target.shape)})`);
  };
  if (channels(gIn) !== null && cIn !== channels(gIn)) fail(`its input has ${plural(cIn)} but the generator takes ${plural(channels(gIn))} (generator input ${shapeText(gIn)})`);
  if (channels(g.output) !== null && cOut !== channels(g.output)) fail(`its target has ${plural(cOut)} but the generator outputs ${plural(channels(g.output))} (generator output ${shapeText(g.output)})`);
  const fixed = (name: string, shape: Shape) => {
    const [fh, fw] = [shape[1], shape[2]];
    if ((fh != null && fh !== h) || (fw != null && fw !== w)) fail(`its images are ${h}x${w} but the ${name} takes ${fh ?? 'any'}x${fw ?? 'any'} (${name} input ${shapeText(shape)})`);
  };
  fixed('generator', gIn);
  try {
    checkGeneratorInput(generator, [h, w]);
  } catch (e) {
    fail((e as Error).message);
  }
  if (discriminator) for (const s of io(discriminator).inputs) fixed('discriminator', s);
}
