/**
 * Per-trace mutual exclusion within this process: a batch reads the stored rows of its traces, merges
 * and writes them while holding their locks, so two concurrent batches updating the same observation
 * (an SDK with flushAt 1 sends create and update in parallel requests) cannot lose each other's fields.
 * Keys are taken in sorted order, so batches sharing several traces cannot deadlock. Only keys that
 * are held or awaited are kept in memory.
 */
export class TraceLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Wait for all keys; the returned function releases them. */
  async acquire(keys: Iterable<string>): Promise<() => void> {
    const releases: (() => void)[] = [];
    for (const key of [...new Set(keys)].sort()) releases.push(await this.one(key));
    return () => {
      for (const r of releases) r();
    };
  }

  private async one(key: string): Promise<() => void> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }

  get held(): number {
    return this.tails.size;
  }
}
