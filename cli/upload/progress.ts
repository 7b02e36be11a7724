// Progress: byte counters fed by the part uploads, rendered as a bar with throughput and ETA on a
// TTY, or as one plain line every interval for pod logs (no carriage returns, no colours).
import { formatBytes, formatDuration } from './size';

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface ProgressOptions {
  label: string;
  /** Total bytes, or null while unknown (a tgz being made). */
  total: number | null;
  mode: ProgressMode;
  /** Where to draw (default process.stderr). */
  out?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Bar redraw interval (default 250 ms) and plain-line interval (default 10 s). */
  barIntervalMs?: number;
  lineIntervalMs?: number;
  now?: () => number;
}

/** Picks the mode for a stream: a bar on a terminal that reports its width, lines otherwise. */
export function autoMode(out: { isTTY?: boolean; columns?: number } = process.stderr): ProgressMode {
  return out.isTTY && (out.columns ?? 0) > 0 ? 'bar' : 'lines';
}

export class Progress {
  /** Bytes confirmed in OSS: uploaded parts plus parts reused from an earlier run. */
  done = 0;
  /** Bytes written for parts still in flight. */
  inflight = 0;
  /** Every byte written to a socket, retries included. */
  sent = 0;
  reusedBytes = 0;
  partsDone = 0;
  partsTotal: number | null = null;
  retries = 0;
  total: number | null;

  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt: number;
  /** (time, bytes moved) samples for a sliding-window rate. */
  private samples: Array<[number, number]> = [];
  private drawnWidth = 0;
  private stopped = false;
  /** The mode in use: a bar needs a known width, so without one it falls back to lines. */
  readonly mode: ProgressMode;

  constructor(private readonly opts: ProgressOptions) {
    this.total = opts.total;
    this.startedAt = this.now();
    this.mode = opts.mode === 'bar' && !((opts.out ?? process.stderr).columns! > 0) ? 'lines' : opts.mode;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private get out() {
    return this.opts.out ?? process.stderr;
  }

  start(): void {
    if (this.mode === 'none' || this.timer) return;
    const interval = this.mode === 'bar' ? (this.opts.barIntervalMs ?? 250) : (this.opts.lineIntervalMs ?? 10_000);
    this.timer = setInterval(() => this.render(), interval);
    this.timer.unref();
  }

  /** Stops redrawing; prints a last line (the bar's final state, or a final plain line). */
  stop(finalLine = true): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.mode === 'none' || this.stopped) return;
    this.stopped = true;
    if (finalLine) this.render();
    if (this.mode === 'bar' && this.drawnWidth > 0) {
      this.out.write('\n');
      this.drawnWidth = 0;
    }
  }

  bytesWritten(n: number): void {
    this.inflight += n;
    this.sent += n;
  }

  partUploaded(length: number, bytesOfAttempt: number): void {
    this.inflight -= bytesOfAttempt;
    this.done += length;
    this.partsDone++;
  }

  attemptFailed(bytesOfAttempt: number): void {
    this.inflight -= bytesOfAttempt;
    this.retries++;
  }

  partReused(length: number): void {
    this.done += length;
    this.reusedBytes += length;
    this.partsDone++;
  }

  /** Upload rate over the last ~10 s (reused bytes excluded), bytes/s. */
  rate(): number {
    const t = this.now();
    const moved = this.done - this.reusedBytes + this.inflight;
    this.samples.push([t, moved]);
    while (this.samples.length > 2 && t - this.samples[0][0] > 10_000) this.samples.shift();
    const [t0, b0] = this.samples[0];
    if (t - t0 < 200) {
      const elapsed = (t - this.startedAt) / 1000;
      return elapsed > 0 ? moved / elapsed : 0;
    }
    return ((moved - b0) * 1000) / (t - t0);
  }

  line(): string {
    const rate = this.rate();
    const shown = this.done + Math.max(0, this.inflight);
    const parts = this.partsTotal !== null ? `parts ${this.partsDone}/${this.partsTotal}` : `parts ${this.partsDone}`;
    const retries = this.retries ? `, ${this.retries} retr${this.retries === 1 ? 'y' : 'ies'}` : '';
    if (this.total === null) {
      return `${this.opts.label}: ${formatBytes(shown)}, ${formatBytes(rate)}/s, ${parts}${retries}`;
    }
    const pct = this.total > 0 ? Math.min(100, (shown / this.total) * 100) : 100;
    const eta = rate > 0 ? formatDuration((this.total - shown) / rate) : '?';
    return `${this.opts.label}: ${pct.toFixed(1)}% ${formatBytes(shown)} of ${formatBytes(this.total)}, ${formatBytes(rate)}/s, ETA ${eta}, ${parts}${retries}`;
  }

  private render(): void {
    if (this.mode === 'lines') {
      this.out.write(`${this.line()}\n`);
      return;
    }
    const columns = this.out.columns ?? 100;
    const text = this.line();
    const barWidth = Math.max(10, Math.min(40, columns - text.length - 4));
    const fraction = this.total ? Math.min(1, (this.done + Math.max(0, this.inflight)) / this.total) : 0;
    const filled = Math.round(barWidth * fraction);
    const bar = this.total === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] `;
    const full = `${bar}${text}`.slice(0, Math.max(20, columns - 1));
    this.out.write(`\r${full}${' '.repeat(Math.max(0, this.drawnWidth - full.length))}`);
    this.drawnWidth = full.length;
  }

  /** Writes a message above the bar (or as a plain line; also with progress off: events still show). */
  note(message: string): void {
    if (this.mode === 'bar' && this.drawnWidth > 0) {
      this.out.write(`\r${' '.repeat(this.drawnWidth)}\r`);
      this.drawnWidth = 0;
    }
    this.out.write(`${message}\n`);
  }
}
