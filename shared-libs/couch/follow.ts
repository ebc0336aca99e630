/**
 * A live changes feed that survives errors. PouchDB ends a live feed on the first error (over
 * HTTP: a CouchDB restart, a network blip); this one starts again from the last sequence it
 * handled, with backoff, until cancelled.
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

export function follow(db: Db, opts: FollowOptions): Follower {
  let since = opts.since;
  let feed: PouchDB.Core.Changes<object> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  let delay = opts.retryMs ?? 500;

  const start = (): void => {
    if (cancelled) return;
    feed = db
      .changes({ live: true, since, ...(opts.include_docs ? { include_docs: true } : {}), ...(opts.doc_ids ? { doc_ids: opts.doc_ids } : {}) })
      .on('change', (c) => {
        since = c.seq;
        delay = opts.retryMs ?? 500;
        opts.onChange(c);
      })
      .on('error', (err) => {
        if (cancelled) return;
        opts.onError?.(err, delay);
        timer = setTimeout(start, delay);
        timer.unref();
        delay = Math.min(30_000, delay * 2);
      });
  };
  start();
  return {
    cancel() {
      cancelled = true;
      if (timer) clearTimeout(timer);
      feed?.cancel();
    },
    seq: () => since,
  };
}
