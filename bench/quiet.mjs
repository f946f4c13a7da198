// The bench's quiet-machine gate: before each side's repetition it reads the machine's load, waits (up to a
// configurable time) while the load is above the limit, and records what it saw; a run with any reading
// above the limit gets no ratios. The load source is injected (tests use a fake one; no real benchmarking).
//
// What "load" means here: before the bench starts anything it is the 1-minute load average (os.loadavg()).
// Once the bench's own processes run, the load average counts them too (two 2-thread sides interleaved
// push it towards 2 on a quiet 2-core machine), so from then on it is the load of everything else, the
// larger of: the CPU time the machine spent outside the bench's processes since the previous reading, in
// cores (1.0 = one core kept busy by something else; /proc/stat and /proc/<pid>/stat), and the tasks
// runnable right now besides the reader (/proc/loadavg's running count, the least of 5 looks over 100 ms,
// taken while every side waits for its next command). The first misses others starved by a side that
// fills every core; the second misses load between readings. The 1-minute average is recorded too.
import fs from 'node:fs';
import os from 'node:os';

/** Default limit: ratios only from readings at or below a load of 1.0. */
export const QUIET_MAX_LOAD = 1.0;

const sleepMs = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A gate over a load source.
 * @param {object} o
 * @param {() => number | Promise<number>} o.read - the current load (see the header).
 * @param {number} [o.max] - the limit (default {@link QUIET_MAX_LOAD}).
 * @param {number} [o.waitMs] - how long a check may wait for the load to drop (default 0: no waiting); after
 *   one wait runs out, later checks of this gate read once and do not wait.
 * @param {number} [o.pollMs] - how often it re-reads while waiting (default 5000).
 * @param {(ms: number) => Promise<void>} [o.sleep] - injectable for tests.
 * @param {() => number} [o.now] - injectable clock in ms (default Date.now).
 * @param {(line: string) => void} [o.log] - where waiting is reported (default: nothing).
 * @returns {{ check(label: string): Promise<{ label: string, load: number, waitedMs: number, quiet: boolean }>, readings: object[], verdict(): object }}
 */
export function quietGate({ read, max = QUIET_MAX_LOAD, waitMs = 0, pollMs = 5000, sleep = sleepMs, now = Date.now, log = () => {} }) {
  if (!(max > 0)) throw new RangeError(`quietGate: max must be > 0 (got ${max})`);
  if (!(waitMs >= 0)) throw new RangeError(`quietGate: waitMs must be >= 0 (got ${waitMs})`);
  const readings = [];
  let gaveUp = false; // once a wait ran out the run has no ratios: later checks do not wait again
  return {
    readings,
    async check(label) {
      const t0 = now();
      let load = await read();
      if (load > max && waitMs > 0 && !gaveUp) {
        log(`${label}: load ${load.toFixed(2)} > ${max}: waiting up to ${(waitMs / 1000).toFixed(0)} s for the machine to go quiet`);
        while (load > max && now() - t0 < waitMs) {
          await sleep(Math.min(pollMs, Math.max(0, waitMs - (now() - t0))));
          load = await read();
        }
        const waited = ((now() - t0) / 1000).toFixed(0);
        gaveUp = load > max;
        log(load > max ? `${label}: still busy after ${waited} s (load ${load.toFixed(2)}): no ratios from this run` : `${label}: quiet after ${waited} s (load ${load.toFixed(2)})`);
      }
      const r = { label, load, waitedMs: now() - t0, quiet: load <= max };
      readings.push(r);
      return r;
    },
    /** Whether every reading was quiet, the worst one, and the total wait. */
    verdict() {
      const worst = readings.reduce((m, r) => Math.max(m, r.load), 0);
      const waitedMs = readings.reduce((s, r) => s + r.waitedMs, 0);
      const busy = readings.filter((r) => !r.quiet).length;
      return { quiet: busy === 0 && readings.length > 0, max, worst, busy, readings: readings.length, waitedMs };
    },
  };
}

/**
 * Why a ratio may not be printed, or null when it may: the run had a reading above the limit.
 * @param {{ quiet: boolean, worst: number, max: number, busy: number, readings: number, waitedMs: number }} v - a gate's verdict.
 */
export function ratioRefusal(v) {
  if (v.quiet) return null;
  if (v.readings === 0) return 'no load readings';
  return `refused: load ${v.worst.toFixed(2)} > ${v.max} in ${v.busy} of ${v.readings} readings (waited ${(v.waitedMs / 1000).toFixed(0)} s in all)`;
}

/** Jiffies the whole machine spent busy (everything but idle and iowait), from /proc/stat. */
function machineBusyJiffies() {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = cpu;
  return { busy: user + nice + system + irq + softirq + (steal ?? 0), total: user + nice + system + idle + iowait + irq + softirq + (steal ?? 0) };
}

/** CPU jiffies (user + system, own and waited-for children) of process `pid`; 0 once it is gone. */
function processJiffies(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ').map(Number); // fields from 3 (state) on
    return f[11] + f[12] + f[13] + f[14]; // utime, stime, cutime, cstime (fields 14-17)
  } catch {
    return 0;
  }
}

/**
 * The real load source (Linux): the 1-minute load average until {@link ownPids} has a process in it, then the
 * load of everything but the bench (see the header). `ownPids` is the live set of the bench's processes
 * (this one is always counted); add each child when it starts.
 */
export function machineLoad() {
  const ownPids = new Set([process.pid]);
  const cores = os.cpus().length;
  let prev = null;
  const snapshot = () => {
    const m = machineBusyJiffies();
    let own = 0;
    for (const pid of ownPids) own += processJiffies(pid);
    return { busy: m.busy, total: m.total, own };
  };
  return {
    ownPids,
    /** The 1-minute load average (for the record). */
    loadavg: () => os.loadavg()[0],
    async read() {
      const s = snapshot();
      if (ownPids.size === 1 || prev === null) {
        prev = s;
        return os.loadavg()[0];
      }
      const dTotal = s.total - prev.total;
      const cpuOthers = dTotal > 0 ? (Math.max(0, s.busy - prev.busy - (s.own - prev.own)) / dTotal) * cores : 0;
      prev = s;
      let runnable = Infinity;
      for (let i = 0; i < 5; i++) {
        if (i > 0) await sleepMs(25);
        runnable = Math.min(runnable, Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[0]) - 1);
      }
      return Math.max(cpuOthers, runnable);
    },
  };
}
