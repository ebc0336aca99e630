/**
 * Priority lanes for the outbox's queues. A message created on its own (a reply, an alert) is
 * `high`, a large request is `bulk`, anything else (CHT's own messages included) `normal`.
 * Lanes are served by smooth weighted round robin (as nginx balances upstreams): a lane that was
 * idle is served at the very next turn, so a new high-priority message overtakes a queue of
 * thousands, while every busy lane keeps its share of the turns (bulk 2 in 10 when all three are
 * busy): bulk slows down under a stream of alerts, but it never stops.
 */

export const PRIORITIES = ['high', 'normal', 'bulk'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Turns out of 10 each lane gets while all three have work. */
export const LANE_WEIGHTS: Readonly<Record<Priority, number>> = { high: 5, normal: 3, bulk: 2 };

/** A task's stored priority; absent or unknown (CHT's own messages) is normal. */
export function priorityOf(task: { priority?: unknown } | undefined): Priority {
  const p = task?.priority;
  return typeof p === 'string' && (PRIORITIES as readonly string[]).includes(p) ? (p as Priority) : 'normal';
}

/** A FIFO that can take from its head cheaply (an index, compacted now and then) and remove from the middle. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns up to `max` items matching `pred`, in order. */
  extract(pred: (item: T) => boolean, max: number): T[] {
    const out: T[] = [];
    if (max <= 0) return out;
    const kept: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (out.length < max && pred(item)) out.push(item);
      else kept.push(item);
    }
    if (out.length > 0) {
      this.items = kept;
      this.head = 0;
    }
    return out;
  }

  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
}

export class Lanes<T> {
  private readonly lanes: Record<Priority, Fifo<T>> = { high: new Fifo(), normal: new Fifo(), bulk: new Fifo() };
  /** Smooth weighted round robin: each busy lane gains its weight per turn; the richest is served. */
  private readonly credit: Record<Priority, number> = { high: 0, normal: 0, bulk: 0 };

  get size(): number {
    return this.lanes.high.size + this.lanes.normal.size + this.lanes.bulk.size;
  }

  sizeOf(priority: Priority): number {
    return this.lanes[priority].size;
  }

  push(item: T, priority: Priority): void {
    this.lanes[priority].push(item);
  }

  /** The next item by weighted turns; undefined when empty. */
  shift(): T | undefined {
    let best: Priority | undefined;
    let total = 0;
    for (const p of PRIORITIES) {
      if (this.lanes[p].size === 0) {
        // An idle lane neither saves up turns nor owes any.
        this.credit[p] = 0;
        continue;
      }
      this.credit[p] += LANE_WEIGHTS[p];
      total += LANE_WEIGHTS[p];
      if (best === undefined || this.credit[p] > this.credit[best]) best = p;
    }
    if (best === undefined) return undefined;
    this.credit[best] -= total;
    return this.lanes[best].shift();
  }

  /** Up to `n` items by weighted turns. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n) {
      const item = this.shift();
      if (item === undefined) break;
      out.push(item);
    }
    return out;
  }

  /** Removes up to `max` items matching `pred`, higher lanes first (they ride along a request already going). */
  extract(pred: (item: T) => boolean, max: number): T[] {
    const out: T[] = [];
    for (const p of PRIORITIES) out.push(...this.lanes[p].extract(pred, max - out.length));
    return out;
  }

  /** Everything, highest lane first. */
  drain(): T[] {
    return PRIORITIES.flatMap((p) => this.lanes[p].drain());
  }
}
