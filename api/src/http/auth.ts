/**
 * Administrator authentication: HTTP basic auth. Embedded mode checks ADMIN_USER and the
 * password (its scrypt hash, http/admin-password.ts) in constant time; CouchDB mode asks
 * CouchDB's `_session` and requires the `_admin` role, as CHT's auth.isDbAdmin does. Failures
 * never say which part was wrong. Throttling per address and the short cache of successes are
 * around every authenticator, in http/admin-gate.ts.
 */
import { timingSafeEqualString } from '../../../shared-libs/credentials/index.js';
import { UnavailableError } from '../errors.js';
import type { PasswordVerifier } from './admin-password.js';
import { AppError } from './errors.js';

export interface AdminIdentity {
  name: string;
}

/** Who is asking: the client address (`req.ip`, honouring TRUST_PROXY) that failures count against. */
export interface AuthClient {
  ip: string;
}

export interface AdminAuthenticator {
  /**
   * Resolves the administrator, or throws AppError 401 (no/bad credentials), 403 (not admin) or
   * 429 (throttled), or UnavailableError when the check itself cannot be made.
   */
  authenticate(authorization: string | undefined, client?: AuthClient): Promise<AdminIdentity>;
}

/** `Basic base64(user:password)`, for sign-in forms that check a user and password as basic auth does. */
export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
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

export const unauthorized = (): AppError =>
  new AppError(401, 'Authentication required: valid administrator credentials are needed');
const forbidden = (): AppError => new AppError(403, 'Insufficient privileges: administrator role required');

export function staticAdminAuth(user: string, password: PasswordVerifier): AdminAuthenticator {
  return {
    async authenticate(header) {
      const creds = parseBasic(header);
      if (!creds) throw unauthorized();
      // Both comparisons always run, so timing does not tell which part was wrong.
      const okUser = timingSafeEqualString(creds.user, user);
      const okPassword = await password.verify(creds.password);
      if (!(okUser && okPassword)) throw unauthorized();
      return { name: creds.user };
    },
  };
}

interface SessionBody {
  userCtx?: { name?: string | null; roles?: string[] };
}

/** CouchDB mode: `_session` answers for us (http/admin-gate.ts caches positive answers briefly). */
export function couchAdminAuth(serverUrl: string, opts: { fetchImpl?: typeof fetch } = {}): AdminAuthenticator {
  const doFetch = opts.fetchImpl ?? fetch;
  const base = new URL(serverUrl);
  base.username = '';
  base.password = '';
  const sessionUrl = new URL('/_session', base).toString();

  return {
    async authenticate(header) {
      const creds = parseBasic(header);
      if (!creds || !header) throw unauthorized();
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
      return { name };
    },
  };
}
