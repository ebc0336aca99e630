/**
 * Send outcomes per minute, counted in memory from the outbox and status-update observers
 * (fanned out in compose.ts beside the metrics) for the console's chart and its last-24-hours
 * figures. This instance's events only, and it restarts empty: the database does not say when
 * a message changed state without reading every message, and the chart needs to be cheap to
 * poll. Prometheus' `sms_send_outcomes_total` is the durable counterpart.
 */
import type { OutboxObserver } from '../outbox/context.js';
import type { StatusUpdateObserver } from '../reports/status-updates.js';

export const ACTIVITY_OUTCOMES = ['sent', 'delivered', 'failed', 'retried'] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];
export type OutcomeCounts = Record<ActivityOutcome, number>;

const MINUTE_MS = 60_000;
/** A day of minutes: enough for the 24-hour figures. */
export const MAX_MINUTES = 24 * 60;

const zero = (): OutcomeCounts => ({ sent: 0, delivered: 0, failed: 0, retried: 0 });

export interface ActivityMinute extends OutcomeCounts {
  /** Start of the minute (ISO). */
  at: string;
}

export interface ActivitySeries {
  /** When counting started (this process's start): earlier minutes are unknown, not zero. */
  since: string;
  minutes: ActivityMinute[];
  last_24h: OutcomeCounts;
}

export class ActivityCounter {
  private readonly started: number;
  /** Minute index (ms / 60 000) → counts; at most MAX_MINUTES kept. */
  private readonly buckets = new Map<number, OutcomeCounts>();

  constructor(private readonly now: () => Date = () => new Date()) {
    this.started = now().getTime();
  }

  record(outcome: ActivityOutcome, n = 1): void {
    const minute = Math.floor(this.now().getTime() / MINUTE_MS);
    let bucket = this.buckets.get(minute);
    if (!bucket) {
      bucket = zero();
      this.buckets.set(minute, bucket);
      for (const key of this.buckets.keys()) if (key <= minute - MAX_MINUTES) this.buckets.delete(key);
    }
    bucket[outcome] += n;
  }

  /** The last `minutes` minutes, oldest first, the current (partial) minute last. */
  series(minutes: number): ActivitySeries {
    const count = Math.max(1, Math.min(MAX_MINUTES, Math.floor(minutes)));
    const current = Math.floor(this.now().getTime() / MINUTE_MS);
    const out: ActivityMinute[] = [];
    for (let m = current - count + 1; m <= current; m++) {
      out.push({ at: new Date(m * MINUTE_MS).toISOString(), ...(this.buckets.get(m) ?? zero()) });
    }
    const last24h = zero();
    for (const [m, counts] of this.buckets) {
      if (m <= current - MAX_MINUTES) continue;
      for (const k of ACTIVITY_OUTCOMES) last24h[k] += counts[k];
    }
    return { since: new Date(this.started).toISOString(), minutes: out, last_24h: last24h };
  }

  /** Send results as the outbox records them (push services). */
  readonly dispatchObserver: OutboxObserver = {
    onRecorded: (_uuid, kind) => {
      switch (kind) {
        case 'accepted':
          return this.record('sent');
        case 'failed':
        case 'gave-up':
          return this.record('failed');
        case 'retry':
        case 'paused':
          return this.record('retried');
        case 'stale':
          return undefined;
      }
    },
  };

  /** Delivery reports and gateway updates that moved a message to delivered or failed. */
  readonly statusObserver: StatusUpdateObserver = {
    onOutcome: (_update, outcome, task) => {
      if (outcome !== 'applied') return;
      if (task?.state === 'delivered') this.record('delivered');
      else if (task?.state === 'failed') this.record('failed');
    },
  };
}
