// Fuzz worker, run as a child process by fuzz.test.ts (bundled with esbuild): builds a small valid seed
// of one file format with this package's own writers, then for each case index derives a mutation from
// a seeded PRNG, feeds it to the package's reader and prints one JSON line: the outcome, the error class
// and message, the input size and the peak RSS the case added (Linux /proc high-water mark, reset per case).
// Usage: node worker.mjs <format> <seed> <start> <count> <tmpdir>
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { unetGenerator } from '../../src/generator/unet_generator.js';
import { patchDiscriminator } from '../../src/discriminator/patch_discriminator.js';
import { compositeLoss } from '../../src/losses/composite_loss.js';
import { Trainer } from '../../src/trainer/trainer.js';
import { CheckpointError } from '../../src/trainer/checkpoint.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';
import { decodeImage, encodeJpeg, encodePng, ImageDecodeError } from '../../src/node/image_io.js';
import { exportTorchWeights } from '../../src/io/torch/weights.js';
import { importTorchCheckpoint } from '../../src/io/torch/checkpoint.js';
import { readTorchStateDict } from '../../src/io/torch/read.js';
import { TorchFormatError } from '../../src/io/torch/errors.js';
import { FUZZ_FORMATS, type FuzzFormat, type FuzzResult } from './protocol.js';

const [format, seedText, startText, countText, tmp] = process.argv.slice(2) as [FuzzFormat, string, string, string, string];
if (!FUZZ_FORMATS.includes(format)) throw new Error(`unknown format ${format}`);

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Generic byte mutations: flips, interesting values, truncation, insertion, chunk copies, deletion. */
function mutateBytes(r: Rand, src: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = src.slice();
  const n = b.length;
  switch (int(r, 6)) {
    case 0: {
      const k = 1 + int(r, 4);
      for (let i = 0; i < k; i++) b[int(r, n)] ^= 1 << int(r, 8);
      return { bytes: b, how: `flip ${k} bit(s)` };
    }
    case 1: {
      const at = int(r, n);
      b[at] = pick(r, [0, 0xff, 0x7f, 0x80, 0x01, 0xfe]);
      return { bytes: b, how: `set byte ${at}` };
    }
    case 2: {
      const at = int(r, n);
      return { bytes: b.subarray(0, at), how: `truncate at ${at}` };
    }
    case 3: {
      const at = int(r, n);
      const ins = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
      return { bytes: concat(b.subarray(0, at), ins, b.subarray(at)), how: `insert ${ins.length} at ${at}` };
    }
    case 4: {
      const from = int(r, n);
      const len = 1 + int(r, Math.min(256, n - from));
      const to = int(r, n);
      return { bytes: concat(b.subarray(0, to), b.subarray(from, from + len), b.subarray(to)), how: `copy ${len} from ${from} to ${to}` };
    }
    default: {
      const from = int(r, n);
      const len = 1 + int(r, Math.min(64, n - from));
      return { bytes: concat(b.subarray(0, from), b.subarray(from + len)), how: `delete ${len} at ${from}` };
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A PNG whose IHDR fields are edited and whose CRC is fixed, so the edit reaches the decoder. */
function mutatePngHeader(r: Rand, src: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = src.slice();
  const v = new DataView(b.buffer);
  const field = int(r, 4);
  if (field === 0) v.setUint32(16, pick(r, [0, 1, 20000, 65535, 0x7fffffff, 33]));
  else if (field === 1) v.setUint32(20, pick(r, [0, 1, 20000, 65535, 0x7fffffff, 17]));
  else if (field === 2) b[24] = pick(r, [0, 1, 2, 4, 8, 16, 3, 255]);
  else b[25] = pick(r, [0, 1, 2, 3, 4, 5, 6, 7]);
  v.setUint32(29, crc32(b.subarray(12, 29)));
  return { bytes: b, how: `IHDR field ${field} edited, CRC fixed (${v.getUint32(16)}x${v.getUint32(20)} depth ${b[24]} type ${b[25]})` };
}

/** Unzips, mutates one member's bytes, zips again (stored or deflated). */
function mutateZipMember(r: Rand, src: Uint8Array): { bytes: Uint8Array; how: string } {
  const files = unzipSync(src) as Zippable;
  const names = Object.keys(files);
  const name = pick(r, names);
  const m = mutateBytes(r, files[name] as Uint8Array);
  files[name] = m.bytes;
  const level = pick(r, [0, 6] as const);
  return { bytes: zipSync(files, { level }), how: `member ${name}: ${m.how}, re-zipped level ${level}` };
}

// ---- seeds -------------------------------------------------------------------------------------------

function image(): { width: number; height: number; channels: 3; data: Uint8Array } {
  const data = Uint8Array.from({ length: 16 * 12 * 3 }, (_, i) => (i * 37) % 256);
  return { width: 16, height: 12, channels: 3, data };
}

function torchZipSeed(): Uint8Array {
  const G = unetGenerator({ imageSize: 8, filters: 2, seed: 1 });
  const bytes = exportTorchWeights(G);
  G.dispose();
  return bytes;
}

async function checkpointSeed(dir: string): Promise<{ json: string; weights: Uint8Array }> {
  const G = unetGenerator({ imageSize: 8, filters: 2, seed: 1 });
  const D = patchDiscriminator({ receptiveField: 16, filters: 2, seed: 2 });
  const trainer = new Trainer({ generator: G, discriminator: D, loss: compositeLoss({}), seed: 3 });
  const input = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
  const target = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  await trainer.trainStep({ input, target });
  await trainer.save(fileCheckpoint(dir));
  tf.dispose([input, target]);
  trainer.dispose();
  return { json: readFileSync(join(dir, 'model.json'), 'utf8'), weights: readFileSync(join(dir, 'weights.bin')) };
}

// ---- checkpoint mutations ----------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
function paths(x: Json, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      const p = [...at, Array.isArray(x) ? Number(k) : k];
      out.push(p);
      paths(v as Json, p, out);
    }
  }
  return out;
}
function parentOf(root: Json, p: Array<string | number>): { [k: string]: Json } | Json[] {
  let x = root as Record<string | number, Json>;
  for (const k of p.slice(0, -1)) x = x[k] as Record<string | number, Json>;
  return x as unknown as { [k: string]: Json };
}

/** Edits one value of model.json, or one tensor of weights.bin, the ways a careless or hostile edit would. */
function mutateCheckpoint(r: Rand, seed: { json: string; weights: Uint8Array }): { json: string; weights: Uint8Array; how: string } {
  const doc = JSON.parse(seed.json) as { [k: string]: Json };
  const specs = (doc.weightsManifest as Array<{ weights: Array<{ name: string; shape: number[] }> }>)[0]!.weights;
  const layers = (doc.modelTopology as { generator: { config: { layers: Array<{ name: string; config: { name: string }; inbound_nodes: Json[] }> } } }).generator.config.layers;
  const kind = int(r, 10);
  if (kind <= 3) {
    const all = paths(doc);
    const p = pick(r, all);
    const parent = parentOf(doc, p) as Record<string | number, Json>;
    const key = p[p.length - 1]!;
    const values: Json[] = [null, -1, 0, 1, 2.5, 1e9, 'x', '', [], {}, true, [1, 2], { a: 1 }, 'generator/conv2d/kernel', 'int32', -0.5, 1e300];
    if (kind === 3 && !Array.isArray(parent)) {
      delete parent[key];
      return { json: JSON.stringify(doc), weights: seed.weights, how: `delete ${p.join('.')}` };
    }
    const v = pick(r, values);
    parent[key] = v;
    return { json: JSON.stringify(doc), weights: seed.weights, how: `${p.join('.')} = ${JSON.stringify(v)}` };
  }
  if (kind === 4) {
    const i = 1 + int(r, layers.length - 1);
    const renameConfig = r() < 0.5;
    layers[i]!.name = 'x';
    if (renameConfig) layers[i]!.config.name = 'x';
    return { json: JSON.stringify(doc), weights: seed.weights, how: `generator layer ${i} renamed${renameConfig ? ' (and its config)' : ''}` };
  }
  if (kind === 5) {
    const withInputs = layers.filter((l) => l.inbound_nodes.length > 0);
    const l = pick(r, withInputs);
    const node = (l.inbound_nodes[0] as Json[][])[0]!;
    const edit = int(r, 3);
    if (edit === 0) node[0] = 'missing_layer';
    else if (edit === 1) node[1] = 3;
    else node[0] = l.name; // a self-loop
    return { json: JSON.stringify(doc), weights: seed.weights, how: `inbound_nodes of ${l.name} edited (${edit})` };
  }
  // Weight data edits, located by the manifest.
  const offsets: number[] = [];
  let o = 0;
  for (const s of specs) {
    offsets.push(o);
    o += 4 * s.shape.reduce((a, b) => a * b, 1);
  }
  const w = seed.weights.slice();
  const f = new Float32Array(w.buffer);
  if (kind === 6) {
    const i = int(r, specs.length);
    const n = specs[i]!.shape.reduce((a, b) => a * b, 1);
    if (n > 0) f[offsets[i]! / 4 + int(r, n)] = pick(r, [NaN, Infinity, -Infinity]);
    return { json: seed.json, weights: w, how: `non-finite value in ${specs[i]!.name}` };
  }
  if (kind === 7) {
    // Swap two tensors of the same shape.
    const i = int(r, specs.length);
    const same = specs.map((_, j) => j).filter((j) => j !== i && specs[j]!.shape.join() === specs[i]!.shape.join());
    if (same.length === 0) return { json: seed.json, weights: w, how: 'no swap partner (unchanged)' };
    const j = pick(r, same);
    const n = specs[i]!.shape.reduce((a, b) => a * b, 1);
    const a = f.slice(offsets[i]! / 4, offsets[i]! / 4 + n);
    f.copyWithin(offsets[i]! / 4, offsets[j]! / 4, offsets[j]! / 4 + n);
    f.set(a, offsets[j]! / 4);
    return { json: seed.json, weights: w, how: `swap ${specs[i]!.name} <-> ${specs[j]!.name}` };
  }
  if (kind === 8) {
    const m = mutateBytes(r, w);
    return { json: seed.json, weights: m.bytes, how: `weights.bin: ${m.how}` };
  }
  const m = mutateBytes(r, new TextEncoder().encode(seed.json));
  return { json: new TextDecoder().decode(m.bytes), weights: seed.weights, how: `model.json bytes: ${m.how}` };
}

// ---- running cases -----------------------------------------------------------------------------------

function peakKiB(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}
function resetPeak(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // not Linux: the peak then only grows, which over-reports (never hides) memory use
  }
}

const ownClasses = [TorchFormatError, CheckpointError, ImageDecodeError];

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const seed = Number(seedText);
  const start = Number(startText);
  const count = Number(countText);
  mkdirSync(tmp, { recursive: true });
  let run: (i: number, r: Rand) => Promise<{ size: number; how: string; ok: () => Promise<void> | void }>;
  if (format === 'png' || format === 'jpeg') {
    const base = format === 'png' ? new Uint8Array(encodePng(image())) : new Uint8Array(encodeJpeg(image(), 80));
    run = async (_i, r) => {
      const m = format === 'png' && r() < 0.2 ? mutatePngHeader(r, base) : mutateBytes(r, base);
      if (process.env.FUZZ_DUMP) writeFileSync(join(process.env.FUZZ_DUMP, `${format}-${_i}.bin`), m.bytes); // to debug one case
      return {
        size: m.bytes.length,
        how: m.how,
        ok: () => {
          const img = decodeImage(m.bytes, 'fuzz');
          if (img.data.length !== img.width * img.height * img.channels) throw new Error(`decoded image has ${img.data.length} bytes for ${img.width}x${img.height}x${img.channels}`);
        },
      };
    };
  } else if (format === 'torch-zip' || format === 'torch-legacy') {
    const base = format === 'torch-zip' ? torchZipSeed() : new Uint8Array(readFileSync(join(__dirname_, '../../test/fixtures/torch/pixel_instance_legacy.pth')));
    run = async (_i, r) => {
      const m = format === 'torch-zip' && r() < 0.4 ? mutateZipMember(r, base) : mutateBytes(r, base);
      return {
        size: m.bytes.length,
        how: m.how,
        ok: () => {
          const sd = readTorchStateDict(m.bytes);
          let model;
          try {
            model = importTorchCheckpoint(sd);
          } catch (e) {
            (e as { stage?: string }).stage = 'import';
            throw e;
          }
          model.dispose();
        },
      };
    };
  } else {
    const seedDir = join(tmp, 'seed');
    const good = await checkpointSeed(seedDir);
    const dir = join(tmp, 'case');
    run = async (_i, r) => {
      const m = mutateCheckpoint(r, good);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.json'), m.json);
      writeFileSync(join(dir, 'weights.bin'), m.weights);
      return {
        size: m.json.length + m.weights.length,
        how: m.how,
        ok: async () => {
          const trainer = await Trainer.load(fileCheckpoint(dir));
          try {
            const x = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 6) as tf.Tensor4D;
            const y = trainer.generate(x, { mode: 'inference' });
            const v = await y.data();
            tf.dispose([x, y]);
            if (!v.every(Number.isFinite)) throw new Error('SILENT NaN: the checkpoint loaded but the generator output is not finite');
          } finally {
            trainer.dispose();
          }
        },
      };
    };
  }
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  for (let i = start; i < start + count; i++) {
    const r = prng((seed * 1_000_003 + i) >>> 0);
    const c = await run(i, r);
    resetPeak();
    const before = process.memoryUsage().rss / 1024;
    const result: FuzzResult = { i, how: c.how, size: c.size, outcome: 'ok', addedKiB: 0 };
    try {
      await c.ok();
    } catch (e) {
      const err = e as Error & { stage?: string };
      result.outcome = ownClasses.some((k) => e instanceof k) ? 'own-error' : err.stage === 'import' && !(err instanceof TypeError) ? 'import-error' : 'foreign-error';
      result.name = err?.constructor?.name ?? typeof e;
      result.message = String(err?.message ?? e).slice(0, 400);
    }
    result.addedKiB = Math.max(0, peakKiB() - before);
    process.stdout.write(JSON.stringify(result) + '\n');
  }
}

const __dirname_ = join(process.env.FUZZ_ROOT ?? process.cwd(), 'test', 'fuzz');
main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`fuzz worker failed: ${(e as Error).stack}\n`);
    process.exit(3);
  },
);
