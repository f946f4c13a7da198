// tfjs generator export: dropout-free inference graph, float32 / float16 / uint8 weights through tfjs'
// manifest quantization, loaded back in this process and in a plain-tfjs Node process (tfjs-core,
// -backend-cpu, -layers only; plus the package's small layers entry for instance norm).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { encodeFloat16, toFloat16Bits } from '../../src/io/export/float16.js';
import { exportTfjsGenerator, type TfjsExport, type WeightQuantization } from '../../src/io/export/tfjs.js';
import { writeTfjsExport } from '../../src/node/write_export.js';

const root = resolve(__dirname, '../..');
const cacheDir = join(root, 'node_modules', '.cache', 'pix2pix-export-test');
const run = promisify(execFile);
let tmp: string;
let layersEntry: string;

beforeAll(async () => {
  await mkdir(cacheDir, { recursive: true });
  tmp = await mkdtemp(join(cacheDir, 'run-'));
  // The layers entry as the package builds it (tsup, tfjs external).
  await run('npx', ['tsup', 'src/layers/index.ts', '--no-config', '--format', 'esm', '--target', 'es2022', '--out-dir', join(tmp, 'dist'), '--silent'], { cwd: root });
  layersEntry = join(tmp, 'dist', 'index.js');
}, 120_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 11) as tf.Tensor4D;
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

async function load(exp: TfjsExport): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: exp.modelJson.modelTopology, weightSpecs: exp.modelJson.weightsManifest[0]!.weights, weightData: exp.weights.slice().buffer }));
}

describe('float16 encoding', () => {
  it('gives the IEEE 754 binary16 bit patterns', () => {
    expect([1, -2, 0.5, 65504, 0.1, 1 / 3, 0, 6.103515625e-5, 5.960464477539063e-8].map(toFloat16Bits)).toEqual([
      0x3c00, 0xc000, 0x3800, 0x7bff, 0x2e66, 0x3555, 0x0000, 0x0400, 0x0001,
    ]);
    expect(toFloat16Bits(1e6)).toBe(0x7c00); // overflow to Infinity
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Array.from(encodeFloat16(new Float32Array([1, -0])))).toEqual([0x3c00, 0x8000]);
  });
});

describe('exportTfjsGenerator', () => {
  const G = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 5 });
  const ref = G.predict(x) as tf.Tensor;
  const exports = new Map<WeightQuantization, TfjsExport>();

  it('float32: the inference graph without dropout, same outputs as predict', async () => {
    const exp = await exportTfjsGenerator(G);
    exports.set('float32', exp);
    const classes = (exp.modelJson.modelTopology as { config: { layers: Array<{ class_name: string }> } }).config.layers.map((l) => l.class_name);
    expect(classes).not.toContain('SeededDropout');
    expect(classes.filter((c) => c === 'Concatenate')).toHaveLength(4);
    const M = await load(exp);
    expect(maxDiff(M.predict(x) as tf.Tensor, ref)).toBeLessThan(1e-6);
    expect(exp.weights.byteLength).toBe(4 * G.weights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b as number), 1), 0));
    M.dispose();
  });

  it('float16 halves and uint8 quarters the weights; both load in tfjs with small output errors', async () => {
    for (const q of ['float16', 'uint8'] as const) {
      const exp = await exportTfjsGenerator(G, { quantize: q });
      exports.set(q, exp);
      expect(exp.weights.byteLength).toBe(exports.get('float32')!.weights.byteLength / (q === 'float16' ? 2 : 4));
      expect(exp.modelJson.weightsManifest[0]!.weights.every((w) => w.quantization?.dtype === q)).toBe(true);
      const M = await load(exp);
      const d = maxDiff(M.predict(x) as tf.Tensor, ref);
      expect(d).toBeGreaterThan(0);
      expect(d).toBeLessThan(q === 'float16' ? 2e-3 : 0.1);
      M.dispose();
    }
  });

  it('refuses weights with non-finite values and unknown options', async () => {
    const H = unetGenerator({ imageSize: 32, filters: 4, norm: 'batch', seed: 6 });
    const w = H.trainableWeights[0]!;
    w.write(tf.fill(w.shape as number[], NaN));
    await expect(exportTfjsGenerator(H)).rejects.toThrow(/non-finite/);
    await expect(exportTfjsGenerator(G, { quantise: 'uint8' } as never)).rejects.toThrow(/did you mean 'quantize'/);
    H.dispose();
  });

  it('loads in a Node process that imports only tfjs (batch norm) or tfjs + the layers entry (instance norm), and never overwrites', async () => {
    const I = unetGenerator({ imageSize: 32, filters: 4, norm: 'instance', seed: 7 });
    const cases: Array<{ dir: string; model: tfl.LayersModel; exp: TfjsExport; entry: boolean }> = [
      { dir: 'bn-f16', model: G, exp: exports.get('float16')!, entry: false },
      { dir: 'bn-u8', model: G, exp: exports.get('uint8')!, entry: false },
      { dir: 'in-f16', model: I, exp: await exportTfjsGenerator(I, { quantize: 'float16' }), entry: true },
    ];
    await writeFile(join(tmp, 'x.json'), JSON.stringify(Array.from(x.dataSync())));
    const script = join(tmp, 'load.mjs');
    await writeFile(
      script,
      `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
const [dir, entry] = process.argv.slice(2);
if (entry) await import(entry);
await tf.setBackend('cpu');
const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));
const bin = readFileSync(dir + '/' + json.weightsManifest[0].paths[0]);
const m = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) }));
const x = tf.tensor4d(JSON.parse(readFileSync(process.argv[4], 'utf8')), [1, 32, 32, 3]);
process.stdout.write(JSON.stringify(Array.from(m.predict(x).dataSync())));
`,
    );
    // The script lives outside the repository's node_modules tree: resolve tfjs from the repository.
    const env = { ...process.env, NODE_PATH: join(root, 'node_modules') };
    await writeFile(join(tmp, 'package.json'), '{"type":"module"}');
    await rm(join(tmp, 'node_modules'), { force: true, recursive: true });
    await run('ln', ['-s', join(root, 'node_modules'), join(tmp, 'node_modules')]);
    for (const c of cases) {
      const dir = join(tmp, c.dir);
      await writeTfjsExport(dir, c.exp);
      await expect(writeTfjsExport(dir, c.exp)).rejects.toThrow(/exists and is not empty/);
      const local = await load(c.exp);
      const want = Array.from((local.predict(x) as tf.Tensor).dataSync());
      local.dispose();
      const { stdout } = await run('node', [script, dir, c.entry ? layersEntry : '', join(tmp, 'x.json')], { env });
      const got = JSON.parse(stdout) as number[];
      expect(got).toHaveLength(want.length);
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThan(1e-5);
    }
    // Without the layers entry, the instance-norm export names the missing layer.
    await expect(run('node', [script, join(tmp, 'in-f16'), '', join(tmp, 'x.json')], { env })).rejects.toThrow(/InstanceNormalization/);
    I.dispose();
  });
});
