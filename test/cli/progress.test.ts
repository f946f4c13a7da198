// TrainProgress without a terminal: a line every logEvery steps, and at least every 10 s even while one
// step runs longer (a timer that never keeps the process alive and stops with the bar).
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_LINE_INTERVAL_MS, TrainProgress } from '../../src/cli/progress.js';

function capture(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

describe('TrainProgress (not a terminal)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('prints every logEvery steps, and a line at least every 10 s during a long step', () => {
    expect(PROGRESS_LINE_INTERVAL_MS).toBe(10_000);
    const { stream, lines } = capture();
    const p = new TrainProgress(100, 0, 4, stream);
    const losses = { G: 1, D: 0.5 };
    for (let s = 1; s <= 4; s++) {
      vi.advanceTimersByTime(100);
      p.update({ step: s, epoch: 0, epochs: 1, losses });
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^step 4\/100 \| epoch 1\/1 \| G 1\.000 D 0\.500 \| 10\.00 steps\/s/);
    // Step 5 takes 25 s: two "still running" lines, 10 s apart.
    vi.advanceTimersByTime(9_000);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^step 4\/100 \| step 5 running for 10 s \| /);
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/step 5 running for 20 s/);
    // The step ends 5 s later: no line yet (one was printed 5 s ago, and 1 step < logEvery) ...
    vi.advanceTimersByTime(5_000);
    p.update({ step: 5, epoch: 0, epochs: 1, losses });
    expect(lines).toHaveLength(3);
    // ... but 10 s after the last line it is step 5's own line, as steps went by since the last line ...
    vi.advanceTimersByTime(5_000);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/^step 5\/100 \| epoch 1\/1 \| G 1\.000 D 0\.500 \| /);
    // ... and 10 s later, step 6 still running.
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatch(/^step 5\/100 \| step 6 running for 15 s \| /);
    p.stop();
    const n = lines.length;
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(n); // stopped: no more lines
  });
});
