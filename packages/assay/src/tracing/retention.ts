/**
 * Retention: observations and scores older than `governance.retention_days` are deleted on a
 * schedule, a day of data per statement so no transaction grows with the backlog.
 */
import type { Store } from '../store/index.js';

const DAY = 86_400_000;

export interface RetentionResult {
  cutoff: number;
  observations: number;
  scores: number;
}

export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionResult> | null = null;

  constructor(
    private readonly store: Store,
    private readonly days: number,
    private readonly intervalMs: number,
    private readonly log: (msg: string) => void = () => undefined,
  ) {}

  start(): void {
    const tick = () => {
      this.runOnce().catch((err: Error) => this.log(`retention run failed: ${err.message}`));
    };
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    setImmediate(tick);
  }

  /** Delete everything older than the retention period now. Runs never overlap. */
  runOnce(now = Date.now()): Promise<RetentionResult> {
    this.running ??= this.run(now - this.days * DAY).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(cutoff: number): Promise<RetentionResult> {
    const result: RetentionResult = { cutoff, observations: 0, scores: 0 };
    const db = this.store.db.kysely;
    const oldest = await db.selectFrom('observations').select((eb) => eb.fn.min('start_time').as('t')).executeTakeFirst();
    for (let upTo = Math.min(cutoff, Number(oldest?.t ?? cutoff) + DAY); ; upTo = Math.min(cutoff, upTo + DAY)) {
      const r = await db.deleteFrom('observations').where('start_time', '<', upTo).executeTakeFirst();
      result.observations += Number(r.numDeletedRows);
      if (upTo >= cutoff) break;
    }
    const s = await db.deleteFrom('scores').where('timestamp', '<', cutoff).executeTakeFirst();
    result.scores = Number(s.numDeletedRows);
    if (result.observations || result.scores) {
      this.log(`retention: deleted ${result.observations} observations and ${result.scores} scores older than ${new Date(cutoff).toISOString()}`);
    }
    return result;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
