// Trainer checkpoints and model folders edited by hand or by accident (issue #17 "Hang", "Raw errors",
// "Silent NaN"; #15 item 3): each is refused with a CheckpointError naming the layer, tensor or field,
// before tfjs-layers sees it (a renamed layer or a dangling inbound_nodes entry made it spin forever).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { CheckpointError } from '../../src/trainer/checkpoint.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';

type Doc = {
  modelTopology: { generator: { config: { layers: Array<{ name: string; config: { name: string }; inbound_nodes: unknown[][][] }> } } };
  weightsManifest: Array<{ paths: unknown; weights: Array<Record<string, unknown>> }>;
};

let dir: string;
let modelDir: string;
let json: string;
let weights: Buffer;
let plainJson: string;
let plainWeights: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pix2pix-ckv-'));
  const G = unetGenerator({ imageSize: 8, filters: 2, seed: 1 });
  const D = patchDiscriminator({ receptiveField: 16, filters: 2, seed: 2 });
  const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({}), seed: 3 });
  const x = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  await trainer.trainStep({ input: x, target: x });
  await trainer.save(fileCheckpoint(join(dir, 'good')));
  modelDir = join(dir, 'model');
  await G.save(fileCheckpoint(modelDir));
  tf.dispose(x);
  trainer.dispose();
  json = await readFile(join(dir, 'good', 'model.json'), 'utf8');
  weights = await readFile(join(dir, 'good', 'weights.bin'));
  plainJson = await readFile(join(modelDir, 'model.json'), 'utf8');
  plainWeights = await readFile(join(modelDir, 'weights.bin'));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
/** Writes an edited copy of the checkpoint and returns Trainer.load's rejection. */
async function loadEdited(edit: (doc: Doc, w: Float32Array) => void): Promise<unknown> {
  const doc = JSON.parse(json) as Doc;
  const w = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  edit(doc, w);
  const d = join(dir, `edited-${n++}`);
  await fileCheckpoint(d).save!({ modelTopology: {}, weightSpecs: [] }); // creates the folder
  await writeFile(join(d, 'model.json'), JSON.stringify(doc));
  await writeFile(join(d, 'weights.bin'), new Uint8Array(w.buffer));
  return Trainer.load(fileCheckpoint(d)).then(
    (t) => {
      t.dispose();
      return null;
    },
    (e: unknown) => e,
  );
}

/** Offset (in floats) of the tensor `name` in weights.bin. */
function offsetOf(doc: Doc, name: string): { at: number; size: number } {
  let at = 0;
  for (const s of doc.weightsManifest[0]!.weights) {
    const size = (s.shape as number[]).reduce((a, b) => a * b, 1);
    if (s.name === name) return { at, size };
    at += size;
  }
  throw new Error(`no tensor ${name}`);
}

const expectCheckpointError = (e: unknown, message: RegExp) => {
  expect(e).toBeInstanceOf(CheckpointError);
  expect((e as Error).message).toMatch(message);
};

describe('Trainer.load refuses edited checkpoints by name, without hanging', () => {
  it('a renamed layer (generator layers[11].name = "x") is a CheckpointError naming it', async () => {
    const e = await loadEdited((doc) => {
      doc.modelTopology.generator.config.layers[11]!.name = 'x';
    });
    expectCheckpointError(e, /generator topology: layer 11 is named 'x' but its config names it "\w+" \(a renamed layer\)/);
  });

  it('a renamed layer whose config is renamed too leaves its consumers dangling: named', async () => {
    const e = await loadEdited((doc) => {
      const l = doc.modelTopology.generator.config.layers[11]!;
      l.name = 'x';
      l.config.name = 'x';
    });
    expectCheckpointError(e, /generator topology: .*names layer "\w+", which does not exist/);
  });

  it('an inbound_nodes entry pointing at a missing layer is named', async () => {
    const e = await loadEdited((doc) => {
      doc.modelTopology.generator.config.layers[5]!.inbound_nodes[0]![0]![0] = 'nowhere';
    });
    expectCheckpointError(e, /layer '\w+' inbound node 0 input 0 names layer "nowhere", which does not exist/);
  });

  it('an input layer with a size of 0 is named (tfjs would load it and fail at the first call)', async () => {
    const e = await loadEdited((doc) => {
      (doc.modelTopology.generator.config.layers[0]!.config as unknown as { batch_input_shape: unknown[] }).batch_input_shape[1] = 0;
    });
    expectCheckpointError(e, /generator topology: input layer 'input' has batch_input_shape \[null,0,null,3\]: every size must be null \(any\) or an integer >= 1/);
  });

  it('a layer consuming its own output is a cycle, named', async () => {
    const e = await loadEdited((doc) => {
      const l = doc.modelTopology.generator.config.layers[5]!;
      l.inbound_nodes[0]![0]![0] = l.name;
    });
    expectCheckpointError(e, /depends on its own output \(a cycle in inbound_nodes\)/);
  });

  it('weight specs without a shape, with a non-array shape, or with dtype int32 name the tensor', async () => {
    expectCheckpointError(await loadEdited((doc) => delete doc.weightsManifest[0]!.weights[3]!.shape), /tensor '[^']+' has shape undefined, not a list of non-negative integers/);
    expectCheckpointError(await loadEdited((doc) => (doc.weightsManifest[0]!.weights[3]!.shape = 'x' as unknown as number[])), /tensor '[^']+' has shape "x"/);
    expectCheckpointError(await loadEdited((doc) => (doc.weightsManifest[0]!.weights[3]!.dtype = 'int32')), /tensor '[^']+' has dtype "int32"; expected 'float32'/);
  });

  it('a weightsManifest that is a number or a string, or paths that are not a list, are named', async () => {
    expectCheckpointError(await loadEdited((doc) => ((doc as { weightsManifest: unknown }).weightsManifest = 7)), /weightsManifest is 7, not a list of weight groups/);
    expectCheckpointError(await loadEdited((doc) => ((doc as { weightsManifest: unknown }).weightsManifest = 'x')), /weightsManifest is "x", not a list/);
    expectCheckpointError(await loadEdited((doc) => (doc.weightsManifest[0]!.paths = 3)), /weightsManifest\[0\]\.paths is 3, not a list of file names/);
  });

  it('a weights path outside the folder is refused', async () => {
    expectCheckpointError(await loadEdited((doc) => (doc.weightsManifest[0]!.paths = ['../good/weights.bin'])), /names the weights file "..\/good\/weights.bin", outside the model folder/);
  });

  it('a NaN weight is refused, naming the tensor', async () => {
    const e = await loadEdited((doc, w) => {
      w[offsetOf(doc, 'generator/down1_conv/kernel').at + 2] = NaN;
    });
    expectCheckpointError(e, /tensor 'generator\/down1_conv\/kernel' \(shape \[4, 4, 3, 2\]\) holds NaN at element 2: weights must be finite/);
  });

  it('moving mean and variance swapped (a negative variance) is refused instead of loading into NaN outputs', async () => {
    const e = await loadEdited((doc, w) => {
      const variance = doc.weightsManifest[0]!.weights.find((s) => /moving_variance$/.test(s.name as string))!.name as string;
      const { at } = offsetOf(doc, variance);
      w[at] = -0.25; // what a swap with a moving mean produces
    });
    expectCheckpointError(e, /moving_variance' .* holds -0\.25 at element 0: this tensor cannot be negative/);
  });

  it('the unedited checkpoint still loads', async () => {
    expect(await loadEdited(() => {})).toBeNull();
  });
});

describe('plain model folders (tf.loadLayersModel + fileCheckpoint) get the same checks', () => {
  async function loadPlain(edit: (doc: Doc) => void, w: Uint8Array = plainWeights): Promise<unknown> {
    const doc = JSON.parse(plainJson) as Doc & { modelTopology: { config: Doc['modelTopology']['generator']['config'] } };
    edit(doc);
    const d = join(dir, `plain-${n++}`);
    await fileCheckpoint(d).save!({ modelTopology: {}, weightSpecs: [] });
    await writeFile(join(d, 'model.json'), JSON.stringify(doc));
    await writeFile(join(d, 'weights.bin'), w);
    return tfl.loadLayersModel(fileCheckpoint(d)).then((m) => (m.dispose(), null), (e: unknown) => e);
  }

  it('a renamed layer is refused instead of hanging', async () => {
    const e = await loadPlain((doc) => {
      (doc.modelTopology as unknown as Doc['modelTopology']['generator']).config.layers[4]!.name = 'x';
    });
    expectCheckpointError(e, /modelTopology: layer 4 is named 'x'/);
  });

  it('truncated weights name the first tensor past the end', async () => {
    expectCheckpointError(await loadPlain(() => {}, plainWeights.subarray(0, 100)), /weight data is 100 bytes but its manifest describes \d+ bytes .*first tensor past the end: '[^']+'/);
  });

  it('the unedited model loads', async () => {
    expect(await loadPlain(() => {})).toBeNull();
  });
});
