/**
 * The provider exchange log, as RapidPro courier's channel logs: every HTTP exchange with a
 * provider (our requests, its callbacks) with time, method, URL, status, elapsed time and both
 * bodies, redacted (no `key` parameter, no stored secret anywhere), and the messages it
 * concerns. Docs `sms-exchange:<ISO time>:<random>` sort by time, so listing newest first and
 * pruning are key ranges; the message index (listings/rows.ts, `x:` rows) finds them per message,
 * so an exchange costs one document write. Writes are batched and never block or fail the
 * exchange itself. Bodies carry phone numbers and texts: they are served to administrators only
 * and never logged.
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

export interface ExchangeDoc extends Omit<ExchangeView, 'id'> {
  _id: string;
  _rev?: string;
  type: 'sms_exchange';
}

export const EXCHANGE_PREFIX = EXCHANGE_DOC_PREFIX;
/** Per-message index docs of an older layout: still deleted with their exchange when it is pruned. */
export const EXCHANGE_INDEX_PREFIX = 'sms-exchange-msg:';
const HIGH = '\ufff0';
const DAY_MS = 86_400_000;
/** Exchanges waiting to be written; beyond this (a store far too slow) new ones are dropped and counted. */
const MAX_PENDING = 5000;
const PRUNE_PAGE = 500;
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

function toView(doc: ExchangeDoc): ExchangeView {
  const { _id, _rev: _r, type: _t, ...rest } = doc;
  return { id: _id.slice(EXCHANGE_PREFIX.length), ...rest };
}

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
    this.writes = new Batcher((inputs) => this.writeMany(inputs), 200, 1);
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

  /** Newest first; `since` (ISO time) bounds the oldest. */
  async list(opts: { since?: Date; limit: number }): Promise<ExchangeView[]> {
    const res = await this.db.allDocs({
      descending: true,
      startkey: `${EXCHANGE_PREFIX}${HIGH}`,
      endkey: `${EXCHANGE_PREFIX}${opts.since ? opts.since.toISOString() : ''}`,
      include_docs: true,
      limit: opts.limit,
    });
    return res.rows.flatMap((r) => (r.doc ? [toView(r.doc as unknown as ExchangeDoc)] : []));
  }

  /** The exchanges a message took part in, oldest first. */
  async forMessage(messageId: string, limit = 200): Promise<ExchangeView[]> {
    const keys = (await this.opts.exchangesOf?.(messageId, limit)) ?? [];
    if (keys.length === 0) return [];
    const res = await this.db.allDocs({ keys, include_docs: true });
    return res.rows.flatMap((r) => ('doc' in r && r.doc ? [toView(r.doc as unknown as ExchangeDoc)] : []));
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
        limit: PRUNE_PAGE,
      });
      if (old.rows.length === 0) return removed;
      const indexIds = old.rows.flatMap((r) => {
        const doc = r.doc as unknown as ExchangeDoc | undefined;
        const suffix = r.id.slice(EXCHANGE_PREFIX.length);
        return (doc?.message_ids ?? []).map((m) => `${indexPrefix(m)}${suffix}`);
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
      removed += old.rows.length;
      if (old.rows.length < PRUNE_PAGE) return removed;
    }
  }

  private async writeMany(inputs: ExchangeInput[]): Promise<undefined[]> {
    const secrets = await this.opts.secrets();
    const docs = inputs.map((input) => this.toDoc(input, secrets));
    const results = await this.db.bulkDocs(docs as unknown as PouchDB.Core.PutDocument<object>[]);
    const failed = results.filter((r) => 'error' in r && r.error).length;
    if (failed > 0) throw new Error(`${failed} of ${docs.length} exchange log docs could not be written`);
    return inputs.map(() => undefined);
  }

  private toDoc(input: ExchangeInput, secrets: readonly string[]): ExchangeDoc {
    const redacted = redactExchange(input, secrets);
    const at = input.at.toISOString();
    return {
      _id: `${EXCHANGE_PREFIX}${at}:${crypto.randomBytes(4).toString('hex')}`,
      type: 'sms_exchange',
      direction: input.direction,
      ...(input.service ? { service: input.service } : {}),
      at,
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
