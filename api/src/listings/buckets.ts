/**
 * Row counts per (series, hour), kept exactly by the indexer and stored beside the rows in the
 * same atomic write (`b:<series>:<hour>` docs). They answer the counts endpoint without reading
 * rows, and let scans skip hours with no live row: a state such as `pending` is left by every
 * message, and the tombstones of those deleted rows would otherwise be read by each scan.
 */
import { HOUR_MS } from './rows.js';

export const BUCKET_PREFIX = 'b:';

export interface BucketDoc {
  _id: string;
  _rev?: string;
  n: number;
}

interface Slot {
  n: number;
  rev?: string;
}

class Series {
  readonly slots = new Map<number, Slot>();
  /** Hours with n > 0, ascending. */
  readonly hours: number[] = [];
  total = 0;

  add(hour: number, delta: number): void {
    const slot = this.slots.get(hour) ?? { n: 0 };
    const before = slot.n;
    slot.n += delta;
    this.slots.set(hour, slot);
    this.total += delta;
    if (before <= 0 && slot.n > 0) this.hours.splice(lowerBound(this.hours, hour), 0, hour);
    if (before > 0 && slot.n <= 0) this.hours.splice(lowerBound(this.hours, hour), 1);
  }
}

/** First index whose value is >= x. */
function lowerBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const bucketId = (series: string, hour: number): string => `${BUCKET_PREFIX}${series}:${hour}`;

export class Buckets {
  private readonly series = new Map<string, Series>();
  private readonly dirty = new Set<string>();

  /** Loads the stored counts (the docs of a `b:` range). */
  static from(docs: BucketDoc[]): Buckets {
    const b = new Buckets();
    for (const doc of docs) {
      const rest = doc._id.slice(BUCKET_PREFIX.length);
      const at = rest.lastIndexOf(':');
      const s = b.seriesOf(rest.slice(0, at));
      const hour = Number(rest.slice(at + 1));
      s.add(hour, doc.n);
      (s.slots.get(hour) as Slot).rev = doc._rev;
    }
    return b;
  }

  private seriesOf(name: string): Series {
    let s = this.series.get(name);
    if (!s) {
      s = new Series();
      this.series.set(name, s);
    }
    return s;
  }

  add(series: string, hour: number, delta: number): void {
    this.seriesOf(series).add(hour, delta);
    this.dirty.add(`${series}\n${hour}`);
  }

  total(series: string): number {
    return this.series.get(series)?.total ?? 0;
  }

  /** Every series name with its total. */
  totals(): Map<string, number> {
    return new Map([...this.series.entries()].map(([k, s]) => [k, s.total]));
  }

  /** Rows of the series in hours before `hour`. */
  countBefore(series: string, hour: number): number {
    const s = this.series.get(series);
    if (!s) return 0;
    let n = 0;
    for (const h of s.hours) {
      if (h >= hour) break;
      n += (s.slots.get(h) as Slot).n;
    }
    return n;
  }

  /** A copy of the hours holding rows within [from, to] (either end open), in scan order. */
  hours(series: string, opts: { from?: number; to?: number; descending: boolean }): number[] {
    const all = this.series.get(series)?.hours ?? [];
    const lo = opts.from === undefined ? 0 : lowerBound(all, opts.from);
    const hi = opts.to === undefined ? all.length : lowerBound(all, opts.to + 1);
    const out = all.slice(lo, hi);
    return opts.descending ? out.reverse() : out;
  }

  /** The changed counts as docs to write with the rows. */
  dirtyDocs(): BucketDoc[] {
    return [...this.dirty].map((k) => {
      const [series, h] = k.split('\n') as [string, string];
      const slot = this.series.get(series)?.slots.get(Number(h)) as Slot;
      return { _id: bucketId(series, Number(h)), ...(slot.rev ? { _rev: slot.rev } : {}), n: slot.n };
    });
  }

  /** After the write: the new revisions of the docs `dirtyDocs` gave. */
  committed(revs: Map<string, string>): void {
    for (const k of this.dirty) {
      const [series, h] = k.split('\n') as [string, string];
      const slot = this.series.get(series)?.slots.get(Number(h));
      const rev = revs.get(bucketId(series, Number(h)));
      if (slot && rev) slot.rev = rev;
    }
    this.dirty.clear();
  }
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);
