/**
 * The provider exchange log, as RapidPro courier's channel logs: every HTTP exchange with a
 * provider (our requests, its callbacks) with time, method, URL, status, elapsed time and both
 * bodies, redacted (no `key` parameter, no stored secret anywhere), and the messages it
 * concerns. Bodies carry phone numbers and texts: they are served to administrators only and
 * never logged.
 *
 * Exchanges are written in the background, never blocking or failing the exchange itself, and
 * batched: the exchanges recorded while the previous batch was being written go into one
 * document, `sms-exchange:<newest exchange's ISO time>:<random>` of type `sms_exchanges`, so under
 * load a delivery report or an incoming message costs a share of one document write instead of one
 * of its own (a document holds at most 200 exchanges and about 1 MB of bodies; CouchDB refuses
 * documents over `max_document_size`, 8 MB by default). Ids sort by time, so listing newest first
 * and pruning are key ranges; the message index (listings/rows.ts, `x:` rows) finds a message's
 * documents. An exchange's id is its document's suffix and its place in it (`<suffix>.007`).
 * Documents of type `sms_exchange` (one exchange each, id `<suffix>`) from earlier releases are
 * read, listed and pruned alike.
 */
import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../../../shared-libs/couch/index.js';
import { EXCHANGE_DOC_PREFIX } from '../listings/rows.js';
import { Batcher } from '../store/batcher.js';
import { redactExchange } from './exchange-redaction.js';

export interface ExchangeInput {
  /** outgoing: we called the provider; incoming: the provider called us. */
  direction: 'outgoing' | 'incoming';
  service?: string;
  at: Date;
  method: string;
  url: string;
  /** HTTP status; 0 when no answer came (timeout, connection error). */
  status: number;
  elapsedMs: number;
  requestBody?: string;
  responseBody?: string;
  error?: string;
  messageIds?: Iterable<string>;
}

export interface ExchangeView {
  id: string;
  direction: ExchangeInput['direction'];
  service?: string;
  at: string;
  method: string;
  url: string;
  status: number;
  elapsed_ms: number;
  request_body?: string;
  response_body?: string;
  error?: string;
  message_ids: string[];
}

/** One exchange as stored. */
export type ExchangeEntry = Omit<ExchangeView, 'id'>;

/** One exchange per document: the layout of earlier releases, still read. */
export interface ExchangeDoc extends ExchangeEntry {
  _id: string;
  _rev?: string;
  type: 'sms_exchange';
}

/** The exchanges of one written batch, oldest first. */
export interface ExchangeBatchDoc {
  _id: string;
  _rev?: string;
  type: 'sms_exchanges';
  exchanges: ExchangeEntry[];
}

type StoredExchanges = ExchangeDoc | ExchangeBatchDoc;

export const EXCHANGE_PREFIX = EXCHANGE_DOC_PREFIX;
/** Per-message index docs of an older layout: still deleted with their exchange when it is pruned. */
export const EXCHANGE_INDEX_PREFIX = 'sms-exchange-msg:';
const HIGH = '\ufff0';
const DAY_MS = 86_400_000;
/** Exchanges waiting to be written; beyond this (a store far too slow) new ones are dropped and counted. */
const MAX_PENDING = 5000;
/**
 * Documents read at a time (pruning, listing, a message's exchanges): a batch document can hold
 * about 1 MB, so a page stays a few tens of MB at most whatever the traffic was.
 */
const DOC_PAGE = 25;
/** Exchanges per document (the batcher's batch) and, roughly, characters of bodies per document. */
const DOC_EXCHANGES = 200;
const DOC_CHARS = 1_000_000;
const PRUNE_EVERY_MS = 3_600_000;
export const DEFAULT_EXCHANGE_LOG_DAYS = 7;

const indexPrefix = (messageId: string): string => `${EXCHANGE_INDEX_PREFIX}${encodeURIComponent(messageId)}:`;

export interface ExchangeLogOptions {
  now: () => Date;
  /** `sms.exchange_log_days`: how long exchanges are kept; 0 records none. */
  days: () => number;
  /** The stored secrets to redact, read once per written batch. */
  secrets: () => Promise<string[]>;
  logger: Logger;
  /** The ids of the docs of a message's exchanges, oldest first (the message index); undefined: not known yet. */
  exchangesOf?: (messageId: string, limit: number) => Promise<string[] | undefined>;
}

/** The exchanges a stored document holds, with their ids. */
function viewsOf(doc: StoredExchanges): ExchangeView[] {
  const suffix = doc._id.slice(EXCHANGE_PREFIX.length);
  if (doc.type === 'sms_exchanges') {
    const entries = Array.isArray(doc.exchanges) ? doc.exchanges : [];
    return entries.map((e, i) => ({ id: `${suffix}.${String(i).padStart(3, '0')}`, ...e }));
  }
  const { _id: _i, _rev: _r, type: _t, ...rest } = doc;
  return [{ id: suffix, ...rest }];
}

/** The time in a document's id: its newest exchange's `at` (or its only one's). */
function idTime(id: string): string {
  return id.slice(EXCHANGE_PREFIX.length, id.lastIndexOf(':'));
}

/** Newest first; ties by id, newest first. */
const newestFirst = (a: ExchangeView, b: ExchangeView): number =>
  a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

export class ExchangeLog {
  private readonly writes: Batcher<ExchangeInput, undefined>;
  private readonly pending = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  /** Exchanges not recorded because too many were waiting. */
  dropped = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: ExchangeLogOptions,
  ) {
    this.writes = new Batcher((inputs) => this.writeMany(inputs), DOC_EXCHANGES, 1);
  }

  /** Queues one exchange; returns at once. */
  record(input: ExchangeInput): void {
    if (this.opts.days() <= 0) return;
    if (this.pending.size >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    const p: Promise<void> = this.writes
      .submit(input)
      .then(() => undefined)
      .catch((err: unknown) => {
        // The error only: bodies never reach a process log.
        this.opts.logger.warn({ error: err instanceof Error ? err.name : 'unknown' }, 'exchange log write failed');
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves when everything queued so far is written. */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Prunes now and then hourly. */
  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      void this.prune().catch((err: unknown) => {
        this.opts.logger.warn({ error: err instanceof Error ? err.message : 'unknown' }, 'exchange log pruning failed');
      });
    };
    tick();
    this.timer = setInterval(tick, PRUNE_EVERY_MS).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /**
   * Newest first; `since` (ISO time) bounds the oldest. Documents are read newest first by the
   * time in their id, their newest exchange's: once `limit` exchanges are at hand, a document
   * whose newest exchange is older than all of them cannot add any, and reading stops.
   */
  async list(opts: { since?: Date; limit: number }): Promise<ExchangeView[]> {
    if (opts.limit <= 0) return [];
    const since = opts.since?.toISOString() ?? '';
    const found: ExchangeView[] = [];
    let startkey = `${EXCHANGE_PREFIX}${HIGH}`;
    let skip = 0;
    for (;;) {
      // A document holds one exchange or many: read about as many as are still wanted.
      const pageSize = Math.min(DOC_PAGE, Math.max(1, opts.limit - found.length));
      const res = await this.db.allDocs({
        descending: true,
        startkey,
        endkey: `${EXCHANGE_PREFIX}${since}`,
        include_docs: true,
        limit: pageSize,
        skip,
      });
      for (const row of res.rows) {
        if (row.doc) found.push(...viewsOf(row.doc as unknown as StoredExchanges).filter((v) => v.at >= since));
      }
      found.sort(newestFirst);
      // Documents read later can only push these further down: the rest will never be answered.
      if (found.length > opts.limit) found.length = opts.limit;
      const last = res.rows[res.rows.length - 1];
      if (!last || res.rows.length < pageSize) break;
      const kept = found[opts.limit - 1];
      if (kept && idTime(last.id) < kept.at) break;
      startkey = last.id;
      skip = 1;
    }
    return found.slice(0, opts.limit);
  }

  /** The exchanges a message took part in, oldest first. */
  async forMessage(messageId: string, limit = 200): Promise<ExchangeView[]> {
    const keys = (await this.opts.exchangesOf?.(messageId, limit)) ?? [];
    if (keys.length === 0) return [];
    const views: ExchangeView[] = [];
    for (let i = 0; i < keys.length; i += DOC_PAGE) {
      const res = await this.db.allDocs({ keys: keys.slice(i, i + DOC_PAGE), include_docs: true });
      for (const r of res.rows) {
        if (!('doc' in r) || !r.doc) continue;
        views.push(...viewsOf(r.doc as unknown as StoredExchanges).filter((v) => v.message_ids.includes(messageId)));
      }
    }
    return views.sort((a, b) => newestFirst(b, a)).slice(0, limit);
  }

  /** Deletes exchanges older than the kept days (their index rows follow); returns how many. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.opts.now().getTime() - Math.max(0, this.opts.days()) * DAY_MS).toISOString();
    let removed = 0;
    for (;;) {
      const old = await this.db.allDocs({
        startkey: EXCHANGE_PREFIX,
        endkey: `${EXCHANGE_PREFIX}${cutoff}`,
        inclusive_end: false,
        include_docs: true,
        limit: DOC_PAGE,
      });
      if (old.rows.length === 0) return removed;
      const indexIds = old.rows.flatMap((r) => {
        const doc = r.doc as unknown as StoredExchanges | undefined;
        if (doc?.type !== 'sms_exchange') return [];
        const suffix = r.id.slice(EXCHANGE_PREFIX.length);
        return (doc.message_ids ?? []).map((m) => `${indexPrefix(m)}${suffix}`);
      });
      const index = indexIds.length ? (await this.db.allDocs({ keys: indexIds })).rows : [];
      const live = index.flatMap((r) =>
        'value' in r && r.value && !r.value.deleted ? [{ id: r.id, rev: r.value.rev }] : [],
      );
      const deletes = [
        ...live.map((r) => ({ _id: r.id, _rev: r.rev, _deleted: true })),
        ...old.rows.map((r) => ({ _id: r.id, _rev: r.value.rev, _deleted: true })),
      ];
      await this.db.bulkDocs(deletes);
      for (const r of old.rows) removed += r.doc ? viewsOf(r.doc as unknown as StoredExchanges).length : 1;
      if (old.rows.length < DOC_PAGE) return removed;
    }
  }

  private async writeMany(inputs: ExchangeInput[]): Promise<undefined[]> {
    const secrets = await this.opts.secrets();
    const docs: ExchangeBatchDoc[] = [];
    let entries: ExchangeEntry[] = [];
    let chars = 0;
    const close = (): void => {
      if (entries.length === 0) return;
      const newest = entries.reduce((max, e) => (e.at > max ? e.at : max), '');
      docs.push({
        _id: `${EXCHANGE_PREFIX}${newest}:${crypto.randomBytes(4).toString('hex')}`,
        type: 'sms_exchanges',
        exchanges: entries,
      });
      entries = [];
      chars = 0;
    };
    for (const input of inputs) {
      const entry = this.toEntry(input, secrets);
      const size = (entry.request_body?.length ?? 0) + (entry.response_body?.length ?? 0) + entry.url.length;
      if (entries.length > 0 && chars + size > DOC_CHARS) close();
      entries.push(entry);
      chars += size;
    }
    close();
    const results = await this.db.bulkDocs(docs as unknown as PouchDB.Core.PutDocument<object>[]);
    const failed = results.filter((r) => 'error' in r && r.error).length;
    if (failed > 0) throw new Error(`${failed} of ${docs.length} exchange log docs could not be written`);
    return inputs.map(() => undefined);
  }

  private toEntry(input: ExchangeInput, secrets: readonly string[]): ExchangeEntry {
    const redacted = redactExchange(input, secrets);
    return {
      direction: input.direction,
      ...(input.service ? { service: input.service } : {}),
      at: input.at.toISOString(),
      method: input.method,
      url: redacted.url,
      status: input.status,
      elapsed_ms: Math.round(input.elapsedMs),
      ...(redacted.requestBody !== undefined ? { request_body: redacted.requestBody } : {}),
      ...(redacted.responseBody !== undefined ? { response_body: redacted.responseBody } : {}),
      ...(redacted.error !== undefined ? { error: redacted.error } : {}),
      message_ids: [...new Set(input.messageIds ?? [])],
    };
  }
}
