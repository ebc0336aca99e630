/**
 * The webhook key is a shared secret in a query string (AT can authenticate no other way), so
 * guessing it is the obvious attack: routes/sms.ts counts failed key checks per address in a
 * FailureThrottle (http/failure-throttle.ts), the same throttle administrator sign-ins use.
 */
import type { FastifyInstance } from 'fastify';
import { FailureThrottle, ThrottledError, type FailureThrottleOptions } from './failure-throttle.js';

export { FailureThrottle, ThrottledError };
export type WebhookGuardOptions = FailureThrottleOptions;

export interface WebhookGuard {
  /** Throws 429 when this address has failed too often lately. */
  check(ip: string): void;
  failed(ip: string, route: string): void;
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
