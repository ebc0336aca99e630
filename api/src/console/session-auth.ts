/**
 * Lets the console's session cookie stand in for basic auth on the admin API. An app-wide
 * onRequest hook reads the cookie and, when it names a live session, marks the request:
 * - safe methods (GET, HEAD) are accepted on the cookie alone;
 * - every other method also needs the session's CSRF token in the `X-CSRF-Token` header and an
 *   `Origin` equal to this server's own origin. SameSite=Strict already keeps the cookie off
 *   cross-site requests; the token and the Origin check hold even where a browser or a proxy
 *   gets that wrong (https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html).
 * http/admin.ts's requireAdmin then accepts `req.consoleAdmin`, or refuses with the reason.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { timingSafeEqualString } from '../../../shared-libs/credentials/index.js';
import {
  BACKGROUND_HEADER,
  CSRF_HEADER,
  readCookie,
  SESSION_COOKIE,
  type ConsoleSession,
  type ConsoleSessions,
} from './sessions.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** This server's origin as the browser sees it (honours TRUST_PROXY through req.protocol and req.host). */
export function ownOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/** Why a state-changing request may not ride on the session, or undefined when it may. */
export function csrfRefusal(req: FastifyRequest, session: ConsoleSession): string | undefined {
  const origin = req.headers.origin;
  if (origin !== ownOrigin(req)) return 'Origin header missing or not this server: request refused';
  const token = req.headers[CSRF_HEADER];
  if (typeof token !== 'string' || !timingSafeEqualString(token, session.csrf)) {
    return 'CSRF token missing or wrong: reload the console';
  }
  return undefined;
}

export function sessionFromRequest(sessions: ConsoleSessions, req: FastifyRequest): ConsoleSession | undefined {
  return sessions.touch(readCookie(req.headers.cookie, SESSION_COOKIE), req.headers[BACKGROUND_HEADER] !== '1');
}

/** Registers the hook; call before the admin routes so it runs ahead of their own hooks. */
export function consoleSessionAuth(app: FastifyInstance, sessions: ConsoleSessions): void {
  app.addHook('onRequest', async (req) => {
    // Only the admin API rides on the session; the console's own routes check it themselves.
    if (!req.url.startsWith('/api/')) return;
    const session = sessionFromRequest(sessions, req);
    if (!session) return;
    const refusal = SAFE_METHODS.has(req.method) ? undefined : csrfRefusal(req, session);
    if (refusal) req.consoleRefusal = refusal;
    else req.consoleAdmin = { name: session.user };
  });
}
