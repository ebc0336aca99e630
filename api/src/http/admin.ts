import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminAuthenticator, AdminIdentity } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminIdentity;
  }
}

/** preHandler for administrator routes: 401 without valid credentials, 403 for non-admins. */
export function requireAdmin(auth: AdminAuthenticator) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    req.admin = await auth.authenticate(req.headers.authorization);
  };
}
