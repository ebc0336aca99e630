/**
 * Throttles repeated authentication failures per client address: after `limit` failures within
 * `windowMs` an address gets 429 with Retry-After until its oldest failure leaves the window.
 * One class serves every secret a client can guess: webhook keys (routes/sms.ts) and
 * administrator passwords (http/admin-gate.ts, also used by the console sign-in). CHT has one
 * global limiter (10 failures / 10 s,
 * https://github.com/medic/cht-core/blob/master/api/src/middleware/rate-limiter.js); here each
 * client address has its own count, so one guesser cannot lock every administrator out.
 *
 * Successes do not reset anything: a valid call from one address never clears another's
 * failures, and an attacker cannot launder guesses by interleaving them with good calls.
 * Memory is bounded: entries expire with their window and the table has a size cap.
 */
import { AppError } from './errors.js';

export interface FailureThrottleOptions {
  limit?: number;
  windowMs?: number;
  /** Most addresses tracked at once; the oldest are dropped first beyond it. */
  maxTracked?: number;
  now?: () => number;
  /** What the client failed at, for the 429 message ("key checks", "sign-in attempts"). */
  noun?: string;
  /** Metrics hooks. */
  onFailure?: (route: string) => void;
  onThrottled?: () => void;
}

/** 429 that carries the Retry-After value (seconds) for the response header. */
export class ThrottledError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    noun = 'key checks',
  ) {
    super(429, `Too many failed ${noun} from this address: try again in ${retryAfterSeconds} s`);
  }
}

export class FailureThrottle {
  readonly limit: number;
  readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  /** Address → times of its recent failures, oldest first (at most `limit` kept). */
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly opts: FailureThrottleOptions = {}) {
    this.limit = opts.limit ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxTracked = opts.maxTracked ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  private recent(ip: string, t: number): number[] {
    const list = this.failures.get(ip);
    if (!list) return [];
    while (list.length > 0 && (list[0] as number) <= t - this.windowMs) list.shift();
    if (list.length === 0) this.failures.delete(ip);
    return list;
  }

  /**
   * Throws 429 when this address has failed too often lately. `pending` counts attempts from
   * it still being checked, so a burst of concurrent guesses cannot overshoot the limit.
   */
  check(ip: string, pending = 0): void {
    const t = this.now();
    const list = this.recent(ip, t);
    if (list.length + pending < this.limit) return;
    this.opts.onThrottled?.();
    // Over the limit only with the pending ones: they resolve within a request's time.
    const oldest = list.length >= this.limit ? (list[list.length - this.limit] as number) : t - this.windowMs;
    throw new ThrottledError(Math.max(1, Math.ceil((oldest + this.windowMs - t) / 1000)), this.opts.noun);
  }

  failed(ip: string, route: string): void {
    const t = this.now();
    this.opts.onFailure?.(route);
    const list = this.recent(ip, t);
    list.push(t);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    // Re-insert so Map order is least-recently-failed first, then trim the oldest addresses.
    this.failures.delete(ip);
    this.failures.set(ip, list);
    while (this.failures.size > this.maxTracked) {
      const first = this.failures.keys().next().value as string;
      this.failures.delete(first);
    }
  }

  /** Addresses currently tracked (for tests and metrics). */
  get tracked(): number {
    return this.failures.size;
  }
}
