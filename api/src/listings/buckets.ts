/**
 * Row counts per (series, hour), kept exactly by the indexer and stored beside the rows in the
 * same atomic write (`b:<series>:<hour>` keys). They answer the counts endpoint without reading
 * rows, and let scans skip hours with no live row: a state such as `pending` is left by every
 * message, and until LevelDB compacts them the deletions of those rows are stepped over by each
 * scan that crosses them.
 */
import { HOUR_MS } from './rows.js';

export const BUCKET_PREFIX = 'b:';

class Series {
  /** Rows per hour. */
  readonly counts = new Map<number, number>();
  /** Hours with rows, ascending. */
  readonly hours: number[] = [];
  total = 0;

  add(hour: number, delta: number): void {
    const before = this.counts.get(hour) ?? 0;
    const after = before + delta;
    this.counts.set(hour, after);
    this.total += delta;
    if (before <= 0 && after > 0) this.hours.splice(lowerBound(this.hours, hour), 0, hour);
    if (before > 0 && after <= 0) this.hours.splice(lowerBound(this.hours, hour), 1);
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

  /** Loads the stored counts (the entries of the `b:` range). */
  static from(entries: Array<[string, number]>): Buckets {
    const b = new Buckets();
    for (const [key, n] of entries) {
      const rest = key.slice(BUCKET_PREFIX.length);
      const at = rest.lastIndexOf(':');
      b.seriesOf(rest.slice(0, at)).add(Number(rest.slice(at + 1)), n);
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
      n += s.counts.get(h) ?? 0;
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

  /** The counts changed since the last call, as entries to write with the rows (0: delete). */
  takeDirty(): Array<[string, number]> {
    const out = [...this.dirty].map((k): [string, number] => {
      const [series, h] = k.split('\n') as [string, string];
      return [bucketId(series, Number(h)), this.series.get(series)?.counts.get(Number(h)) ?? 0];
    });
    this.dirty.clear();
    return out;
  }
}

export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS);
