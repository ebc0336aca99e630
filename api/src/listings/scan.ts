/**
 * Reading the message index: key ranges read a chunk at a time (each chunk starts after the last
 * key read, so nothing is skipped or read twice),
 * bucketed series read hour by hour over the hours that hold rows, and several ranges of one key
 * space merged into one ordered stream.
 */
import type { Buckets } from './buckets.js';
import type { IndexStore, KeyRange } from './index-store.js';
import { HIGH, HOUR_MS, splitRow, time13, type RowBody } from './rows.js';

/** One index row as a listing sees it. */
export interface Hit extends RowBody {
  /** `<time>:<tie-break>`: the position in the listing, shared by every range of one key space. */
  key: string;
  /** Data after the key (a number's digits). */
  extra?: string;
}

export interface RangeSpec {
  prefix: string;
  descending: boolean;
  /** Keys at or above this are left out (exclusive). */
  hi?: string;
  /** Keys below this are left out (inclusive lower bound). */
  lo?: string;
  /** Rows read per chunk. */
  chunk: number;
}

const maxKey = (a: string | undefined, b: string): string => (a !== undefined && a > b ? a : b);
const minKey = (a: string | undefined, b: string): string => (a !== undefined && a < b ? a : b);

/** The rows of one key range, in order. */
export async function* rangeRows(store: IndexStore, spec: RangeSpec): AsyncGenerator<Hit> {
  const { prefix, descending, hi, lo } = spec;
  // Rows may carry data after their key (rows.ts: EXTRA), so a row whose key equals `hi` sorts
  // above `prefix + hi`: the bounds are checked again on each key.
  const low = prefix + (lo ?? '');
  const high = prefix + (hi ?? HIGH);
  let after: string | undefined;
  for (;;) {
    const range: KeyRange = descending
      ? { gte: low, lt: after ?? high, reverse: true }
      : { ...(after === undefined ? { gte: low } : { gt: after }), lt: high };
    const rows = await store.entries<RowBody>({ ...range, limit: spec.chunk });
    for (const [id, body] of rows) {
      const { key, extra } = splitRow(id, prefix);
      if ((hi !== undefined && key >= hi) || (lo !== undefined && key < lo)) continue;
      yield { key, ...(extra !== undefined ? { extra } : {}), d: body.d, ...(body.u ? { u: body.u } : {}) };
    }
    const last = rows[rows.length - 1];
    if (rows.length < spec.chunk || !last) return;
    after = last[0];
  }
}

const hourOfKey = (key: string): number => Math.floor(Number(key.slice(0, 13)) / HOUR_MS);

/**
 * The rows of a range whose series is counted per hour: only hours holding rows are read, so the
 * tombstones of rows that left (every message leaves `pending`) are never walked through.
 */
export async function* bucketedRows(
  store: IndexStore,
  buckets: Buckets,
  series: string,
  spec: RangeSpec,
): AsyncGenerator<Hit> {
  const hours = buckets.hours(series, {
    ...(spec.lo !== undefined ? { from: hourOfKey(spec.lo) } : {}),
    ...(spec.hi !== undefined ? { to: hourOfKey(spec.hi) } : {}),
    descending: spec.descending,
  });
  for (const h of hours) {
    const lo = maxKey(spec.lo, time13(h * HOUR_MS));
    const hi = minKey(spec.hi, time13((h + 1) * HOUR_MS));
    if (lo >= hi) continue;
    yield* rangeRows(store, { ...spec, lo, hi });
  }
}

/** Several ranges of one key space as one stream, in key order (each key appears in one range). */
export class MergedRows {
  private readonly heads: Array<{ it: AsyncGenerator<Hit>; head?: Hit; done: boolean }>;
  private primed = false;

  constructor(
    sources: AsyncGenerator<Hit>[],
    private readonly descending: boolean,
  ) {
    this.heads = sources.map((it) => ({ it, done: false }));
  }

  private async prime(): Promise<void> {
    if (this.primed) return;
    this.primed = true;
    await Promise.all(this.heads.map((h) => this.pull(h)));
  }

  private async pull(h: (typeof this.heads)[number]): Promise<void> {
    const r = await h.it.next();
    h.head = r.done ? undefined : r.value;
    h.done = !!r.done;
  }

  private best(): (typeof this.heads)[number] | undefined {
    let best: (typeof this.heads)[number] | undefined;
    for (const h of this.heads) {
      if (!h.head) continue;
      if (!best?.head || (this.descending ? h.head.key > best.head.key : h.head.key < best.head.key)) best = h;
    }
    return best;
  }

  async peek(): Promise<Hit | undefined> {
    await this.prime();
    return this.best()?.head;
  }

  async next(): Promise<Hit | undefined> {
    await this.prime();
    const h = this.best();
    if (!h?.head) return undefined;
    const hit = h.head;
    await this.pull(h);
    return hit;
  }

  /** Stops the underlying reads. */
  async close(): Promise<void> {
    await Promise.all(this.heads.map((h) => h.it.return(undefined)));
  }
}
