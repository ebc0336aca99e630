/**
 * Every administrator check goes through here (API basic auth, medic-gateway, the console
 * sign-in): failures are counted per client address in a FailureThrottle, and an address over
 * the limit gets 429 with Retry-After before the authenticator runs, so guessing costs neither
 * a CouchDB `_session` request nor an scrypt. Successes are cached for a few seconds, keyed by an
 * HMAC of the Authorization header under a random per-process key (never the header itself),
 * so a busy client costs one real check per window; concurrent checks of one header share one.
 */
import crypto from 'node:crypto';
import { view } from '../../../shared-libs/credentials/bytes.js';
import type { AdminAuthenticator, AdminIdentity, AuthClient } from './auth.js';
import { AppError } from './errors.js';
import type { FailureThrottle } from './failure-throttle.js';

export interface AdminGateOptions {
  throttle: FailureThrottle;
  /** How long a successful check is reused (default 5 s). */
  cacheMs?: number;
  /** Most cached successes kept (oldest dropped first). */
  maxCached?: number;
  now?: () => number;
}

/** The route label failures are counted under. */
export const ADMIN_AUTH_ROUTE = 'admin';

const isUnauthorized = (err: unknown): boolean => err instanceof AppError && err.status === 401;

export function throttledAdminAuth(inner: AdminAuthenticator, opts: AdminGateOptions): AdminAuthenticator {
  const { throttle } = opts;
  const cacheMs = opts.cacheMs ?? 5000;
  const maxCached = opts.maxCached ?? 1000;
  const now = opts.now ?? Date.now;
  const processKey = view(crypto.randomBytes(32));
  const cache = new Map<string, { identity: AdminIdentity; until: number }>();
  const inFlight = new Map<string, Promise<AdminIdentity>>();
  /** Checks under way per address: a burst of parallel guesses counts before the answers come. */
  const pending = new Map<string, number>();

  const track = (ip: string, delta: number): void => {
    const n = (pending.get(ip) ?? 0) + delta;
    if (n > 0) pending.set(ip, n);
    else pending.delete(ip);
  };

  const check = async (header: string, id: string, client: AuthClient | undefined): Promise<AdminIdentity> => {
    const ip = client?.ip;
    if (ip !== undefined) track(ip, 1);
    try {
      const identity = await inner.authenticate(header, client);
      cache.delete(id);
      cache.set(id, { identity, until: now() + cacheMs });
      while (cache.size > maxCached) cache.delete(cache.keys().next().value as string);
      return identity;
    } catch (err) {
      if (ip !== undefined && isUnauthorized(err)) throttle.failed(ip, ADMIN_AUTH_ROUTE);
      throw err;
    } finally {
      if (ip !== undefined) track(ip, -1);
      inFlight.delete(id);
    }
  };

  return {
    async authenticate(header, client?: AuthClient) {
      const ip = client?.ip;
      if (ip !== undefined) throttle.check(ip, pending.get(ip) ?? 0);
      // A request without credentials is a browser's first try or a misconfigured client, not a guess.
      if (!header) return inner.authenticate(header, client);
      const id = crypto.createHmac('sha256', processKey).update(header).digest('base64url');
      const hit = cache.get(id);
      if (hit && hit.until > now()) return hit.identity;
      let attempt = inFlight.get(id);
      if (!attempt) {
        // One real check per distinct header; the requests waiting on it count once.
        attempt = check(header, id, client);
        inFlight.set(id, attempt);
      }
      return attempt;
    },
  };
}
