// The report page: held-out validation curves get their own section, apart from the losses.
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/node/report.js';

describe('renderReport', () => {
  it('plots val/ metrics under "Validation" and the losses under "Losses"', () => {
    const html = renderReport({
      history: [
        { step: 1, epoch: 0, 'G/total': 3 },
        { step: 2, epoch: 0, 'G/total': 2, 'val/L1': 0.5, 'val/PSNR': 12 },
        { step: 3, epoch: 0, 'G/total': 1 },
        { step: 4, epoch: 0, 'G/total': 1, 'val/L1': 0.4, 'val/PSNR': 13 },
      ],
      samples: [],
    });
    const losses = html.indexOf('<h2>Losses</h2>');
    const val = html.indexOf('<h2>Validation (held-out pairs)</h2>');
    expect(losses).toBeGreaterThan(0);
    expect(val).toBeGreaterThan(losses);
    expect(html.indexOf('aria-label="G/total"')).toBeGreaterThan(losses);
    expect(html.indexOf('aria-label="G/total"')).toBeLessThan(val);
    expect(html.indexOf('aria-label="val/L1"')).toBeGreaterThan(val);
    expect(html.indexOf('aria-label="val/PSNR"')).toBeGreaterThan(val);
    // Without validation there is no such section.
    expect(renderReport({ history: [{ step: 1, epoch: 0, 'G/total': 1 }], samples: [] })).not.toContain('Validation');
  });
});
