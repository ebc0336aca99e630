/**
 * Live changes feeds that survive errors, one per database per process. Every write wakes each
 * open `db.changes({live: true})`, and each reads the new changes with its own iterator (and, with
 * include_docs, its own copy of every doc); so followers share ONE live feed per database, fanned
 * out here, each with its own `doc_ids` filter and position. A follower that starts behind the
 * shared feed first catches up with plain (non-live) changes reads, then joins it.
 *
 * PouchDB ends a live feed on the first error (over HTTP: a CouchDB restart, a network blip); the
 * shared one starts again from the last sequence it handled, with backoff, until nobody follows.
 */
import type { Db } from './db.js';

export interface FollowOptions {
  since: string | number;
  include_docs?: boolean;
  doc_ids?: string[];
  onChange(change: PouchDB.Core.ChangesResponseChange<object>): void;
  onError?(err: unknown, retryInMs: number): void;
  /** First retry delay; doubles up to 30 s. */
  retryMs?: number;
}

export interface Follower {
  cancel(): void;
  /** The last sequence handled. */
  seq(): string | number;
}

type Change = PouchDB.Core.ChangesResponseChange<object>;

/**
 * Changes read per catch-up request, and at most per request of the live feed. Passed as
 * `batch_size` too: over HTTP, PouchDB's adapter otherwise asks CouchDB for 25 changes a request
 * (`CHANGES_BATCH_SIZE` in pouchdb-adapter-http), one round trip per 25 changes under a burst.
 */
const CATCH_UP_PAGE = 500;

interface Subscriber {
  opts: FollowOptions;
  ids?: Set<string>;
  since: string | number;
  /** Live changes that arrived while the subscriber was catching up. */
  buffer?: Change[];
  cancelled: boolean;
}

class SharedFeed {
  private feed?: PouchDB.Core.Changes<object>;
  private feedDocs = false;
  private since: string | number = 'now';
  private timer?: NodeJS.Timeout;
  private delay = 500;
  readonly subs = new Set<Subscriber>();

  constructor(
    private readonly db: Db,
    private readonly onEmpty: () => void,
  ) {}

  add(sub: Subscriber): void {
    const first = this.subs.size === 0 && !this.feed;
    this.subs.add(sub);
    if (first) {
      // The first follower sets where the shared feed starts: no catch-up needed.
      this.since = sub.since;
      this.start();
      return;
    }
    if (sub.opts.include_docs && !this.feedDocs) this.start();
    if (sub.since !== 'now' && sub.since !== this.since) void this.catchUp(sub);
  }

  remove(sub: Subscriber): void {
    sub.cancelled = true;
    this.subs.delete(sub);
    if (this.subs.size > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.feed?.cancel();
    this.feed = undefined;
    this.onEmpty();
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.feed?.cancel();
    this.feed = undefined;
    if (this.subs.size === 0) return;
    this.feedDocs = [...this.subs].some((s) => s.opts.include_docs);
    const feed = this.db.changes({
      live: true,
      since: this.since,
      batch_size: CATCH_UP_PAGE,
      ...(this.feedDocs ? { include_docs: true } : {}),
    });
    this.feed = feed;
    void feed
      .on('change', (c: Change) => {
        if (this.feed !== feed) return;
        this.since = c.seq;
        this.delay = 500;
        for (const sub of this.subs) {
          if (sub.buffer) sub.buffer.push(c);
          else deliver(sub, c);
        }
      })
      .on('error', (err: unknown) => {
        if (this.feed !== feed || this.subs.size === 0) return;
        this.feed = undefined;
        const delay = this.delay;
        for (const sub of this.subs) sub.opts.onError?.(err, delay);
        this.timer = setTimeout(() => this.start(), delay);
        this.timer.unref();
        this.delay = Math.min(30_000, delay * 2);
      });
  }

  /** Reads what happened since the subscriber's position, then hands it the live feed. */
  private async catchUp(sub: Subscriber): Promise<void> {
    sub.buffer = [];
    let delay = sub.opts.retryMs ?? 500;
    /** Highest revision generation delivered per doc, so buffered copies of the same change are skipped. */
    const seen = new Map<string, number>();
    while (!sub.cancelled) {
      try {
        const res = await this.db.changes({
          since: sub.since,
          limit: CATCH_UP_PAGE,
          batch_size: CATCH_UP_PAGE,
          ...(sub.opts.include_docs ? { include_docs: true } : {}),
          ...(sub.opts.doc_ids ? { doc_ids: sub.opts.doc_ids } : {}),
        });
        for (const c of res.results) {
          if (sub.cancelled) return;
          seen.set(c.id, Math.max(seen.get(c.id) ?? 0, generation(c)));
          deliver(sub, c);
        }
        sub.since = res.last_seq;
        if (res.results.length < CATCH_UP_PAGE) break;
        delay = sub.opts.retryMs ?? 500;
      } catch (err) {
        sub.opts.onError?.(err, delay);
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(30_000, delay * 2);
      }
    }
    const buffered = sub.buffer;
    sub.buffer = undefined;
    for (const c of buffered) {
      if (sub.cancelled) return;
      if (generation(c) > (seen.get(c.id) ?? 0)) deliver(sub, c);
    }
  }
}

/** The generation of a change's revision ("3-abc…" → 3). */
function generation(c: Change): number {
  const rev = c.changes[0]?.rev ?? '';
  return Number.parseInt(rev, 10) || 0;
}

function deliver(sub: Subscriber, c: Change): void {
  if (sub.cancelled || (sub.ids && !sub.ids.has(c.id))) return;
  sub.since = c.seq;
  const change = sub.opts.include_docs || !c.doc ? c : withoutDoc(c);
  try {
    sub.opts.onChange(change);
  } catch (err) {
    // One follower's failure must not stop the others.
    sub.opts.onError?.(err, 0);
  }
}

function withoutDoc(c: Change): Change {
  const copy = { ...c };
  delete copy.doc;
  return copy;
}

const feeds = new WeakMap<Db, SharedFeed>();

export function follow(db: Db, opts: FollowOptions): Follower {
  let shared = feeds.get(db);
  if (!shared) {
    shared = new SharedFeed(db, () => feeds.delete(db));
    feeds.set(db, shared);
  }
  const sub: Subscriber = {
    opts,
    since: opts.since,
    cancelled: false,
    ...(opts.doc_ids ? { ids: new Set(opts.doc_ids) } : {}),
  };
  shared.add(sub);
  const feed = shared;
  return {
    cancel() {
      feed.remove(sub);
    },
    seq: () => sub.since,
  };
}
