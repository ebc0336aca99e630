/**
 * Throttles repeated webhook key failures per client address. The webhook key is a shared
 * secret in a query string (AT can authenticate no other way), so guessing it is the obvious
 * attack: after `limit` failed checks within `windowMs` an address gets 429 with Retry-After
 * until its oldest failure leaves the window. CHT's global limiter (10 failures / 10 s,
 * https://github.com/medic/cht-core/blob/master/api/src/middleware/rate-limiter.js) does the same for
 * credentialed requests only; here it covers the webhooks.
 *
 * Successes do not reset anything: a valid call from one address never clears another's
 * failures, and an attacker cannot launder guesses by interleaving them with good calls.
 * Memory is bounded: entries expire with their window and the table has a size cap.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';

export interface WebhookGuard {
  /** Throws 429 when this address has failed too often lately. */
  check(ip: string): void;
  failed(ip: string, route: string): void;
}

export interface WebhookGuardOptions {
  limit?: number;
  windowMs?: number;
  /** Most addresses tracked at once; the oldest are dropped first beyond it. */
  maxTracked?: number;
  now?: () => number;
  /** Metrics hooks. */
  onFailure?: (route: string) => void;
  onThrottled?: () => void;
}

/** 429 that carries the Retry-After value (seconds) for the response header. */
export class ThrottledError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, `Too many failed key checks from this address: try again in ${retryAfterSeconds} s`);
  }
}

export class FailureThrottle implements WebhookGuard {
  readonly limit: number;
  readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;
  /** Address → times of its recent failures, oldest first (at most `limit` kept). */
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly opts: WebhookGuardOptions = {}) {
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

  check(ip: string): void {
    const t = this.now();
    const list = this.recent(ip, t);
    if (list.length >= this.limit) {
      this.opts.onThrottled?.();
      const oldest = list[list.length - this.limit] as number;
      throw new ThrottledError(Math.max(1, Math.ceil((oldest + this.windowMs - t) / 1000)));
    }
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

/**
 * Sets Retry-After on throttled answers. The shared error handler writes the `{code, error}`
 * body; fastify runs onError hooks before it, and headers set here are kept.
 */
export function retryAfterHeader(app: FastifyInstance): void {
  app.addHook('onError', async (_req, reply, err) => {
    if (err instanceof ThrottledError) void reply.header('Retry-After', String(err.retryAfterSeconds));
  });
}
