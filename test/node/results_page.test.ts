// Results-folder files: CSV/JSON spelling of non-finite metrics, HTML escaping, and the folder rule.
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareResultsFolder, renderMetricsCsv, renderMetricsJson, renderResultsPage, RESULTS_GENERATOR, type ResultsContent } from '../../src/node/results_page.js';

const content: ResultsContent = {
  model: 'm',
  data: 'd',
  mode: 'paper',
  direction: 'AtoB',
  rows: [
    { name: 'a,<b>', input: 'images/a_real_A.png', output: 'images/a_fake_B.png', target: 'images/a_real_B.png', width: 16, height: 8, metrics: { l1: 0, l2: 0, mae: 0, psnr: Infinity, ssim: 1, ssimGaussian: 1 } },
    { name: 'c', input: 'images/c_real_A.png', output: 'images/c_fake_B.png', target: 'images/c_real_B.png', width: 16, height: 8, metrics: { l1: 0.5, l2: 0.25, mae: 63.75, psnr: 12.04, ssim: NaN, ssimGaussian: NaN } },
  ],
  mean: { l1: 0.25, l2: 0.125, mae: 31.875, psnr: Infinity, ssim: NaN, ssimGaussian: NaN },
  std: { l1: 0.25, l2: 0.125, mae: 31.875, psnr: NaN, ssim: NaN, ssimGaussian: NaN },
};

describe('results page files', () => {
  it('CSV: quoted names, inf/nan, mean and std rows', () => {
    expect(renderMetricsCsv(content).trim().split('\n')).toEqual([
      'name,l1,l2,mae,psnr,ssim,ssimGaussian',
      '"a,<b>",0,0,0,inf,1,1',
      'c,0.5,0.25,63.75,12.04,nan,nan',
      'mean,0.25,0.125,31.875,inf,nan,nan',
      'std,0.25,0.125,31.875,nan,nan,nan',
    ]);
  });

  it('JSON: non-finite values as strings, the files list and the generator mark', () => {
    const j = JSON.parse(renderMetricsJson(content, ['index.html']));
    expect(j.generatedBy).toBe(RESULTS_GENERATOR);
    expect(j.images[0].metrics.psnr).toBe('Infinity');
    expect(j.mean.ssim).toBe('NaN');
    expect(j.files).toEqual(['index.html']);
    // The convention of every metric is stated: PSNR and SSIM as scikit-image on the uint8 images.
    expect(j.conventions.psnr).toMatch(/data range 255/);
    expect(j.conventions.ssim).toMatch(/7x7 uniform window/);
    expect(j.conventions.ssimGaussian).toMatch(/11x11 Gaussian window sigma 1\.5/);
    expect(j.conventions.l1).toMatch(/\[-1, 1\]/);
    expect(j.conventions.mae).toMatch(/0-255/);
  });

  it('HTML: escaped names, images at their size', () => {
    const html = renderResultsPage(content);
    expect(html).toContain('a,&#60;b&#62;');
    expect(html).toContain('<img src="images/c_fake_B.png" width="16" height="8"');
  });

  it('a folder is reused only when it holds nothing but its own listed files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'results-'));
    await expect(prepareResultsFolder(join(dir, 'new'))).resolves.toBeUndefined();
    await mkdir(join(dir, 'own/images'), { recursive: true });
    await writeFile(join(dir, 'own/images/x_fake_B.png'), 'png');
    await writeFile(join(dir, 'own/metrics.json'), renderMetricsJson(content, ['images/x_fake_B.png', 'metrics.json']));
    await prepareResultsFolder(join(dir, 'own'));
    expect(await readdir(join(dir, 'own/images'))).toEqual([]); // its own files were removed
    await writeFile(join(dir, 'own/metrics.json'), renderMetricsJson(content, ['metrics.json']));
    await writeFile(join(dir, 'own/mine.txt'), 'x');
    await expect(prepareResultsFolder(join(dir, 'own'))).rejects.toThrow(/did not write \(mine\.txt\)/);
    await rm(dir, { recursive: true, force: true });
  });
});
