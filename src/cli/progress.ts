import cliProgress from 'cli-progress';

/** Values shown on the progress line. */
export interface ProgressValues {
  step: number;
  epoch: number;
  epochs: number;
  losses: Record<string, number>;
}

const fmtTime = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
};

const fmtLoss = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));

/** Longest time without a progress line when the stream is not a terminal (ms). */
export const PROGRESS_LINE_INTERVAL_MS = 10_000;

/**
 * Training progress: a cli-progress bar on a terminal (step, epoch, losses, steps/s, ETA), or a plain
 * line every `logEvery` steps when stderr is not a terminal (logs, CI, tests), and at least every
 * {@link PROGRESS_LINE_INTERVAL_MS} (10 s): a step that takes longer gets a "still running" line from a
 * timer (unref'd, so it never keeps the process alive; {@link stop} clears it).
 */
export class TrainProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly startStep: number;
  private readonly started = Date.now();
  private lastLog = 0;
  private lastLogTime = Date.now();
  private lastStep: number;
  private lastStepTime = Date.now();
  /** The last step's plain progress line (not yet printed when steps went by since the last line). */
  private lastLine = '';
  private heartbeat: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly total: number,
    startStep: number,
    private readonly logEvery: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    /** Time (ms since epoch) at which training stops anyway (a time limit); caps the ETA. */
    private readonly deadline = Infinity,
  ) {
    this.startStep = startStep;
    this.lastStep = startStep;
    if (stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'step {stepText} |{bar}| epoch {ep} | {losses} | {rate} steps/s | ETA {etaText}',
          barsize: 24,
          hideCursor: true,
          stream,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, startStep, { stepText: `${startStep}/${total}`, ep: '-', losses: '', rate: '-', etaText: '--:--' });
    } else {
      this.bar = null;
      this.arm();
    }
  }

  /** Without a terminal: (re)schedules the "still running" line {@link PROGRESS_LINE_INTERVAL_MS} after the last line. */
  private arm(): void {
    if (this.heartbeat) clearTimeout(this.heartbeat);
    if (this.stopped) return;
    this.heartbeat = setTimeout(() => this.stillRunning(), Math.max(0, this.lastLogTime + PROGRESS_LINE_INTERVAL_MS - Date.now()));
    this.heartbeat.unref?.();
  }

  /**
   * A line when none was written for {@link PROGRESS_LINE_INTERVAL_MS}: the latest step's line when steps
   * went by since the last line, else a "still running" line (one step takes that long).
   */
  private stillRunning(): void {
    const now = Date.now();
    this.lastLogTime = now;
    if (this.lastStep > this.lastLog) {
      this.lastLog = this.lastStep;
      this.stream.write(this.lastLine);
    } else {
      const running = Math.round((now - this.lastStepTime) / 1000);
      this.stream.write(`step ${this.lastStep}/${this.total} | step ${this.lastStep + 1} running for ${running} s | ${this.rate(this.lastStep).toFixed(2)} steps/s\n`);
    }
    this.arm();
  }

  /** Steps per second since this session started. */
  rate(step: number): number {
    const dt = (Date.now() - this.started) / 1000;
    return dt > 0 ? (step - this.startStep) / dt : 0;
  }

  /** Updates the bar / logs a line. */
  update(v: ProgressValues): void {
    this.lastStep = v.step;
    this.lastStepTime = Date.now();
    const rate = this.rate(v.step);
    const stepEta = rate > 0 ? (this.total - v.step) / rate : Infinity;
    const timeLeft = (this.deadline - Date.now()) / 1000;
    // When the time limit ends the run before the step/epoch budget, the budget's totals mean nothing:
    // show plain counters, and fill the bar by time.
    const timeBound = timeLeft < stepEta;
    const eta = Math.min(stepEta, timeLeft);
    const losses = Object.entries(v.losses)
      .map(([k, x]) => `${k} ${fmtLoss(x)}`)
      .join(' ');
    const stepText = timeBound ? `${v.step}` : `${v.step}/${this.total}`;
    const ep = timeBound ? `${v.epoch + 1}` : `${v.epoch + 1}/${v.epochs}`;
    if (this.bar) {
      const value = timeBound ? this.startStep + (this.total - this.startStep) * timeFraction(this.started, this.deadline) : v.step;
      this.bar.update(value, { stepText, ep, losses, rate: rate.toFixed(2), etaText: fmtTime(eta) });
      return;
    }
    this.lastLine = `step ${stepText} | epoch ${ep} | ${losses} | ${rate.toFixed(2)} steps/s | ETA ${fmtTime(eta)}\n`;
    if (v.step - this.lastLog >= this.logEvery || v.step === this.total || Date.now() - this.lastLogTime >= PROGRESS_LINE_INTERVAL_MS) {
      this.lastLog = v.step;
      this.lastLogTime = Date.now();
      this.stream.write(this.lastLine);
      this.arm();
    }
  }

  /** Stops the bar (and the non-terminal timer). */
  stop(): void {
    this.bar?.stop();
    this.stopped = true;
    if (this.heartbeat) clearTimeout(this.heartbeat);
  }
}

/** Fraction of the time from `start` to `deadline` (ms) that has passed, in [0, 1]. */
function timeFraction(start: number, deadline: number): number {
  return Math.min(1, Math.max(0, (Date.now() - start) / (deadline - start)));
}

/**
 * Progress over a known number of items (photos, files): a cli-progress bar on a terminal, else a plain
 * line at every tenth of the work and at least every 10 s (logs, CI, tests).
 */
export class CountProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private done = 0;
  private lastLine = 0;
  private lastTime = Date.now();
  private readonly started = Date.now();

  /**
   * @param total - Items in all.
   * @param label - What is counted, shown before the bar (e.g. `'make-dataset: photos'`).
   * @param stream - Where the bar or lines go. Default process.stderr.
   */
  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (stream.isTTY) {
      this.bar = new cliProgress.SingleBar({ format: `${label} |{bar}| {value}/{total} | ETA {eta_formatted}`, barsize: 24, hideCursor: true, stream }, cliProgress.Presets.shades_classic);
      this.bar.start(total, 0);
    } else this.bar = null;
  }

  /** Counts `n` more items done. */
  tick(n = 1): void {
    this.done += n;
    if (this.bar) {
      this.bar.update(this.done);
      return;
    }
    const step = Math.max(1, Math.ceil(this.total / 10));
    if (this.done - this.lastLine >= step || this.done === this.total || Date.now() - this.lastTime >= 10_000) {
      this.lastLine = this.done;
      this.lastTime = Date.now();
      const s = (Date.now() - this.started) / 1000;
      const eta = this.done > 0 ? (s / this.done) * (this.total - this.done) : Infinity;
      this.stream.write(`${this.label} ${this.done}/${this.total} | ETA ${fmtTime(eta)}\n`);
    }
  }

  /** Stops the bar (a terminal gets its line back). */
  stop(): void {
    this.bar?.stop();
  }
}
