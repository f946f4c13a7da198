// `--engine` of `pix2pix test` and `translate` (the built CLI): onnxruntime gives the tfjs engine's images
// (8-bit, within one level), and without --eval it is refused before anything is loaded or written.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resnetGenerator } from '../../src/generator/resnet_generator.js';
import { fileCheckpoint } from '../../src/node/checkpoint.js';
import { decodeImage } from '../../src/node/image_io.js';
import { ctx, exists, noStack, pix2pix, useCli } from './harness.js';

useCli('engine');

beforeAll(async () => {
  // A tiny ResNet generator as a plain model folder, and 2 facade pairs (A|B, 32x32 halves) from useCli.
  const G = resnetGenerator({ blocks: 1, filters: 4, norm: 'batch', seed: 5 });
  await G.save(fileCheckpoint(join(ctx.tmp, 'model')));
  G.dispose();
}, 180_000);

const png = async (p: string) => decodeImage(new Uint8Array(await readFile(join(ctx.tmp, p))));

describe('--engine', () => {
  it('test --engine onnxruntime --eval writes the images the tfjs engine writes (within one 8-bit level)', async () => {
    const a = await pix2pix('test', '--model', 'model', '--data', 'ds', '--results', 'res_tfjs', '--eval', '--backend', 'cpu');
    expect(a.code, a.stderr).toBe(0);
    const b = await pix2pix('test', '--model', 'model', '--data', 'ds', '--results', 'res_ort', '--eval', '--backend', 'cpu', '--engine', 'onnxruntime');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/mode inference, engine onnxruntime/);
    const fakes = (await readdir(join(ctx.tmp, 'res_tfjs/images'))).filter((f) => f.endsWith('_fake_B.png'));
    expect(fakes).toHaveLength(2);
    for (const f of fakes) {
      const x = await png(`res_tfjs/images/${f}`);
      const y = await png(`res_ort/images/${f}`);
      expect([y.width, y.height]).toEqual([x.width, x.height]);
      let worst = 0;
      for (let i = 0; i < x.data.length; i++) worst = Math.max(worst, Math.abs(x.data[i]! - y.data[i]!));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('refuses onnxruntime in paper mode (test without --eval, translate) before writing anything', async () => {
    const t = await pix2pix('test', '--model', 'model', '--data', 'ds', '--results', 'res_paper', '--backend', 'cpu', '--engine', 'onnxruntime');
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("pix2pix: error: --engine onnxruntime: the onnxruntime engine runs 'inference' mode only (got mode 'paper')");
    expect(t.stderr).toContain("(the CLI's --eval)");
    noStack(t.stderr);
    expect(await exists('res_paper')).toBe(false);
    const r = await pix2pix('translate', '--model', 'model', '--input', 'ds', '--output', 'out_paper', '--ab', '--backend', 'cpu', '--engine', 'onnxruntime');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--engine onnxruntime: the onnxruntime engine runs 'inference' mode only");
    expect(await exists('out_paper')).toBe(false);
    const bad = await pix2pix('translate', '--model', 'model', '--input', 'ds', '--output', 'o', '--engine', 'tensorrt');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/tfjs, onnxruntime|tfjs or onnxruntime/);
  });

  it('translate --engine onnxruntime --eval writes one image per input', async () => {
    const r = await pix2pix('translate', '--model', 'model', '--input', 'ds', '--output', 'out_ort', '--ab', '--eval', '--backend', 'cpu', '--engine', 'onnxruntime');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/engine onnxruntime/);
    // The images and the write path's record of them (.pix2pix-written.json).
    expect((await readdir(join(ctx.tmp, 'out_ort'))).filter((n) => !n.startsWith('.')).length).toBe(2);
  });
});
