/**
 * A bounded set of recently applied event ids (least recently used evicted first), so an SDK that
 * resends a batch after a timeout does not apply its events twice. Per process: another instance
 * behind a load balancer has its own set (a resent update is still harmless: merging it again gives
 * the same row).
 */
export class RecentIds {
  private readonly ids = new Map<string, true>();

  constructor(readonly capacity = 100_000) {}

  has(id: string): boolean {
    if (!this.ids.has(id)) return false;
    this.ids.delete(id);
    this.ids.set(id, true);
    return true;
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    while (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next().value as string;
      this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}
