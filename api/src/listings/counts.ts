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

/** CHT's muted group (https://github.com/medic/cht-core/blob/master/admin/src/js/services/message-queue.js). */
export const MUTED_GROUP = ['muted', 'cleared', 'denied', 'duplicate'] as const;

export interface MessageCounts {
  /** `muted_due_later`: muted-group messages due after now (the console's "Will not send"). */
  outgoing: { total: number; by_state: Record<string, number>; muted_due_later: number };
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
      outgoing: { total, by_state: byState, muted_due_later: await this.dueLater(MUTED_GROUP) },
      stuck: await this.stuck(),
      stuck_after_hours: this.stuckAfterHours(),
      incoming: this.index.counts.total(SERIES.incoming),
    };
  }

  /** Messages in these states due after now: whole later hours from the counts, this hour from its rows. */
  async dueLater(states: readonly string[]): Promise<number> {
    const t = this.now().getTime();
    const hour = hourOf(t);
    let n = 0;
    for (const state of states) {
      const series = SERIES.state(state);
      const total = this.index.counts.total(series);
      if (total === 0) continue;
      n += total - this.index.counts.countBefore(series, hour + 1);
      n += await this.index.rows.count({
        gte: PREFIX.outState(state) + time13(t + 1),
        lt: PREFIX.outState(state) + time13((hour + 1) * HOUR_MS),
      });
    }
    return n;
  }

  /** Messages awaiting a report for longer than `sms.stuck_after_hours` (cached STUCK_CACHE_MS). */
  async stuck(): Promise<number> {
    const t = this.now().getTime();
    const hours = this.stuckAfterHours();
    if (this.cached && this.cached.hours === hours && t - this.cached.at < STUCK_CACHE_MS) return this.cached.value;
    const cutoff = t - hours * HOUR_MS;
    const hour = hourOf(cutoff);
    const partial = await this.index.rows.count({
      gte: PREFIX.awaiting + time13(hour * HOUR_MS),
      lt: PREFIX.awaiting + time13(cutoff),
    });
    const value = this.index.counts.countBefore(SERIES.awaiting, hour) + partial;
    this.cached = { at: t, hours, value };
    return value;
  }
}
