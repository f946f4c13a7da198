// The bench's quiet-machine gate with a FAKE load source and a fake clock (no benchmarking here): it waits
// for the load to drop, says how long it waited, and refuses ratios once any reading stayed busy.
import { describe, expect, it } from 'vitest';
import { quietGate, ratioRefusal } from '../../bench/quiet.mjs';

/** A load source that returns `loads` in turn (the last one repeated) and a clock advanced only by sleep. */
function fake(loads: number[]) {
  let i = 0;
  let t = 0;
  const lines: string[] = [];
  return {
    read: () => loads[Math.min(i++, loads.length - 1)]!,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    now: () => t,
    log: (l: string) => void lines.push(l),
    lines,
    reads: () => i,
  };
}

describe('bench quiet gate', () => {
  it('passes quiet readings without waiting, and allows the ratio', async () => {
    const f = fake([0.2, 0.9, 1.0]);
    const g = quietGate({ ...f, max: 1, waitMs: 60_000, pollMs: 5000 });
    for (const label of ['a', 'b', 'c']) expect((await g.check(label)).quiet).toBe(true);
    expect(f.lines).toEqual([]);
    const v = g.verdict();
    expect(v).toMatchObject({ quiet: true, worst: 1.0, busy: 0, readings: 3, waitedMs: 0 });
    expect(ratioRefusal(v)).toBeNull();
  });

  it('waits while the load is above the limit, polling, and says how long it waited once quiet', async () => {
    const f = fake([3.5, 2.0, 1.4, 0.6]);
    const g = quietGate({ ...f, max: 1, waitMs: 60_000, pollMs: 5000 });
    const r = await g.check('wasm 256 step 1');
    expect(r).toEqual({ label: 'wasm 256 step 1', load: 0.6, waitedMs: 15_000, quiet: true });
    expect(f.reads()).toBe(4);
    expect(f.lines).toEqual([
      'wasm 256 step 1: load 3.50 > 1: waiting up to 60 s for the machine to go quiet',
      'wasm 256 step 1: quiet after 15 s (load 0.60)',
    ]);
    expect(ratioRefusal(g.verdict())).toBeNull();
  });

  it('gives up after the configured wait and refuses the ratio, naming the load and the wait', async () => {
    const f = fake([2.5]);
    const g = quietGate({ ...f, max: 1, waitMs: 12_000, pollMs: 5000 });
    await g.check('pytorch 256 infer 1');
    expect(g.readings[0]!.waitedMs).toBe(12_000); // 5 + 5 + 2 s: the last sleep is cut to the budget
    expect(f.lines[1]).toBe('pytorch 256 infer 1: still busy after 12 s (load 2.50): no ratios from this run');
    const busy = await g.check('pytorch 256 infer 2'); // the run is refused already: no second wait
    expect(busy).toEqual({ label: 'pytorch 256 infer 2', load: 2.5, waitedMs: 0, quiet: false });
    expect(f.lines).toHaveLength(2);
    const v = g.verdict();
    expect(v).toMatchObject({ quiet: false, worst: 2.5, busy: 2, readings: 2, waitedMs: 12_000 });
    expect(ratioRefusal(v)).toBe('refused: load 2.50 > 1 in 2 of 2 readings (waited 12 s in all)');
  });

  it('one busy reading among quiet ones is enough to refuse; without waiting it does not sleep', async () => {
    const f = fake([0.1, 1.2, 0.1]);
    const g = quietGate({ ...f, max: 1 });
    for (const l of ['a', 'b', 'c']) await g.check(l);
    expect(f.lines).toEqual([]);
    expect(ratioRefusal(g.verdict())).toBe('refused: load 1.20 > 1 in 1 of 3 readings (waited 0 s in all)');
    expect(ratioRefusal(quietGate({ read: () => 0 }).verdict())).toBe('no load readings');
    expect(() => quietGate({ read: () => 0, max: 0 })).toThrow('quietGate: max must be > 0 (got 0)');
  });
});
