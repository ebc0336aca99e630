/**
 * The figures behind GET /api/v2/monitoring and /metrics, read from the views on demand.
 * Shapes follow CHT's https://github.com/medic/cht-core/blob/master/api/src/services/monitoring.js
 * (documented at https://docs.communityhealthtoolkit.org/building/reference/api/) with two changes:
 * - https://github.com/medic/cht-core/issues/9002 is fixed: `sent` and `delivered` are counted
 *   apart (CHT's `delivered` lumps in `sent`, so "many messages remained in Sent state" was
 *   invisible). The message_queue view emits `['sent', due]` and `['delivered-only', due]` for that.
 * - an `sms` section: channel state, oldest pending age, parked reports, cost.
 * As in CHT, a figure that cannot be read is -1 rather than failing the whole answer.
 */
import type { Logger } from 'pino';
import { countPrefix, type Db } from '../../../shared-libs/couch/index.js';
import { PARKED_PREFIX } from '../reports/status-updates.js';

export const OUTGOING_KEYS = ['due', 'scheduled', 'muted', 'failed', 'delivered', 'sent'] as const;
type OutgoingKey = (typeof OUTGOING_KEYS)[number];
export type OutgoingCounts = Record<OutgoingKey, number>;

/** message_queue key for each reported figure (`delivered-only`: see the view, #9002). */
const QUEUE_KEY: Record<OutgoingKey, string> = {
  due: 'due',
  scheduled: 'scheduled',
  muted: 'muted',
  failed: 'failed',
  delivered: 'delivered-only',
  sent: 'sent',
};

/** CHT's last_hundred groups and the states each starts with (unknown states are added). */
const LAST_HUNDRED = {
  pending: ['pending', 'forwarded-to-gateway', 'received-by-gateway', 'forwarded-by-gateway'],
  final: ['sent', 'delivered', 'failed'],
  muted: ['denied', 'cleared', 'muted', 'duplicate'],
} as const;

export type LastHundred = Record<keyof typeof LAST_HUNDRED, Record<string, number>>;

export interface CostByDay {
  day: string;
  currency: string;
  total: number;
  messages: number;
  parts: number;
}

export interface CostSummary {
  by_currency: Record<string, number>;
  by_day: CostByDay[];
}

const DAY_MS = 86_400_000;
/** Costs are summed in 1/10000 units by the view (exact integers). */
const COST_SCALE = 10_000;

export class MonitoringService {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async guarded<T>(what: string, fallback: T, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      this.logger.warn({ err, what }, 'monitoring figure unavailable');
      return fallback;
    }
  }

  private async countRange(key: string, from: number | null, to: number | Record<string, never>): Promise<number> {
    const res = await this.db.query('medic-admin/message_queue', {
      startkey: [key, from],
      endkey: [key, to],
      reduce: true,
      group: false,
    });
    return Number(res.rows[0]?.value ?? 0);
  }

  private async outgoing(from: number | null, to: number | Record<string, never>): Promise<OutgoingCounts> {
    const entries = await Promise.all(
      OUTGOING_KEYS.map(
        async (k) =>
          [k, await this.guarded(`outgoing.${k}`, -1, () => this.countRange(QUEUE_KEY[k], from, to))] as const,
      ),
    );
    return Object.fromEntries(entries) as OutgoingCounts;
  }

  /** All time (CHT's `total`). */
  total(): Promise<OutgoingCounts> {
    return this.outgoing(null, {});
  }

  /** Due within [start of day − 7 days, now] (CHT's `seven_days`; UTC days here). */
  sevenDays(): Promise<OutgoingCounts> {
    const now = this.now().getTime();
    const startOfDay = now - (now % DAY_MS);
    return this.outgoing(startOfDay - 7 * DAY_MS, now);
  }

  /** States among the 100 most recently updated tasks of each group (CHT's `last_hundred`). */
  async lastHundred(): Promise<LastHundred> {
    const groups = Object.keys(LAST_HUNDRED) as Array<keyof typeof LAST_HUNDRED>;
    const out = {} as LastHundred;
    await Promise.all(
      groups.map(async (group) => {
        const counts: Record<string, number> = Object.fromEntries(LAST_HUNDRED[group].map((s) => [s, 0]));
        out[group] = await this.guarded(
          `last_hundred.${group}`,
          Object.fromEntries(LAST_HUNDRED[group].map((s) => [s, -1])),
          async () => {
            const res = await this.db.query('medic-sms/messages_by_last_updated_state', {
              startkey: [group, {}],
              endkey: [group],
              descending: true,
              limit: 100,
            });
            for (const row of res.rows) {
              const state = String((row.key as unknown[])[2]);
              counts[state] = (counts[state] ?? 0) + 1;
            }
            return counts;
          },
        );
      }),
    );
    return out;
  }

  /** Seconds since the oldest message waiting to go out was due; null when none waits. */
  async oldestPendingAgeSeconds(): Promise<number | null> {
    const res = await this.db.query('medic/messages_by_state', {
      startkey: ['pending-or-forwarded', 0],
      endkey: ['pending-or-forwarded', '\ufff0'],
      limit: 1,
    });
    const due = (res.rows[0]?.key as unknown[] | undefined)?.[1];
    if (typeof due !== 'number') return null;
    return Math.max(0, Math.round((this.now().getTime() - due) / 1000));
  }

  /** Delivery reports waiting for their send result to be stored. */
  async parkedReports(): Promise<number> {
    return countPrefix(this.db, PARKED_PREFIX);
  }

  /** States of all outgoing messages, exactly (for the metrics gauge). */
  async byState(): Promise<Record<string, number>> {
    const res = await this.db.query('sms-api/messages_by_state_count', { reduce: true, group: true });
    return Object.fromEntries(res.rows.map((r) => [String(r.key), Number(r.value)]));
  }

  /** AT's reported costs, by currency and by (day, currency). */
  async cost(): Promise<CostSummary> {
    const res = await this.db.query('sms-api/messages_cost', { reduce: true, group_level: 2 });
    const byCurrency: Record<string, number> = {};
    const byDay: CostByDay[] = [];
    for (const row of res.rows) {
      const [currency, day] = row.key as [string, string];
      const [units, messages, parts] = row.value as [number, number, number];
      byCurrency[currency] = (byCurrency[currency] ?? 0) + units;
      byDay.push({ day, currency, total: units / COST_SCALE, messages, parts });
    }
    byDay.sort((a, b) => (a.day === b.day ? a.currency.localeCompare(b.currency) : a.day.localeCompare(b.day)));
    for (const c of Object.keys(byCurrency)) byCurrency[c] = (byCurrency[c] as number) / COST_SCALE;
    return { by_currency: byCurrency, by_day: byDay };
  }

  /** The `sms` section, minus the channel (which the route adds from the outbox). */
  async smsFigures(): Promise<{
    oldest_pending_age_seconds: number | null;
    parked_reports: number;
    cost: CostSummary;
  }> {
    const [oldest, parked, cost] = await Promise.all([
      this.guarded('oldest_pending_age_seconds', -1, () => this.oldestPendingAgeSeconds()),
      this.guarded('parked_reports', -1, () => this.parkedReports()),
      this.guarded<CostSummary>('cost', { by_currency: {}, by_day: [] }, () => this.cost()),
    ]);
    return { oldest_pending_age_seconds: oldest, parked_reports: parked, cost };
  }
}
