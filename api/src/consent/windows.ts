/**
 * The counters behind the duplicate and per-recipient guards, as docs in the store so they
 * survive restarts and hold for every instance on one CouchDB (CHT keeps its duplicate history
 * in one process's memory: cht-core shared-libs/transitions/src/lib/history.js).
 *
 * - `sms-duplicate-window:<duplicateKey(to, text)>` `{count, last}`: CHT's rule, a pair is
 *   forgotten 30 minutes after the last message for it; every message counts, duplicates too.
 * - `sms-recipient-window:<number>` `{times}`: when the messages allowed to that number were
 *   created, at most `max` of them, trimmed to the window.
 *
 * Both are updated with a compare-and-swap (store/keyed-docs.ts). Expired docs are purged.
 */
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import {
  DUPLICATE_WINDOW_MS,
  duplicateKey,
  recipientLimitReason,
  recipientWindowStart,
  type RecipientLimit,
} from '../../../shared-libs/sms-guards/index.js';
import type { KeyedDoc, KeyedUpdate } from '../store/keyed-docs.js';

const DUPLICATE_PREFIX = 'sms-duplicate-window:';
const RECIPIENT_PREFIX = 'sms-recipient-window:';
const PURGE_PAGE = 500;

export interface DuplicateWindowDoc extends KeyedDoc {
  type: 'sms_duplicate_window';
  count: number;
  /** Epoch ms of the last message for the pair. */
  last: number;
}

export interface RecipientWindowDoc extends KeyedDoc {
  type: 'sms_recipient_window';
  /** Epoch ms of the allowed messages in the window, oldest first. */
  times: number[];
}

/** Counts one more message for (to, text); the result is the count including it. */
export function duplicateCount(to: string, text: string, now: number): KeyedUpdate<DuplicateWindowDoc, number> {
  const id = `${DUPLICATE_PREFIX}${duplicateKey(to, text)}`;
  return {
    id,
    apply(current) {
      const fresh = !current || now - current.last > DUPLICATE_WINDOW_MS;
      const count = fresh ? 1 : current.count + 1;
      return {
        next: { _id: id, type: 'sms_duplicate_window', count, last: Math.max(now, current?.last ?? 0) },
        result: count,
      };
    },
  };
}

/**
 * Counts one more message to `to` unless the cap is reached; the result is why it may not go,
 * or null (then it was counted).
 */
export function recipientCount(
  to: string,
  limit: RecipientLimit,
  now: number,
): KeyedUpdate<RecipientWindowDoc, string | null> {
  const id = `${RECIPIENT_PREFIX}${to}`;
  return {
    id,
    apply(current) {
      const start = recipientWindowStart(now, limit);
      const times = (current?.times ?? []).filter((t) => t > start);
      const reason = recipientLimitReason(times.length, limit);
      if (reason) return { result: reason };
      times.push(now);
      times.sort((a, b) => a - b);
      return { next: { _id: id, type: 'sms_recipient_window', times: times.slice(-limit.max) }, result: null };
    },
  };
}

/** Deletes window docs nobody needs any more; returns how many. */
export async function purgeWindows(db: Db, now: number, recipientWindowMs: number | undefined): Promise<number> {
  const expired = async (prefix: string, isOld: (doc: KeyedDoc) => boolean): Promise<number> => {
    let removed = 0;
    let startkey = prefix;
    for (;;) {
      const res = await db.allDocs({ startkey, endkey: `${prefix}\ufff0`, limit: PURGE_PAGE + 1, include_docs: true });
      const old = res.rows
        .slice(0, PURGE_PAGE)
        .map((r) => r.doc as unknown as KeyedDoc | undefined)
        .filter((d): d is KeyedDoc => !!d && isOld(d));
      if (old.length > 0) {
        // A conflict means the window was just used again: it stays.
        const results = await db.bulkDocs(old.map((d) => ({ _id: d._id, _rev: d._rev as string, _deleted: true })));
        removed += results.filter((r) => 'ok' in r && r.ok).length;
      }
      if (res.rows.length <= PURGE_PAGE) return removed;
      startkey = res.rows[PURGE_PAGE]?.id as string;
    }
  };
  const duplicates = await expired(DUPLICATE_PREFIX, (d) => now - Number(d.last) > DUPLICATE_WINDOW_MS);
  const recipients = await expired(RECIPIENT_PREFIX, (d) => {
    const times = Array.isArray(d.times) ? (d.times as number[]) : [];
    return recipientWindowMs === undefined || times.every((t) => now - t > recipientWindowMs);
  });
  return duplicates + recipients;
}

/** Purges expired window docs every `everyMs` while started. */
export class WindowJanitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly recipientWindowMs: () => number | undefined,
    private readonly now: () => Date = () => new Date(),
    private readonly everyMs = 10 * 60_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run(), this.everyMs);
    this.timer.unref();
  }

  run(): Promise<void> {
    this.running ??= purgeWindows(this.db, this.now().getTime(), this.recipientWindowMs())
      .then((n) => {
        if (n > 0) this.logger.debug({ removed: n }, 'expired duplicate and recipient windows purged');
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'purging expired guard windows failed; next run retries'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
