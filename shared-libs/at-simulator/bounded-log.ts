/**
 * An append-only record list bounded to `max` entries (oldest dropped). Trimming happens in
 * batches so a full log costs amortised O(1) per push instead of an O(n) shift each time.
 */
export class BoundedLog<T> {
  private items: T[] = [];

  constructor(private max: number) {}

  setMax(max: number): void {
    this.max = max;
    this.trim(max);
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.max + Math.max(1, Math.floor(this.max / 10))) this.trim(this.max);
  }

  /** A copy of the newest `max` entries, oldest first. */
  list(): T[] {
    return this.items.slice(-this.max);
  }

  clear(): void {
    this.items = [];
  }

  private trim(max: number): void {
    if (this.items.length > max) this.items = this.items.slice(-max);
  }
}
