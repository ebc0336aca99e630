/**
 * Status polling: RapidPro does not call back with statuses, so they are read from its messages
 * endpoint (https://rapidpro.io/api/v2/) for every message the core lists as awaiting one
 * (`SmsCore.awaitingStatus`: sent with a reference, no final status seen yet).
 *
 * CHT polls one request per message, 25 messages a time through a skip-based view scan, until the
 * queue ends or RapidPro throttles (https://github.com/medic/cht-core/blob/master/api/src/services/rapidpro.js).
 * Here a run makes at most `max_requests_per_run` requests, each covering many messages:
 * - Messages sent in the last hour: RapidPro's messages list filtered on `created_on` by `after`
 *   (the oldest of them, less a margin for clocks and request time), newest first, 250 a page,
 *   following `next`. It stops as soon as every awaited broadcast was seen, or when the pages
 *   still to read (estimated from the dates on the last page) outnumber the broadcasts still
 *   unseen: those are cheaper asked one by one.
 * - Everything not seen that way, and messages sent earlier (whose `created_on` is older than any
 *   window worth re-scanning): `?broadcast=<id>`, one request per broadcast (all its recipients),
 *   the older ones in turn from where the previous run stopped.
 * Exact whatever RapidPro's clock says: a message the scan did not show is asked by broadcast.
 * A final status (delivered, failed) ends polling of a message; after `status_max_age_hours`
 * without one, it stays in its last state. HTTP 429 ends the run and no request is made before
 * its Retry-After has passed (kept in the stored cursor, so every instance waits).
 */
import type { AwaitingStatus, ServiceContext, SmsCore, StatusUpdateInput } from '../../types.js';
import { rapidProRequest, RapidProUnreachable, snippet, type RapidProAnswer } from './client.js';
import {
  matchBroadcast,
  MESSAGES_PATH,
  parseMessagesPage,
  type MessagesPage,
  type RapidProMessage,
} from './messages-page.js';
import { parseRef } from './refs.js';
import type { RapidProSettings } from './settings.js';
import { FINAL_STATUSES, statusDetails, statusState } from './status-map.js';

/** Messages sent this recently are read through the `after` scan. */
export const RECENT_MS = 60 * 60_000;
/** How much earlier than our record RapidPro's `created_on` may be (request time, clock skew). */
export const SCAN_MARGIN_MS = 15 * 60_000;
const LIST_PAGE = 500;
/** Recent messages held in memory by one run; beyond, they wait to be polled as older ones. */
const MAX_RECENT = 10_000;

/** What the run keeps between runs (in the stored, leased cursor). */
export type PollCursor = {
  /** No request before this time (ISO): RapidPro's Retry-After. */
  notBefore?: string;
  /** Older messages are polled in turn from after this key. */
  tailAfter?: string;
};

export interface StatusPollResult {
  requests: number;
  /** Messages whose RapidPro status was read. */
  read: number;
  /** Status updates that moved a message's state. */
  saved: number;
  /** Messages no longer polled: final status seen. */
  done: number;
  /** Messages no longer polled: older than `status_max_age_hours`. */
  expired: number;
  /** Requests that failed (network, 5xx, an unreadable answer); asked again next run. */
  failed: number;
  throttledUntil?: string;
  skipped?: string;
}

export class Throttled extends Error {
  constructor(readonly until: Date) {
    super(`RapidPro throttled the status poll until ${until.toISOString()}`);
    this.name = 'Throttled';
  }
}

export class StatusPollError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatusPollError';
  }
}

export interface PollDeps {
  ctx: ServiceContext<RapidProSettings>;
  core: Pick<SmsCore, 'awaitingStatus' | 'stopAwaiting' | 'applyStatusUpdates'>;
  token: string;
  /** Called after each request: the run is alive (the cursor's lease is renewed). */
  onProgress?: () => Promise<void>;
}

const broadcastOf = (e: AwaitingStatus): string | undefined => parseRef(e.gatewayRef)?.broadcast;

function byBroadcast(entries: readonly AwaitingStatus[]): Map<string, AwaitingStatus[]> {
  const map = new Map<string, AwaitingStatus[]>();
  for (const e of entries) {
    const b = broadcastOf(e);
    if (b !== undefined) map.set(b, [...(map.get(b) ?? []), e]);
  }
  return map;
}

export class StatusPoller {
  readonly result: StatusPollResult = { requests: 0, read: 0, saved: 0, done: 0, expired: 0, failed: 0 };
  /** Entries whose status was read this run. */
  private readonly seen = new Set<string>();
  tailAfter: string | undefined;

  constructor(private readonly deps: PollDeps) {}

  private get budgetLeft(): number {
    return this.deps.ctx.settings.maxRequestsPerRun - this.result.requests;
  }

  async run(cursor: PollCursor): Promise<void> {
    const now = this.deps.ctx.now().getTime();
    this.tailAfter = cursor.tailAfter;
    await this.expire(new Date(now - this.deps.ctx.settings.statusMaxAgeMs).toISOString());
    const recentFrom = new Date(now - RECENT_MS).toISOString();
    const recent = await this.list({ sentAfter: recentFrom }, MAX_RECENT);
    const unseen = byBroadcast(recent).size > 1 ? await this.scan(recent) : recent;
    await this.pollBroadcasts(unseen);
    await this.pollOlder(recentFrom);
  }

  /** Entries older than the cut-off are no longer polled. */
  private async expire(cutoff: string): Promise<void> {
    for (let pages = 0; pages < 100; pages++) {
      const page = await this.deps.core.awaitingStatus({ limit: LIST_PAGE });
      const old = page.filter((e) => e.since < cutoff);
      if (old.length > 0) {
        await this.deps.core.stopAwaiting(old.map((e) => e.key));
        this.result.expired += old.length;
        this.deps.ctx.logger.warn(
          { messages: old.length },
          'RapidPro gave no final status within sms.rapidpro.status_max_age_hours; ' +
            'those messages stay in their last state',
        );
      }
      if (old.length < page.length || page.length < LIST_PAGE) return;
    }
  }

  private async list(opts: { sentAfter?: string; startAfter?: string }, max: number): Promise<AwaitingStatus[]> {
    const all: AwaitingStatus[] = [];
    let startAfter = opts.startAfter;
    while (all.length < max) {
      const page = await this.deps.core.awaitingStatus({
        ...opts,
        startAfter,
        limit: Math.min(LIST_PAGE, max - all.length),
      });
      all.push(...page);
      if (page.length < LIST_PAGE) break;
      startAfter = page.at(-1)?.key;
    }
    return all;
  }

  /**
   * One page, or undefined when this request failed (logged; the run goes on, as CHT's does, and
   * the next run asks again). 429 ends the run; a refused token too (every request would fail).
   */
  private async get(pathOrUrl: string): Promise<MessagesPage | undefined> {
    this.result.requests++;
    const { ctx, token } = this.deps;
    let answer: RapidProAnswer;
    try {
      answer = await rapidProRequest(ctx, token, 'GET', pathOrUrl);
    } catch (err) {
      if (!(err instanceof RapidProUnreachable)) throw err;
      this.failed(err.message);
      return undefined;
    } finally {
      await this.deps.onProgress?.();
    }
    if (answer.status === 429) throw new Throttled(new Date(ctx.now().getTime() + (answer.retryAfterMs ?? 0)));
    if (answer.status === 401 || answer.status === 403) {
      throw new StatusPollError(
        `RapidPro refused the API token rapidpro:outgoing (HTTP ${answer.status}): ${snippet(answer.text)}`,
      );
    }
    const page = answer.status >= 200 && answer.status < 300 ? parseMessagesPage(answer.text) : undefined;
    if (!page) this.failed(`RapidPro answered HTTP ${answer.status} for ${MESSAGES_PATH}: ${snippet(answer.text)}`);
    return page;
  }

  private failed(reason: string): void {
    this.result.failed++;
    this.deps.ctx.logger.warn({ reason }, 'RapidPro status request failed; asked again at the next poll');
  }

  /** Applies what RapidPro says of these messages; a final status ends their polling. */
  private async apply(pairs: Array<{ entry: AwaitingStatus; message: RapidProMessage }>): Promise<void> {
    const fresh = pairs.filter((p) => !this.seen.has(p.entry.key));
    if (fresh.length === 0) return;
    for (const p of fresh) this.seen.add(p.entry.key);
    const updates: StatusUpdateInput[] = fresh.map(({ entry, message }) => ({
      gatewayRef: entry.gatewayRef,
      status: message.status,
      state: statusState(message.status),
      details: statusDetails(message.status),
    }));
    this.result.read += fresh.length;
    this.result.saved += (await this.deps.core.applyStatusUpdates(updates)).saved;
    const done = fresh.filter((p) => FINAL_STATUSES.has(p.message.status)).map((p) => p.entry.key);
    if (done.length > 0) {
      await this.deps.core.stopAwaiting(done);
      this.result.done += done.length;
    }
  }

  /** The `after` scan over recent messages; returns the entries it did not show. */
  private async scan(recent: readonly AwaitingStatus[]): Promise<AwaitingStatus[]> {
    const groups = byBroadcast(recent);
    const after = Date.parse(recent[0]?.since ?? '') - SCAN_MARGIN_MS;
    let url = `${MESSAGES_PATH}?after=${encodeURIComponent(new Date(after).toISOString())}`;
    while (this.budgetLeft > 0) {
      const page = await this.get(url);
      if (!page) break;
      const inPage = new Map<string, RapidProMessage[]>();
      for (const m of page.results) inPage.set(m.broadcast, [...(inPage.get(m.broadcast) ?? []), m]);
      for (const [broadcast, results] of inPage) {
        const awaited = groups.get(broadcast);
        if (awaited)
          await this.apply(
            matchBroadcast(
              awaited.filter((e) => !this.seen.has(e.key)),
              results,
            ),
          );
      }
      if (!page.next) break;
      const pending = [...groups.values()].filter((es) => es.some((e) => !this.seen.has(e.key))).length;
      if (pending === 0) break;
      // Pages left ≈ the time still to cover over the time one page covered.
      const span = page.newest !== undefined && page.oldest !== undefined ? page.newest - page.oldest : 0;
      const left = page.oldest !== undefined && span > 0 ? Math.ceil((page.oldest - after) / span) : Infinity;
      if (left > pending) break;
      url = page.next;
    }
    return recent.filter((e) => !this.seen.has(e.key));
  }

  /** One request per broadcast (`?broadcast=<id>`) for these entries, while the budget lasts. */
  private async pollBroadcasts(entries: readonly AwaitingStatus[]): Promise<AwaitingStatus | undefined> {
    let last: AwaitingStatus | undefined;
    for (const [broadcast, awaited] of byBroadcast(entries)) {
      const open = awaited.filter((e) => !this.seen.has(e.key));
      if (open.length === 0) continue;
      if (this.budgetLeft <= 0) return last;
      const page = await this.get(`${MESSAGES_PATH}?broadcast=${broadcast}`);
      if (page)
        await this.apply(
          matchBroadcast(
            open,
            page.results.filter((m) => m.broadcast === broadcast),
          ),
        );
      last = awaited.at(-1);
    }
    return last;
  }

  /** Messages sent before `recentFrom`, a page at a time from where the last run stopped. */
  private async pollOlder(recentFrom: string): Promise<void> {
    while (this.budgetLeft > 0) {
      const page = (await this.list({ startAfter: this.tailAfter }, LIST_PAGE)).filter((e) => e.since < recentFrom);
      if (page.length === 0) {
        this.tailAfter = undefined;
        return;
      }
      const complete = page.length === LIST_PAGE ? this.withoutSplitBroadcast(page) : page;
      const last = await this.pollBroadcasts(complete);
      const finished = this.budgetLeft > 0 || last?.key === complete.at(-1)?.key;
      this.tailAfter = finished ? complete.at(-1)?.key : (last?.key ?? this.tailAfter);
      if (!finished) return;
      if (page.length < LIST_PAGE) {
        // The older messages are all polled: the next run starts from the oldest again.
        this.tailAfter = undefined;
        return;
      }
    }
  }

  /** Drops the last broadcast of a full page: its other recipients may be on the next page. */
  private withoutSplitBroadcast(page: AwaitingStatus[]): AwaitingStatus[] {
    const lastBroadcast = broadcastOf(page.at(-1) as AwaitingStatus);
    const kept = page.filter((e) => broadcastOf(e) !== lastBroadcast);
    return kept.length > 0 ? kept : page;
  }
}
