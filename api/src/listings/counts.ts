/**
 * GET /api/v1/messages/counts: outgoing messages per state, stuck ones, incoming ones, from the
 * per-hour row counts the indexer keeps (no rows read), after the index has caught up with the
 * request. Stuck is the one figure that moves with the clock: the hours wholly before the cutoff
 * come from the counts, the hour holding the cutoff is counted from its rows; that figure is kept
 * STUCK_CACHE_MS, so it may be that much behind.
 */
import { MESSAGE_STATES } from '../../../shared-libs/task-utils/types.js';
import { hourOf } from './buckets.js';
import type { MessageIndex } from './indexer.js';
import { HOUR_MS, PREFIX, SERIES, time13 } from './rows.js';

export const STUCK_CACHE_MS = 5_000;

export interface MessageCounts {
  outgoing: { total: number; by_state: Record<string, number> };
  stuck: number;
  stuck_after_hours: number;
  incoming: number;
}

export class MessageCounter {
  private cached?: { at: number; hours: number; value: number };

  constructor(
    private readonly index: MessageIndex,
    private readonly stuckAfterHours: () => number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async counts(): Promise<MessageCounts> {
    await this.index.readyForRead();
    const byState: Record<string, number> = Object.fromEntries(MESSAGE_STATES.map((s) => [s, 0]));
    let total = 0;
    for (const [series, n] of this.index.counts.totals()) {
      if (!series.startsWith('s:') || n === 0) continue;
      byState[series.slice(2)] = n;
      total += n;
    }
    return {
      outgoing: { total, by_state: byState },
      stuck: await this.stuck(),
      stuck_after_hours: this.stuckAfterHours(),
      incoming: this.index.counts.total(SERIES.incoming),
    };
  }

  /** Messages awaiting a report for longer than `sms.stuck_after_hours` (cached STUCK_CACHE_MS). */
  async stuck(): Promise<number> {
    const t = this.now().getTime();
    const hours = this.stuckAfterHours();
    if (this.cached && this.cached.hours === hours && t - this.cached.at < STUCK_CACHE_MS) return this.cached.value;
    const cutoff = t - hours * HOUR_MS;
    const hour = hourOf(cutoff);
    const partial = await this.index.rows.allDocs({
      startkey: PREFIX.awaiting + time13(hour * HOUR_MS),
      endkey: PREFIX.awaiting + time13(cutoff),
      inclusive_end: false,
    });
    const value = this.index.counts.countBefore(SERIES.awaiting, hour) + partial.rows.length;
    this.cached = { at: t, hours, value };
    return value;
  }
}
