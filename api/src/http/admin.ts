import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminAuthenticator, AdminIdentity } from './auth.js';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminIdentity;
    /** Set by the console's session hook (console/session-auth.ts) for a live session that passed its CSRF checks. */
    consoleAdmin?: AdminIdentity;
    /** Set instead when a session cookie came without a valid CSRF token or Origin. */
    consoleRefusal?: string;
  }
}

/**
 * preHandler for administrator routes: 401 without valid credentials, 403 for non-admins, 429
 * when the client address has failed too often (counted per `req.ip`, see http/admin-gate.ts).
 * Basic auth wins when present; otherwise a console session (cookie + CSRF token) is accepted.
 */
export function requireAdmin(auth: AdminAuthenticator) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!req.headers.authorization) {
      if (req.consoleAdmin) {
        req.admin = req.consoleAdmin;
        return;
      }
      if (req.consoleRefusal) throw new AppError(403, req.consoleRefusal);
    }
    req.admin = await auth.authenticate(req.headers.authorization, { ip: req.ip });
  };
}
