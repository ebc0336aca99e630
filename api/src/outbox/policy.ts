/**
 * Dispatch knobs with their defaults, and the retry/pause arithmetic. Pure, so it is tested
 * without time.
 */
import type { DispatchSettings } from '../settings/schema.js';

export interface DispatchPolicy {
  concurrency: number;
  ratePerSecond?: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  leaseMs: number;
  requestTimeoutMs: number;
  sweepIntervalMs: number;
  groupRecipients: number;
  pauseMs: number;
  pauseMaxMs: number;
  ttlMs?: number;
}

export function dispatchPolicy(d: DispatchSettings | undefined, ttlHours?: number): DispatchPolicy {
  const requestTimeoutMs = (d?.request_timeout_seconds ?? 30) * 1000;
  return {
    concurrency: d?.concurrency ?? 32,
    ratePerSecond: d?.rate_limit_per_second,
    maxAttempts: d?.max_attempts ?? 10,
    backoffBaseMs: (d?.backoff_base_seconds ?? 15) * 1000,
    backoffMaxMs: (d?.backoff_max_seconds ?? 1800) * 1000,
    // A claim must outlive the longest request, or a slow answer could be sent twice.
    leaseMs: Math.max((d?.lease_seconds ?? 120) * 1000, requestTimeoutMs * 2),
    requestTimeoutMs,
    sweepIntervalMs: (d?.sweep_interval_seconds ?? 60) * 1000,
    groupRecipients: d?.group_recipients ?? 100,
    pauseMs: (d?.channel_pause_seconds ?? 60) * 1000,
    pauseMaxMs: (d?.channel_pause_max_seconds ?? 900) * 1000,
    ttlMs: ttlHours ? ttlHours * 3600 * 1000 : undefined,
  };
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(
  attempt: number,
  policy: Pick<DispatchPolicy, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number,
): number {
  const exp = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** A token bucket; `take(n)` answers how long to wait before n tokens are available. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private rate: number,
    private readonly now: () => number,
  ) {
    this.tokens = Math.max(1, rate);
    this.last = now();
  }

  setRate(rate: number): void {
    this.rate = rate;
  }

  take(n: number): number {
    const t = this.now();
    const capacity = Math.max(1, this.rate);
    this.tokens = Math.min(capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens >= n || (this.tokens >= capacity && n > capacity)) {
      this.tokens -= n;
      return 0;
    }
    return Math.ceil(((n - this.tokens) / this.rate) * 1000);
  }
}
