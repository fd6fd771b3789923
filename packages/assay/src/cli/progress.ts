/**
 * A one-line progress display on stderr, shared by every long-running command (model downloads,
 * `assay kb add`): on a TTY a bar redrawn in place (at most every 100 ms); otherwise — a log file,
 * CI — plain lines, one each time another `everyPercent` of the work is done, so logs stay short.
 */

export interface ProgressOptions {
  /** Shown before the bar on a TTY (e.g. the file or knowledge base name). */
  label: string;
  /** Text after the percentage on a TTY, e.g. "12.3/45.0 MB 3.1 MB/s" or "20/50 files". */
  detail?: (done: number, total: number, elapsedS: number) => string;
  /** The plain line written when stderr is not a TTY; `pct` is rounded down to a multiple of everyPercent. */
  line: (done: number, total: number, pct: number) => string;
  /** Not a TTY: write a line each time this many more percent are done (default 10; 0 = every update). */
  everyPercent?: number;
  /** Default process.stderr. */
  stream?: { write(s: string): unknown; isTTY?: boolean };
}

const WIDTH = 24;
const REDRAW_MS = 100;

export class ProgressBar {
  private lastDraw = 0;
  private lastStep = -1;
  private drawn = false;
  private readonly t0 = Date.now();
  private readonly stream: NonNullable<ProgressOptions['stream']>;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
  }

  get tty(): boolean {
    return this.stream.isTTY === true;
  }

  update(done: number, total: number): void {
    const pct = total > 0 ? Math.min(100, (done / total) * 100) : 0;
    if (this.tty) {
      const now = Date.now();
      if (now - this.lastDraw < REDRAW_MS && done < total) return;
      this.lastDraw = now;
      const filled = Math.round((pct / 100) * WIDTH);
      const detail = this.opts.detail?.(done, total, Math.max(0.001, (now - this.t0) / 1000));
      this.stream.write(`\r${this.opts.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${pct.toFixed(0).padStart(3)}%${detail ? ` ${detail}` : ''}\x1b[K`);
      this.drawn = true;
      return;
    }
    const every = this.opts.everyPercent ?? 10;
    const step = every > 0 ? Math.floor(pct / every) : done;
    if (step === this.lastStep) return;
    this.lastStep = step;
    this.stream.write(`${this.opts.line(done, total, every > 0 ? step * every : Math.floor(pct))}\n`);
  }

  /** Ends the bar's line on a TTY (marking a failure); plain output needs no ending. */
  done(ok: boolean): void {
    if (this.drawn) this.stream.write(ok ? '\n' : ' (failed)\n');
    this.drawn = false;
  }
}
