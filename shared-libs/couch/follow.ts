/**
 * Live changes feeds that survive errors, one per database per process. Every write wakes each
 * open `db.changes({live: true})`, and each reads the new changes with its own iterator (and, with
 * include_docs, its own copy of every doc); so followers share ONE live feed per database, fanned
 * out here, each with its own `doc_ids` filter and position. A follower that starts behind the
 * shared feed first catches up with plain (non-live) changes reads, then joins it.
 *
 * PouchDB ends a live feed on the first error (over HTTP: a CouchDB restart, a network blip); the
 * shared one starts again from the last sequence it handled, with backoff, until nobody follows.
 *
 * A database whose writes all go through one handle of this process (the embedded store: the
 * process holds the LevelDB lock) can be given a WriteSource (`followWrites`): followers are then
 * told of each write as it is made instead of reading it back. PouchDB's LevelDB adapter answers
 * every wake-up of a live feed with a new iterator over its by-sequence store and a metadata read
 * per change, a large share of the work of a write. The changes feed is still read to catch up
 * from a follower's starting point, and after a write the source could not see (a replicated
 * revision, `new_edits: false`).
 */
import type { Db } from './db.js';
import { seqNumber } from './seq.js';

export interface FollowOptions {
  since: string | number;
  include_docs?: boolean;
  doc_ids?: string[];
  onChange(change: PouchDB.Core.ChangesResponseChange<object>): void;
  /**
   * The changes of one write told by a WriteSource (all docs of one `bulkDocs`, those passing
   * `doc_ids`); without it each goes to `onChange`. Their `seq` is the follower's last feed position.
   */
  onWrite?(changes: PouchDB.Core.ChangesResponseChange<object>[]): void;
  onError?(err: unknown, retryInMs: number): void;
  /** First retry delay; doubles up to 30 s. */
  retryMs?: number;
}

export interface Follower {
  cancel(): void;
  /** A sequence up to which every change has been handed to the follower (a safe checkpoint). */
  position(): Promise<string | number>;
}

type Change = PouchDB.Core.ChangesResponseChange<object>;

/** The writes made through a database handle, told as they are made (see the top of this file). */
export interface WriteSource {
  /** `onWrite` after each write, before the writer's call resolves; `onUnseen` after one it could not tell. */
  subscribe(listener: { onWrite(changes: Change[]): void; onUnseen(): void }): () => void;
  /** A sequence up to which every write the source could tell has been told to its listeners. */
  settledSeq(): Promise<string | number>;
  /** How many writes it could not tell, so far. */
  unseen(): number;
}

const sources = new WeakMap<Db, WriteSource>();

/** From now on, followers of `db` are told of its writes by `source` rather than a live feed. */
export function followWrites(db: Db, source: WriteSource): void {
  sources.set(db, source);
}

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
    const seen = new Map<string, number>();
    await readToEnd(this.db, sub, seen);
    const buffered = sub.buffer;
    sub.buffer = undefined;
    for (const c of buffered) {
      if (sub.cancelled) return;
      if (generation(c) > (seen.get(c.id) ?? 0)) deliver(sub, c);
    }
  }
}

/**
 * Reads the feed from the subscriber's position to its end, a page at a time, handing each change
 * over and noting in `seen` the highest revision generation delivered per doc (so buffered copies
 * of the same change can be skipped). Retries with backoff; stops when the subscriber cancels.
 */
async function readToEnd(db: Db, sub: Subscriber, seen: Map<string, number>): Promise<void> {
  let delay = sub.opts.retryMs ?? 500;
  while (!sub.cancelled) {
    try {
      const res = await db.changes({
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
      if (res.results.length < CATCH_UP_PAGE) return;
      delay = sub.opts.retryMs ?? 500;
    } catch (err) {
      sub.opts.onError?.(err, delay);
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(30_000, delay * 2);
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
  const source = sources.get(db);
  if (source) return new WriteFollower(db, source, opts);
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
    position: () => Promise.resolve(sub.since),
  };
}

/**
 * A follower told of writes by a WriteSource: it reads the changes feed from its starting point
 * (and again after a write the source could not tell), holding told writes back meanwhile so
 * they arrive in order, then takes them as they come.
 */
class WriteFollower implements Follower {
  private readonly sub: Subscriber;
  private readonly unsubscribe: () => void;
  private reading?: Promise<void>;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly source: WriteSource,
    opts: FollowOptions,
  ) {
    this.sub = { opts, since: opts.since, cancelled: false, ...(opts.doc_ids ? { ids: new Set(opts.doc_ids) } : {}) };
    this.unsubscribe = source.subscribe({
      onWrite: (changes) => this.told(changes),
      onUnseen: () => void this.read(),
    });
    void this.read();
  }

  cancel(): void {
    this.sub.cancelled = true;
    this.unsubscribe();
  }

  /** Where the feed would have to be read from: moved up to `settledSeq()` unless a write went unseen. */
  async position(): Promise<string | number> {
    const unseen = this.source.unseen();
    const seq = await this.source.settledSeq();
    if (!this.reading && this.source.unseen() === unseen && seqNumber(seq) > seqNumber(this.sub.since))
      this.sub.since = seq;
    return this.sub.since;
  }

  private told(changes: Change[]): void {
    const sub = this.sub;
    if (sub.cancelled) return;
    const wanted = sub.ids ? changes.filter((c) => sub.ids?.has(c.id)) : changes;
    if (wanted.length === 0) return;
    const out = wanted.map((c) => ({
      ...(sub.opts.include_docs || !c.doc ? c : withoutDoc(c)),
      seq: sub.since,
    }));
    if (sub.buffer) {
      sub.buffer.push(...out);
      return;
    }
    try {
      if (sub.opts.onWrite) sub.opts.onWrite(out);
      else for (const c of out) sub.opts.onChange(c);
    } catch (err) {
      sub.opts.onError?.(err, 0);
    }
  }

  /** Reads the feed from the follower's position to the end; told writes wait in the buffer meanwhile. */
  private read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    const sub = this.sub;
    sub.buffer ??= [];
    this.reading = (async () => {
      const seen = new Map<string, number>();
      if (sub.since === 'now') sub.since = (await this.db.info()).update_seq;
      do {
        this.again = false;
        await readToEnd(this.db, sub, seen);
      } while (this.again && !sub.cancelled);
      const buffered = sub.buffer ?? [];
      sub.buffer = undefined;
      const fresh = buffered.filter((c) => generation(c) > (seen.get(c.id) ?? 0));
      if (fresh.length > 0) this.told(fresh.map((c) => ({ ...c, seq: sub.since })));
    })().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }
}
