/**
 * Administrator authentication: HTTP basic auth. Embedded mode checks ADMIN_USER/ADMIN_PASSWORD
 * in constant time; CouchDB mode asks CouchDB's `_session` and requires the `_admin` role, as
 * CHT's auth.isDbAdmin does. Failures never say which part was wrong.
 */
import crypto from 'node:crypto';
import { timingSafeEqualString } from '../../../shared-libs/credentials/index.js';
import { UnavailableError } from '../errors.js';
import { AppError } from './errors.js';

export interface AdminIdentity {
  name: string;
}

export interface AdminAuthenticator {
  /**
   * Resolves the administrator, or throws AppError 401 (no/bad credentials) or 403 (not admin),
   * or UnavailableError when the check itself cannot be made.
   */
  authenticate(authorization: string | undefined): Promise<AdminIdentity>;
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const unauthorized = (): AppError => new AppError(401, 'Authentication required: valid administrator credentials are needed');
const forbidden = (): AppError => new AppError(403, 'Insufficient privileges: administrator role required');

export function staticAdminAuth(user: string, password: string): AdminAuthenticator {
  return {
    async authenticate(header) {
      const creds = parseBasic(header);
      if (!creds) throw unauthorized();
      // Both comparisons always run, so timing does not tell which part was wrong.
      const okUser = timingSafeEqualString(creds.user, user);
      const okPassword = timingSafeEqualString(creds.password, password);
      if (!(okUser && okPassword)) throw unauthorized();
      return { name: creds.user };
    },
  };
}

interface SessionBody {
  userCtx?: { name?: string | null; roles?: string[] };
}

/** CouchDB mode: `_session` answers for us; positive answers are cached briefly per header. */
export function couchAdminAuth(serverUrl: string, opts: { cacheMs?: number; fetchImpl?: typeof fetch } = {}): AdminAuthenticator {
  const cacheMs = opts.cacheMs ?? 5000;
  const doFetch = opts.fetchImpl ?? fetch;
  const cache = new Map<string, { identity: AdminIdentity; until: number }>();
  const base = new URL(serverUrl);
  base.username = '';
  base.password = '';
  const sessionUrl = new URL('/_session', base).toString();

  return {
    async authenticate(header) {
      const creds = parseBasic(header);
      if (!creds || !header) throw unauthorized();
      const cacheKey = crypto.createHash('sha256').update(header).digest('hex');
      const hit = cache.get(cacheKey);
      if (hit && hit.until > Date.now()) return hit.identity;
      const res = await doFetch(sessionUrl, {
        headers: { authorization: header, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      }).catch((err: unknown) => {
        throw new UnavailableError('CouchDB _session did not answer', { cause: err });
      });
      if (res.status === 401) throw unauthorized();
      if (!res.ok) throw new UnavailableError(`CouchDB _session answered ${res.status}`);
      const body = (await res.json()) as SessionBody;
      const name = body.userCtx?.name;
      if (!name) throw unauthorized();
      if (!body.userCtx?.roles?.includes('_admin')) throw forbidden();
      const identity = { name };
      if (cache.size > 1000) cache.clear();
      cache.set(cacheKey, { identity, until: Date.now() + cacheMs });
      return identity;
    },
  };
}
