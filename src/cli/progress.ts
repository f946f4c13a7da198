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

/**
 * Training progress: a cli-progress bar on a terminal (step, epoch, losses, steps/s, ETA), or a plain
 * line every `logEvery` steps (and at least every 15 s) when stderr is not a terminal (logs, CI, tests).
 */
export class TrainProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly startStep: number;
  private readonly started = Date.now();
  private lastLog = 0;
  private lastLogTime = Date.now();

  constructor(
    private readonly total: number,
    startStep: number,
    private readonly logEvery: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    /** Time (ms since epoch) at which training stops anyway (a time limit); caps the ETA. */
    private readonly deadline = Infinity,
  ) {
    this.startStep = startStep;
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
    } else this.bar = null;
  }

  /** Steps per second since this session started. */
  rate(step: number): number {
    const dt = (Date.now() - this.started) / 1000;
    return dt > 0 ? (step - this.startStep) / dt : 0;
  }

  /** Updates the bar / logs a line. */
  update(v: ProgressValues): void {
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
    } else if (v.step - this.lastLog >= this.logEvery || v.step === this.total || Date.now() - this.lastLogTime >= 15_000) {
      this.lastLog = v.step;
      this.lastLogTime = Date.now();
      this.stream.write(`step ${stepText} | epoch ${ep} | ${losses} | ${rate.toFixed(2)} steps/s | ETA ${fmtTime(eta)}\n`);
    }
  }

  /** Stops the bar. */
  stop(): void {
    this.bar?.stop();
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
