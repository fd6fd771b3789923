/**
 * Runs a task every `intervalMs`, never two at once: the next run is scheduled when the current one
 * ends (a run longer than the interval delays the next instead of overlapping it). A run that throws
 * is logged; the schedule goes on.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Run now, unless a run is under way (then wait for that one). */
  runNow(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.task();
      } catch (err) {
        this.log(`scheduled run failed: ${(err as Error).message}`);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Stops the schedule and waits for a run under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNow().then(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }
}
